"""kzgraph: an open RDF knowledge graph whose every fact carries its evidence.

The public API. rdflib is imported here; the heavy libraries (pyshacl, owlrl, networkx, pyvis)
only inside the functions that need them. Note that ``graph.export``, ``graph.validate``,
``graph.build``, ``graph.stats`` and ``graph.query`` name the *functions* below; reach the
modules with ``from graph.export import ...``.
"""

from __future__ import annotations

__version__ = "0.1.0"

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

__all__ = [
    "InputError",
    "KzGraphError",
    "ValidationFailed",
    "__version__",
    "build",
    "export",
    "list_queries",
    "load_graph",
    "neighbourhood",
    "query",
    "query_network",
    "render",
    "resolve",
    "stats",
    "to_networkx",
    "validate",
    "view_for",
]
