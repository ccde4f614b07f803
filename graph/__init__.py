"""kzgraph: an open RDF knowledge graph whose every fact carries its evidence.

The public API, and only that: each name below is a function or class of the stage that owns it
(see docs/architecture.md). They are imported on first use (PEP 562), so that a command such as
``kzgraph query`` loads only the modules it needs and starts fast; the heavy libraries (rdflib,
pyshacl, owlrl, networkx, pyvis) load only with the functions that need them.
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

from graph.errors import InputError, KzGraphError, ValidationFailed

#: Each public name and the module that defines it.
_API = {
    "load_graph": "graph.inputs.reading",
    "export": "graph.inputs.writing",
    "list_queries": "graph.sparql.catalogue",
    "query": "graph.stores.querying",
    "validate": "graph.pipeline.validation",
    "stats": "graph.pipeline.statistics",
    "build": "graph.pipeline.build",
    "resolve": "graph.explore.resolve",
    "neighbourhood": "graph.explore.network",
    "query_network": "graph.explore.network",
    "to_networkx": "graph.explore.network",
    "render": "graph.explore.view",
    "view_for": "graph.explore.view",
    "centrality": "graph.explore.analysis",
    "format_paths": "graph.explore.analysis",
    "format_timeline": "graph.explore.analysis",
    "plot_timeline": "graph.explore.analysis",
    "shortest_paths": "graph.explore.analysis",
    "timeline": "graph.explore.analysis",
}

if TYPE_CHECKING:
    from graph.explore.analysis import (
        centrality,
        format_paths,
        format_timeline,
        plot_timeline,
        shortest_paths,
        timeline,
    )
    from graph.explore.network import neighbourhood, query_network, to_networkx
    from graph.explore.resolve import resolve
    from graph.explore.view import render, view_for
    from graph.inputs.reading import load_graph
    from graph.inputs.writing import export
    from graph.pipeline.build import build
    from graph.pipeline.statistics import stats
    from graph.pipeline.validation import validate
    from graph.sparql.catalogue import list_queries
    from graph.stores.querying import query


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'graph' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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
