"""Answers to SPARQL queries: their formats, their errors, and their tables.

The CLI, the stores and the HTTP server share these: :class:`Answer` (what a store returns),
:class:`Results` (what Python users get from :func:`graph.query`), the output formats, and the
:class:`QueryError` family, each with the HTTP status it is answered with.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from typing import Literal as TypingLiteral

import pyoxigraph as ox

from graph.errors import InputError
from graph.prefixes import PREFIXES
from graph.tables import aligned_table
from graph.terminal import printable

if TYPE_CHECKING:
    from rdflib import Graph
    from rdflib.term import Node


Form = TypingLiteral["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
#: An Oxigraph term, as found in solutions and triples.
OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


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


class AnswerTooLarge(QueryError):  # noqa: N818 - named like TooManyRows
    """The serialised answer exceeds the server's byte cap."""

    http_status = 422


class EngineFailure(QueryError):  # noqa: N818 - named like QueryRefused
    """The engine failed in a way no query should cause (a bug): the server answers 500."""

    http_status = 500


class UpdateJournalFull(QueryError):  # noqa: N818 - named like QueryRefused
    """The in-memory store's update journal reached its bound."""

    http_status = 507


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
    Oxigraph; :meth:`solutions` and :meth:`triples` read it back as Oxigraph terms, :meth:`rows`,
    :meth:`boolean` and :meth:`graph` as rdflib terms.
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

    def solutions(self) -> tuple[list[str], list[tuple[OxTerm | None, ...]]]:
        """SELECT variables and rows as Oxigraph terms (None where unbound), in order.

        Every solution is a row, the all-unbound ones included.
        """
        results = self._results()
        if not isinstance(results, ox.QuerySolutions):
            raise TypeError(f"a {self.form} query has no solutions")
        names = [v.value for v in results.variables]
        return names, [tuple(sol[n] for n in names) for sol in results]

    def rows(self) -> list[tuple[Node | None, ...]]:
        """SELECT rows as rdflib terms (None where unbound), in the engine's order."""
        from rdflib import Literal

        if self.form == "ASK":
            return [(Literal(self.boolean()),)]
        if self.is_graph:
            return [(s, p, o) for s, p, o in self.graph()]
        _names, rows = self.solutions()
        return [tuple(None if t is None else to_rdflib(t) for t in row) for row in rows]

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
        from rdflib import Graph

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


def must(data: bytes | None) -> bytes:
    """Serialisers return None only when given a file to write to; we never give one."""
    if data is None:
        raise TypeError("the serialiser wrote nothing")
    return data


def check_cap(count: int, max_rows: int | None, what: str) -> None:
    if max_rows is not None and count > max_rows:
        raise TooManyRows(
            f"the result has more than {max_rows} {what}, this server's cap;"
            " add LIMIT (and OFFSET to page through it)"
        )


# -- Results for Python users --


class Row(tuple):  # type: ignore[type-arg]
    """One solution: the values of the projected variables in order (None where unbound),
    also read by name: ``row.label``, ``row["label"]``, ``row.get("label")``, ``row.asdict()``.
    """

    labels: Mapping[str, int]

    def __new__(cls, values: Sequence[Node | None], labels: Mapping[str, int]) -> Row:
        row = super().__new__(cls, values)
        row.labels = labels
        return row

    def __getattr__(self, name: str) -> Node | None:
        try:
            return tuple.__getitem__(self, self.labels[name])  # type: ignore[no-any-return]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):  # rdflib's Variable is a str too
            return tuple.__getitem__(self, self.labels[str(key)])
        return tuple.__getitem__(self, key)

    def get(self, name: str, default: Any = None) -> Any:
        """The value of ``name``, or ``default`` when unbound or not projected."""
        index = self.labels.get(str(name))
        value = None if index is None else tuple.__getitem__(self, index)
        return default if value is None else value

    def asdict(self) -> dict[str, Node]:
        """The bound variables and their values."""
        return {
            n: v for n, i in self.labels.items() if (v := tuple.__getitem__(self, i)) is not None
        }


class Results:
    """What :func:`query` returns: the answer of a SELECT, ASK, CONSTRUCT or DESCRIBE.

    - SELECT: iterate for :class:`Row` objects (every solution, all-unbound ones included);
      ``vars`` are the projected variable names, ``len()`` counts rows, ``bindings`` gives
      dicts of the bound values.
    - ASK: ``bool(results)`` (also ``askAnswer``); iterating yields the one boolean.
    - CONSTRUCT/DESCRIBE: ``graph`` is an rdflib Graph; iterating yields its triples.
    - Every form: ``serialize("json"|"xml"|"csv"|"tsv")`` for results,
      ``serialize("turtle"|"ntriples"|"jsonld"|"rdfxml"|"trig")`` for graphs, as bytes.

    Values are rdflib terms; ``answer`` is the underlying :class:`Answer` (Oxigraph's
    serialisation) for code that wants Oxigraph terms.
    """

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.type: Form = answer.form
        self._rows: list[Row] | None = None
        self._graph: Graph | None = None

    @property
    def vars(self) -> list[str]:
        """The projected variables of a SELECT, in order (without ``?``)."""
        return self.answer.variables()

    def _solutions(self) -> list[Row]:
        if self._rows is None:
            names, rows = self.answer.solutions()
            labels = {name: i for i, name in enumerate(names)}
            self._rows = [
                Row([None if t is None else to_rdflib(t) for t in row], labels) for row in rows
            ]
        return self._rows

    @property
    def askAnswer(self) -> bool | None:  # noqa: N802 - rdflib's name, kept for familiarity
        """The ASK answer (None for other forms)."""
        return self.answer.boolean() if self.type == "ASK" else None

    @property
    def graph(self) -> Graph | None:
        """A CONSTRUCT/DESCRIBE result as an rdflib Graph (None for other forms)."""
        if not self.answer.is_graph:
            return None
        if self._graph is None:
            self._graph = self.answer.graph()
        return self._graph

    @property
    def bindings(self) -> list[dict[str, Node]]:
        """SELECT solutions as dicts of their bound variables."""
        return [row.asdict() for row in self._solutions()]

    def __iter__(self) -> Iterator[Any]:
        if self.type == "ASK":
            return iter([self.answer.boolean()])
        if self.answer.is_graph:
            assert self.graph is not None
            return iter(self.graph)
        return iter(self._solutions())

    def __len__(self) -> int:
        if self.type == "ASK":
            return 1
        if self.answer.is_graph:
            assert self.graph is not None
            return len(self.graph)
        return len(self._solutions())

    def __bool__(self) -> bool:
        if self.type == "ASK":
            return self.answer.boolean()
        return len(self) > 0

    def serialize(self, format: str = "json") -> bytes:
        """The answer in a named format (see :data:`RESULT_FORMATS` and :data:`GRAPH_FORMATS`)."""
        return self.answer.serialize(format)

    def __repr__(self) -> str:
        return f"<Results {self.type}, {len(self)} {'triples' if self.answer.is_graph else 'rows'}>"


# -- Terms --


def to_rdflib(term: OxTerm) -> Node:
    """An Oxigraph term as the equal rdflib term (plain literals without xsd:string)."""
    from rdflib import BNode, Literal, URIRef

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


def display(term: Any, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """A term (Oxigraph's or rdflib's) as a table cell: prefixed names, literal text with its
    language tag; control characters and bidi overrides shown as escapes, never raw
    (:func:`graph.terminal.printable`)."""
    return printable(_cell(term, prefixes))


def _cell(term: Any, prefixes: Mapping[str, str]) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return shorten(term.value, prefixes)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        return f"{term.value}@{term.language}" if term.language else term.value
    if isinstance(term, ox.Triple):
        parts = (term.subject, term.predicate, term.object)
        return "<< " + " ".join(_cell(t, prefixes) for t in parts) + " >>"
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return shorten(str(term), prefixes)
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        return f"{term}@{term.language}" if term.language else str(term)
    return str(term)


def answer_table(answer: Answer, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """The answer as an aligned table: SELECT rows, ASK's boolean, or a graph's triples."""
    if answer.form == "ASK":
        return aligned_table(["ask"], [["true" if answer.boolean() else "false"]])
    if answer.is_graph:
        header = ["subject", "predicate", "object"]
        rows = sorted(
            [
                display(t.subject, prefixes),
                display(t.predicate, prefixes),
                display(t.object, prefixes),
            ]
            for t in answer.triples()
        )
    else:
        names, solutions = answer.solutions()
        header = [f"?{v}" for v in names]
        rows = [[display(t, prefixes) for t in row] for row in solutions]
    noun = "triple" if answer.is_graph else "row"
    return aligned_table(header, rows) + f"({len(rows)} {noun}{'' if len(rows) == 1 else 's'})\n"


# -- The form of a query --

_FORM_WORD = re.compile(
    r"(?:\s|#[^\r\n]*|(?i:PREFIX)\s*[^\s:]*:\s*<[^>]*>|(?i:BASE)\s*<[^>]*>)*"
    r"(?i:(SELECT|ASK|CONSTRUCT|DESCRIBE))"
)


def query_form(text: str) -> Form:
    """The form of a query, read from its first keyword after the prologue (SELECT if unsure:
    Oxigraph's result type decides between solutions, a boolean and triples anyway)."""
    found = _FORM_WORD.match(text)
    word = found.group(1).upper() if found else "SELECT"
    return word  # type: ignore[return-value]
