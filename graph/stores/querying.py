"""One call to query any source: an rdflib Dataset or Graph, a kzgraph Store, a pyoxigraph Store."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pyoxigraph as ox

from graph.prefixes import PREFIXES

if TYPE_CHECKING:
    from rdflib import Dataset, Graph

    from graph.stores.base import Store
from graph.sparql.results import Results


def query(
    source: Dataset | Graph | Store | ox.Store,
    sparql: str,
    init_ns: Mapping[str, str] | None = None,
) -> Results:
    """Evaluate ``sparql`` with Oxigraph and return its :class:`Results`.

    Args:
        source: an rdflib Dataset or Graph (copied into an in-memory Oxigraph store for the
            query: for many queries on one dataset, open a :class:`graph.stores.memory.MemoryStore`
            once and pass that), a kzgraph Store, or a pyoxigraph Store.
        sparql: a SPARQL 1.1 query; ``PREFIX`` lines in it win over ``init_ns``.
        init_ns: prefixes available without declaring them; default the canonical map.

    Raises:
        QuerySyntaxError: the query does not parse (an InputError: the CLI exits 2).
        QueryError: the engine failed to evaluate it.
    """
    from graph.stores.base import OxigraphBacked, Store
    from graph.stores.memory import MemoryStore

    prefixes = dict(PREFIXES if init_ns is None else init_ns)
    if isinstance(source, OxigraphBacked):
        answer = source.run(sparql, prefixes)
    elif isinstance(source, Store):
        from graph.sparql.guard import check_query

        answer = source.query(check_query(sparql))
    elif isinstance(source, ox.Store):
        answer = OxigraphBacked.over(source).run(sparql, prefixes)
    else:
        answer = MemoryStore(source).run(sparql, prefixes)
    return Results(answer)
