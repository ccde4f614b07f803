"""The notebooks: committed without outputs, public API only, and every cell runs (nbclient).

Each notebook ends by computing its conclusion from its own results; the test checks that the
conclusion is there and non-empty, and a failing cell fails the test with the cell's error.
"""

from __future__ import annotations

import re

import pytest

from .conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
nbformat = pytest.importorskip("nbformat")


def test_the_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == [
        "01-getting-started.ipynb",
        "02-exploring-the-network.ipynb",
        "03-provenance-and-claims.ipynb",
        "04-linking-out.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs_and_using_the_public_api_only(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    source = "\n".join(c.source for c in code)
    assert "import graph" in source
    # `graph.<module>.` or `from graph.<module> import` would reach past the public API
    assert not re.search(r"from graph\.|import graph\.", source)
    public = set(__import__("graph").__all__)
    used = set(re.findall(r"\bgraph\.(\w+)", source))
    assert used <= public, used - public
    assert notebook.cells[0].cell_type == "markdown" and notebook.cells[0].source.startswith("# ")
    assert (
        "conclusion" in notebook.cells[-1].source
        and "display(Markdown(" in notebook.cells[-1].source
    )


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_concludes(path):
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    outputs = notebook.cells[-1].outputs
    conclusion = "".join(o.get("data", {}).get("text/markdown", "") for o in outputs)
    assert len(conclusion) > 80, conclusion
