"""kzgraph: an open RDF knowledge graph whose every fact carries its evidence.

The public API. rdflib is imported here; the heavy libraries (pyshacl, owlrl, networkx, pyvis)
only inside the functions that need them. Note that ``graph.export``, ``graph.validate``,
``graph.build``, ``graph.stats`` and ``graph.query`` name the *functions* below; reach the
modules with ``from graph.export import ...``.
"""

from __future__ import annotations

__version__ = "0.1.0"

import sys
import types
from typing import TYPE_CHECKING, Any

from graph.errors import InputError, KzGraphError, ValidationFailed

# The rest of the API is imported on first use (PEP 562), so that a command such as
# `kzgraph query` loads only the modules it needs and starts fast.
_LAZY = {
    "centrality": "graph.analysis",
    "format_paths": "graph.analysis",
    "format_timeline": "graph.analysis",
    "plot_timeline": "graph.analysis",
    "shortest_paths": "graph.analysis",
    "timeline": "graph.analysis",
    "build": "graph.build",
    "list_queries": "graph.catalogue",
    "export": "graph.export",
    "load_graph": "graph.load",
    "neighbourhood": "graph.network",
    "query_network": "graph.network",
    "to_networkx": "graph.network",
    "query": "graph.query",
    "resolve": "graph.resolve",
    "stats": "graph.stats",
    "validate": "graph.validate",
    "render": "graph.view",
    "view_for": "graph.view",
}

if TYPE_CHECKING:
    from graph.analysis import (
        centrality,
        format_paths,
        format_timeline,
        plot_timeline,
        shortest_paths,
        timeline,
    )
    from graph.build import build
    from graph.catalogue import list_queries
    from graph.errors import InputError, KzGraphError, ValidationFailed
    from graph.export import export
    from graph.load import load_graph
    from graph.network import neighbourhood, query_network, to_networkx
    from graph.query import query
    from graph.resolve import resolve
    from graph.stats import stats
    from graph.validate import validate
    from graph.view import render, view_for


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'graph' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


class _Api(types.ModuleType):
    """Keeps ``graph.query``, ``graph.export``, ... naming the functions, not the modules.

    Importing a submodule sets it as an attribute of its package; for the API functions that
    share their module's name, that would replace the function, so it is ignored here.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == f"{__name__}.{name}":
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Api


__all__ = [
    "InputError",
    "KzGraphError",
    "ValidationFailed",
    "__version__",
    "build",
    "centrality",
    "export",
    "format_paths",
    "format_timeline",
    "list_queries",
    "load_graph",
    "neighbourhood",
    "plot_timeline",
    "query",
    "query_network",
    "render",
    "resolve",
    "shortest_paths",
    "stats",
    "timeline",
    "to_networkx",
    "validate",
    "view_for",
]
