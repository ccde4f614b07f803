"""Federated queries: a catalogue query with ``SERVICE`` clauses, run through
:func:`graph.query` after the query guard (:mod:`graph.sparql.guard`) checked every service
against an allow-list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from rdflib import Dataset, Graph, URIRef
from rdflib.term import Node

from graph.namespaces import BASE
from graph.sparql.results import Results

_SERVICE = re.compile(r"(?i)\bSERVICE\s+(SILENT\s+)?<([^>\s]*)>")


def federated_query(
    ds: Dataset | Graph,
    sparql: str,
    allow: Iterable[str],
    endpoints: Mapping[str, str] | None = None,
) -> Results:
    """Run ``sparql`` through :func:`graph.query` if every SERVICE it calls is allowed.

    The allow-list is enforced by the query guard (:func:`graph.sparql.guard.check_query`), on the
    query as written and on the query actually run.

    Args:
        ds: the dataset.
        sparql: the query; its SERVICE IRIs are the logical endpoints (e.g. Wikidata's).
        allow: the endpoint allow-list; a SERVICE not on it is refused before anything runs.
        endpoints: optional redirection of logical endpoints to the URL actually called
            (a mirror, or a local test server); both must be on the allow-list.

    Raises:
        QueryRefused: a SERVICE endpoint is not on the allow-list (an InputError).
    """
    from graph.sparql.guard import Policy, check_query
    from graph.stores.querying import query

    policy = Policy(allowed_services=tuple(sorted(set(allow))))
    mapping = dict(endpoints or {})

    def redirect(match: re.Match[str]) -> str:
        silent = match.group(1) or ""
        return f"SERVICE {silent}<{mapping.get(match.group(2), match.group(2))}>"

    rewritten = _SERVICE.sub(redirect, sparql) if mapping else sparql
    check_query(sparql, policy)
    # run exactly the text the guard checked (its escapes expanded, its line ends made LF)
    return query(ds, check_query(rewritten, policy).text)


def is_project_iri(term: Node) -> bool:
    return isinstance(term, URIRef) and term.startswith(BASE)
