"""The fixed table of operations a sandboxed process runs for the server's pages and endpoint.

Each operation takes the open store and the policy: SPARQL queries and updates (checked by
:mod:`graph.sparql.guard` first), entity pages, the view, the finding aids, the ontology and
VoID pages. :mod:`graph.serving.sandbox` runs them in a locked-down process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graph.sparql.results import (
    AnswerTooLarge,
    QueryError,
    output_format,
)
from graph.stores.base import Store

if TYPE_CHECKING:  # rdflib loads only when a query needs the full check
    pass
from graph.sparql.guard import CheckedQuery, Policy, check_query, check_update

#: Query texts longer than this are checked without the guard's cache, so that a cache keyed on
#: request text holds at most 512 short texts (distinct 99 KB POSTs would fill memory).
CACHED_TEXT_CHARS = 4096


def _check(text: str, policy: Policy) -> CheckedQuery:
    if len(text) > CACHED_TEXT_CHARS:
        return check_query.__wrapped__(text, policy)
    return check_query(text, policy)


def _capped(data: bytes, max_bytes: int | None) -> bytes:
    if max_bytes is not None and len(data) > max_bytes:
        raise AnswerTooLarge(
            f"the answer is larger than the server's cap of {max_bytes:,} bytes and was"
            " stopped; select fewer or shorter values, or add LIMIT"
        )
    return data


def run_op(
    store: Store, policy: Policy, op: str, args: tuple[Any, ...], max_bytes: int | None = None
) -> Any:
    """The operations a server offers its pages and endpoint (a fixed table).

    ``max_bytes`` caps the serialised answer of ``query`` (the engine's own payload is checked
    before it is converted, so an oversized answer is never serialised twice).
    """
    if op == "query":
        text, result_fmt, graph_fmt, max_rows = args
        checked = _check(text, policy)
        answer = store.query(checked, max_rows)
        if max_bytes is not None:
            _capped(answer.payload, max_bytes)
        out = output_format(graph_fmt if answer.is_graph else result_fmt, answer.form)
        return answer.form, out.media_type, _capped(answer.serialize(out), max_bytes), answer.count
    if op == "answer":
        text, max_rows = args
        answer = store.query(_check(text, policy), max_rows)
        return answer.form, answer.payload, answer.payload_format.media_type, answer.count
    if op == "update":
        (text,) = args
        store.update(check_update(text, policy))
        return None
    if op == "entity":
        from graph.serving.entity import describe_entity

        return describe_entity(store, *args)
    if op == "entity_rdf":
        from graph.serving.entity import entity_rdf

        return entity_rdf(store, *args)
    if op == "view":
        from graph.explore.view import served_view

        focus, depth, text, lang, base, max_rows = args
        view_query = check_query(text, policy) if text else None
        return served_view(
            store,
            base=base,
            focus=focus,
            depth=depth,
            query=view_query,
            max_rows=max_rows,
            lang=lang,
        )
    if op == "languages":
        from graph.serving.entity import label_languages

        return label_languages(store)
    if op in ("search", "index", "did_you_mean"):  # the web pages' finding aids
        from graph.serving.search import did_you_mean, index, search

        aids: dict[str, Callable[..., Any]] = {
            "search": search,
            "index": index,
            "did_you_mean": did_you_mean,
        }
        return aids[op](store, *args)
    if op == "ontology_doc":
        from graph.serving.ontology_doc import document

        return document(store, *args)
    if op == "void_page":
        from graph.pipeline.void import summary

        return summary(store, *args)
    if op == "sleep":  # for tests of the time limit without a pathological query
        time.sleep(float(args[0]))
        return None
    raise QueryError(f"unknown operation {op!r}")
