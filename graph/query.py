"""Run SPARQL and format its answers; the CLI, the stores and the HTTP server all use this.

:func:`query` evaluates a query on an rdflib Dataset (the default graph is the union of the named
graphs: datasets are loaded with ``default_union=True``; ``GRAPH ?g { ... }`` reaches each one).
The stores of :mod:`graph.stores` return an :class:`Answer`: the query's form and its result in
one standard serialisation, from which every output format is written by Oxigraph's serialisers
(so the same result reads the same whatever store produced it) and rdflib terms are read back
for tables and comparisons.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal as TypingLiteral
from typing import cast

import pyoxigraph as ox
from pyparsing import ParseBaseException
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.query import Result, ResultRow
from rdflib.term import Node

from graph.errors import InputError
from graph.namespaces import PREFIXES
from graph.terminal import printable

Form = TypingLiteral["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


# -- Errors with their HTTP status --


class QueryError(InputError):
    """A query that cannot be answered; ``http_status`` is what the server answers with."""

    http_status = 400


class QuerySyntaxError(QueryError):
    """The query does not parse; the message names line and column."""

    http_status = 400


class QueryRefused(QueryError):  # noqa: N818 - named like ValidationFailed
    """The query would reach outside the dataset (SERVICE, FROM of a foreign IRI, LOAD)."""

    http_status = 403


class UpdateRefused(QueryError):  # noqa: N818 - named like ValidationFailed
    """SPARQL Update on a read-only server or store."""

    http_status = 403


class TooManyRows(QueryError):  # noqa: N818 - named like ValidationFailed
    """The result has more rows (or triples) than the cap."""

    http_status = 422


class QueryTimeout(QueryError):  # noqa: N818 - named like ValidationFailed
    """The query ran longer than the time limit and its worker was stopped."""

    exit_code = 1
    http_status = 503


class StoreUnavailable(QueryError):  # noqa: N818 - named like ValidationFailed
    """The store (a remote endpoint, a busy worker pool) cannot answer now."""

    exit_code = 1
    http_status = 503


# -- Formats --


@dataclass(frozen=True)
class OutputFormat:
    """One serialisation of query results: its name on the command line and its media type."""

    name: str
    media_type: str
    native: ox.QueryResultsFormat | ox.RdfFormat
    extension: str


RESULT_FORMATS: dict[str, OutputFormat] = {
    f.name: f
    for f in (
        OutputFormat("json", "application/sparql-results+json", ox.QueryResultsFormat.JSON, "srj"),
        OutputFormat("xml", "application/sparql-results+xml", ox.QueryResultsFormat.XML, "srx"),
        OutputFormat("csv", "text/csv", ox.QueryResultsFormat.CSV, "csv"),
        OutputFormat("tsv", "text/tab-separated-values", ox.QueryResultsFormat.TSV, "tsv"),
    )
}
GRAPH_FORMATS: dict[str, OutputFormat] = {
    f.name: f
    for f in (
        OutputFormat("turtle", "text/turtle", ox.RdfFormat.TURTLE, "ttl"),
        OutputFormat("ntriples", "application/n-triples", ox.RdfFormat.N_TRIPLES, "nt"),
        OutputFormat("jsonld", "application/ld+json", ox.RdfFormat.JSON_LD, "jsonld"),
        OutputFormat("rdfxml", "application/rdf+xml", ox.RdfFormat.RDF_XML, "rdf"),
        OutputFormat("trig", "application/trig", ox.RdfFormat.TRIG, "trig"),
    )
}


def output_format(name: str, form: Form) -> OutputFormat:
    """The format called ``name`` if it suits a query of ``form``, else an InputError."""
    table = GRAPH_FORMATS if form in ("CONSTRUCT", "DESCRIBE") else RESULT_FORMATS
    if name not in table:
        raise InputError(
            f"format {name!r} does not fit a {form} query (use one of: {', '.join(table)})"
        )
    return table[name]


# -- Answers --


class Answer:
    """The answer to one query: its form plus the result in a standard serialisation.

    ``payload`` is SPARQL results (``payload_format`` a QueryResultsFormat) for SELECT and ASK,
    RDF triples (an RdfFormat) for CONSTRUCT and DESCRIBE. Other formats are produced from it by
    Oxigraph; :meth:`rows`, :meth:`boolean` and :meth:`graph` read it back as rdflib terms.
    """

    def __init__(
        self,
        form: Form,
        payload: bytes,
        payload_format: ox.QueryResultsFormat | ox.RdfFormat,
        count: int,
    ) -> None:
        self.form = form
        self.payload = payload
        self.payload_format = payload_format
        self.count = count  # rows, triples, or 1 for ASK

    @property
    def is_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")

    def _results(self) -> ox.QuerySolutions | ox.QueryBoolean:
        assert isinstance(self.payload_format, ox.QueryResultsFormat)
        try:
            return ox.parse_query_results(self.payload, format=self.payload_format)
        except (SyntaxError, ValueError) as exc:
            raise QueryError(f"the store gave a result that cannot be read: {exc}") from None

    def variables(self) -> list[str]:
        """The projected variables of a SELECT (without ``?``); empty for other forms."""
        if self.form != "SELECT":
            return []
        results = self._results()
        assert isinstance(results, ox.QuerySolutions)
        return [v.value for v in results.variables]

    def rows(self) -> list[tuple[Node | None, ...]]:
        """SELECT rows as rdflib terms (None where unbound), in the engine's order."""
        if self.form == "ASK":
            return [(Literal(self.boolean()),)]
        if self.is_graph:
            return [(s, p, o) for s, p, o in self.graph()]
        results = self._results()
        assert isinstance(results, ox.QuerySolutions)
        names = [v.value for v in results.variables]
        return [
            tuple(None if sol[n] is None else to_rdflib(sol[n]) for n in names) for sol in results
        ]

    def boolean(self) -> bool:
        """The answer to an ASK query."""
        results = self._results()
        if not isinstance(results, ox.QueryBoolean):
            raise TypeError(f"a {self.form} query has no boolean answer")
        return bool(results)

    def triples(self) -> Iterator[ox.Triple]:
        assert isinstance(self.payload_format, ox.RdfFormat)
        try:
            quads = list(ox.parse(self.payload, format=self.payload_format))
        except (SyntaxError, ValueError) as exc:
            raise QueryError(f"the store gave a graph that cannot be read: {exc}") from None
        for quad in quads:
            yield quad.triple

    def graph(self) -> Graph:
        """CONSTRUCT/DESCRIBE result as an rdflib Graph with the canonical prefixes bound."""
        g = Graph(bind_namespaces="none")
        for prefix, iri in PREFIXES.items():
            g.bind(prefix, iri)
        for t in self.triples():
            g.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        return g

    def serialize(self, fmt: str | OutputFormat) -> bytes:
        """The answer in ``fmt`` (a name from RESULT_FORMATS / GRAPH_FORMATS or a format)."""
        out = fmt if isinstance(fmt, OutputFormat) else output_format(fmt, self.form)
        if out.native == self.payload_format:
            return self.payload
        if self.is_graph:
            assert isinstance(out.native, ox.RdfFormat)
            return must(ox.serialize(self.triples(), format=out.native, prefixes=PREFIXES))
        assert isinstance(out.native, ox.QueryResultsFormat)
        return must(self._results().serialize(format=out.native))


def answer_from_media(form: Form, payload: bytes, media_type: str, count: int) -> Answer:
    """An :class:`Answer` from its parts, the payload's format named by its media type."""
    native: ox.QueryResultsFormat | ox.RdfFormat | None
    if form in ("CONSTRUCT", "DESCRIBE"):
        native = ox.RdfFormat.from_media_type(media_type)
    else:
        native = ox.QueryResultsFormat.from_media_type(media_type)
    if native is None:
        raise ValueError(f"unknown payload format {media_type}")
    return Answer(form, payload, native, count)


def answer_from_rdflib(result: Result, max_rows: int | None = None) -> Answer:
    """An :class:`Answer` from an rdflib Result (SELECT as JSON, graphs as N-Triples)."""
    if result.type == "ASK":
        body = b'{"head":{},"boolean":%s}' % (b"true" if result.askAnswer else b"false")
        return Answer("ASK", body, ox.QueryResultsFormat.JSON, 1)
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        assert result.graph is not None
        count = len(result.graph)
        check_cap(count, max_rows, "triples")
        data = result.graph.serialize(format="nt", encoding="utf-8")
        form: Form = "DESCRIBE" if result.type == "DESCRIBE" else "CONSTRUCT"
        return Answer(form, data, ox.RdfFormat.N_TRIPLES, count)
    rows = list(_take(result, max_rows))
    check_cap(len(rows), max_rows, "rows")
    # rdflib's result is a lazy generator; serialise what we counted, not the exhausted original
    capped = Result("SELECT")
    capped.vars = result.vars
    names = list(result.vars or [])
    capped.bindings = [
        {var: val for var, val in zip(names, cast(ResultRow, row), strict=True) if val is not None}
        for row in rows
    ]
    body = must(capped.serialize(format="json"))
    return Answer("SELECT", body, ox.QueryResultsFormat.JSON, len(rows))


def must(data: bytes | None) -> bytes:
    """Serialisers return None only when given a file to write to; we never give one."""
    if data is None:
        raise TypeError("the serialiser wrote nothing")
    return data


def _take(result: Result, max_rows: int | None) -> Iterable[object]:
    for i, row in enumerate(result):
        if max_rows is not None and i > max_rows:
            break
        yield row


def check_cap(count: int, max_rows: int | None, what: str) -> None:
    if max_rows is not None and count > max_rows:
        raise TooManyRows(
            f"the result has more than {max_rows} {what}, this server's cap;"
            " add LIMIT (and OFFSET to page through it)"
        )


# -- Terms --


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Node:
    """An Oxigraph term as the equal rdflib term (plain literals without xsd:string)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    return Literal(str(term))  # RDF-star triple terms: shown, not modelled by rdflib


_LOCAL = re.compile(r"[A-Za-z0-9_]([\w.-]*[\w-])?|")


def shorten(iri: str, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """``iri`` as a prefixed name when a prefix covers it with a plain local part."""
    best: tuple[str, str] | None = None
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and (best is None or len(ns) > len(best[1])):
            local = iri[len(ns) :]
            if _LOCAL.fullmatch(local):
                best = (prefix, ns)
    if best is None:
        return f"<{iri}>"
    return f"{best[0]}:{iri[len(best[1]) :]}"


def display(term: Node | None, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """A term as a table cell: prefixed names, literal text with its language tag."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return shorten(str(term), prefixes)
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        text = printable(str(term))  # escapes, never raw control characters (issue 17)
        return f"{text}@{term.language}" if term.language else text
    return str(term)


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An aligned plain-text table with a rule under the header."""
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines) + "\n"


def answer_table(answer: Answer, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """The answer as an aligned table: SELECT rows, ASK's boolean, or a graph's triples."""
    if answer.form == "ASK":
        return format_table(["ask"], [["true" if answer.boolean() else "false"]])
    if answer.is_graph:
        header = ["subject", "predicate", "object"]
        rows = sorted([display(t, prefixes) for t in triple] for triple in answer.rows())
    else:
        header = [f"?{v}" for v in answer.variables()]
        rows = [[display(t, prefixes) for t in row] for row in answer.rows()]
    noun = "triple" if answer.is_graph else "row"
    return format_table(header, rows) + f"({len(rows)} {noun}{'' if len(rows) == 1 else 's'})\n"


# -- Parsing --


def syntax_error(exc: ParseBaseException) -> QuerySyntaxError:
    """The parser's message with line and column, as one line."""
    found = re.sub(r"\s*\(at char \d+\),\s*\(line:\d+, col:\d+\)", "", str(exc)).strip()
    return QuerySyntaxError(f"bad SPARQL at line {exc.lineno}, column {exc.col}: {found}")


def query(
    ds: Dataset | Graph,
    sparql: str,
    init_ns: Mapping[str, str] | None = None,
) -> Result:
    """Evaluate ``sparql`` on ``ds`` and return rdflib's Result.

    Args:
        ds: the dataset (or any graph).
        sparql: a SPARQL 1.1 query; ``PREFIX`` lines in it win over ``init_ns``.
        init_ns: prefixes available without declaring them; default the canonical map.

    Raises:
        QuerySyntaxError: the query does not parse (an InputError: the CLI exits 2).
    """
    namespaces = dict(PREFIXES if init_ns is None else init_ns)
    try:
        return ds.query(sparql, initNs=namespaces)
    except ParseBaseException as exc:
        raise syntax_error(exc) from None
    except Exception as exc:
        # rdflib raises a bare Exception for an undeclared prefix: the user's mistake, not ours
        if str(exc).startswith("Unknown namespace prefix"):
            raise QuerySyntaxError(f"bad SPARQL: {exc}") from None
        raise
