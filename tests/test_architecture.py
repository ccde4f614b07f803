"""The package's shape: imports run one way, from later stages to earlier ones, with no cycles.

The import graph is computed from the source (every import: at module level, inside a function,
under ``TYPE_CHECKING``), so that a function-level import cannot hide a cycle. The stages and
their order are those of docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

import graph

from .conftest import REPO

PACKAGE = REPO / "graph"

#: The stages, earliest first: a module may import its own stage and earlier ones only.
STAGES = (
    "core",  # graph/*.py: errors, namespaces, prefixes, terminal, tables, atomic, progress
    "inputs",
    "sparql",
    "stores",
    "pipeline",
    "explore",
    "linking",
    "serving",
    "cli",
)


def module_name(path: Path, root: Path = REPO) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or parts[1] in STAGES else "core"


def import_graph(root: Path = REPO) -> nx.DiGraph:
    """Module -> module for every import of one graph module by another (``graph`` itself, the
    public API that names everything, is left out)."""
    modules = {module_name(p, root): p for p in (root / "graph").rglob("*.py")}
    edges = nx.DiGraph()
    edges.add_nodes_from(m for m in modules if m != "graph")
    for name, path in modules.items():
        if name == "graph":
            continue
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target not in (name, "graph"):
                    edges.add_edge(name, target)
    return edges


@pytest.fixture(scope="module")
def imports() -> nx.DiGraph:
    return import_graph()


def test_the_import_graph_sees_function_level_imports(imports):
    """The graph is complete: the lazy imports inside functions count (a cycle hides there)."""
    assert imports.has_edge("graph.serving.operations", "graph.serving.entity")
    assert imports.has_edge("graph.stores.querying", "graph.sparql.guard")


def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    (tmp_path / "graph" / "stores").mkdir(parents=True)
    (tmp_path / "graph" / "__init__.py").write_text("")
    (tmp_path / "graph" / "stores" / "__init__.py").write_text("")
    (tmp_path / "graph" / "stores" / "base.py").write_text("def f():\n    from . import memory\n")
    (tmp_path / "graph" / "stores" / "memory.py").write_text("from graph.stores.base import f\n")
    found = import_graph(tmp_path)
    assert list(nx.simple_cycles(found)) != []


def test_there_are_no_import_cycles(imports):
    cycles = [sorted(c) for c in nx.strongly_connected_components(imports) if len(c) > 1]
    assert cycles == []


def test_imports_run_from_later_stages_to_earlier_ones(imports):
    rank = {name: i for i, name in enumerate(STAGES)}
    backwards = sorted(
        f"{a} ({stage(a)}) imports {b} ({stage(b)})"
        for a, b in imports.edges
        if rank[stage(a)] < rank[stage(b)]
    )
    assert backwards == []


def test_every_module_belongs_to_a_known_stage():
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert folders == set(STAGES) - {"core"}


def test_no_module_shares_its_name_with_an_api_function():
    """``graph.query`` is the function, and no module or folder of that name can shadow it."""
    clashes = [
        name
        for name in graph.__all__
        if (PACKAGE / f"{name}.py").exists() or (PACKAGE / name).is_dir()
    ]
    assert clashes == []
    for name in graph.__all__:
        assert not isinstance(getattr(graph, name), type(graph)), name
