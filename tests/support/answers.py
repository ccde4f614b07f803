"""SPARQL answers compared across engines: the freedoms SPARQL 1.1 leaves them taken out, and
the catalogue split into what runs on the dataset alone and what needs SERVICE."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from rdflib import Literal
from rdflib.term import Node


def separators(query: str) -> list[str]:
    """The GROUP_CONCAT separators a query uses (SPARQL's default is a space)."""
    found = re.findall(r'SEPARATOR\s*=\s*"((?:[^"\\]|\\.)*)"', query, flags=re.IGNORECASE)
    if re.search(r"GROUP_CONCAT", query, flags=re.IGNORECASE) and not found:
        found = [" "]
    return found


def normalise(rows: Sequence[Sequence[Node | None]], query: str) -> Counter[tuple[object, ...]]:
    """Rows as a multiset, with the one freedom SPARQL 1.1 leaves engines taken out: the order
    of GROUP_CONCAT's values is undefined (SPARQL 1.1, 18.5.1.7), so string literals of a query
    using GROUP_CONCAT compare as the sorted list of their parts (with their tag or datatype).
    """
    seps = separators(query)

    def norm(term: Node | None) -> object:
        if seps and isinstance(term, Literal) and (term.language or term.datatype is None):
            parts = [str(term)]
            for sep in seps:
                parts = [piece for part in parts for piece in part.split(sep)]
            return ("concat", tuple(sorted(parts)), term.language)
        return term

    return Counter(tuple(norm(t) for t in row) for row in rows)


def split_catalogue() -> tuple[list[Any], list[Any]]:
    """The catalogue queries that run on the dataset alone, and those that need SERVICE.

    The federated ones are refused under the default policy, so they are tested for that.
    """
    from graph.sparql.catalogue import list_queries
    from graph.sparql.guard import check_query
    from graph.sparql.results import QueryRefused

    local, federated = [], []
    for entry in list_queries():
        try:
            check_query(entry.text)
            local.append(entry)
        except QueryRefused:
            federated.append(entry)
    return local, federated
