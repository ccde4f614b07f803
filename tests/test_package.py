"""The package: public API, fast import, input directory resolution, packaging config."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import graph
from graph import paths

from .conftest import REPO


def test_public_api():
    for name in ("load_graph", "validate", "build", "export", "stats", "query", "list_queries"):
        assert callable(getattr(graph, name)), name
    assert issubclass(graph.KzGraphError, Exception)
    assert graph.__version__


def test_import_is_light():
    code = (
        "import sys, graph; heavy = ['pyshacl', 'owlrl', 'networkx', 'pyvis'];"
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_resolution_order(tmp_path, monkeypatch):
    monkeypatch.delenv("KZGRAPH_HOME", raising=False)
    assert paths.resolve_dir("data", tmp_path) == tmp_path
    assert paths.resolve_dir("data") == REPO / "data"  # the checkout
    monkeypatch.setenv("KZGRAPH_HOME", str(tmp_path))
    assert paths.resolve_dir("ontology") == tmp_path / "ontology"
    assert paths.resolve_dir("ontology", "explicit") == paths.Path("explicit")


def test_packaged_copies_are_the_last_resort(monkeypatch, tmp_path):
    monkeypatch.delenv("KZGRAPH_HOME", raising=False)
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path)
    assert paths.resolve_dir("data") == paths.RESOURCES_DIR / "data"


def test_seeds_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("KZGRAPH_SEEDS", raising=False)
    assert paths.seeds_dir() == REPO.parent / "shared" / "seeds"
    monkeypatch.setenv("KZGRAPH_SEEDS", str(tmp_path))
    assert paths.seeds_dir() == tmp_path


def test_wheel_carries_ontology_and_data():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    include = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert include == {"ontology": "graph/_resources/ontology", "data": "graph/_resources/data"}
    assert config["project"]["scripts"] == {"kzgraph": "graph.cli:main"}
    assert "--strict-markers" in config["tool"]["pytest"]["ini_options"]["addopts"]
