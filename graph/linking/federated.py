"""Federated queries: a catalogue query with ``SERVICE`` clauses, run through
:func:`graph.query` after the query guard (:mod:`graph.sparql.guard`) checked every service
against an allow-list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

from rdflib import Dataset, Graph, URIRef
from rdflib.term import Node

from graph.linking.targets import LINK_PROPERTIES
from graph.namespaces import BASE
from graph.sparql.results import Results

_SERVICE = re.compile(r"(?i)\bSERVICE\s+(SILENT\s+)?<([^>\s]*)>")


def services_in(sparql: str) -> list[str]:
    """The endpoints a query calls with ``SERVICE <...>``, in order of appearance."""
    return [m.group(2) for m in _SERVICE.finditer(_strip_comments_and_strings(sparql))]


def _strip_comments_and_strings(sparql: str) -> str:
    # blank out string literals and comments so a SERVICE inside them is not counted
    pattern = re.compile(
        r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|#[^\n]*'
    )
    return pattern.sub(lambda m: " " * len(m.group(0)), sparql)


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


def iter_link_triples(ds: Dataset | Graph) -> Iterator[tuple[URIRef, URIRef, URIRef]]:
    """Link triples from entities of this graph to other datasets."""
    for p in LINK_PROPERTIES:
        for s, o in ds.subject_objects(p):
            if is_project_iri(s) and isinstance(o, URIRef) and not is_project_iri(o):
                yield s, p, o  # type: ignore[misc]
