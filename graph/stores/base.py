"""The store interface (:class:`Store`) and the part every Oxigraph-backed store shares.

Every store answers :meth:`Store.query` with a :class:`graph.sparql.results.Answer`, so the
CLI and the server treat them alike. Oxigraph evaluates every query on the memory and Oxigraph
stores; in every store the default graph is the merge of the named graphs (a set of triples).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any, ClassVar, Literal, cast

import pyoxigraph as ox

from graph.prefixes import PREFIXES
from graph.sparql.results import (
    Answer,
    OutputFormat,
    QueryError,
    QuerySyntaxError,
    UpdateRefused,
    check_cap,
    must,
    output_format,
    query_form,
)

if TYPE_CHECKING:
    from graph.sparql.guard import CheckedQuery


StoreKind = Literal["memory", "oxigraph", "endpoint"]
STORE_KINDS: tuple[StoreKind, ...] = ("memory", "oxigraph", "endpoint")


class Store(ABC):
    """A queryable copy of the dataset."""

    kind: ClassVar[StoreKind]
    #: True when the store answers updates (memory and a read-write Oxigraph store).
    writable: bool = False

    @abstractmethod
    def query(self, checked: CheckedQuery, max_rows: int | None = None) -> Answer:
        """Answer a query already parsed and allowed by :func:`graph.sparql.guard.check_query`.

        Raises:
            TooManyRows: the result exceeds ``max_rows``.
            QueryError: the store refused or failed the query.
        """

    def update(self, sparql: str) -> None:
        """Apply a SPARQL Update already allowed by :func:`graph.sparql.guard.check_update`."""
        raise UpdateRefused(f"the {self.kind} store is read-only")

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files or connections."""


# -- Embedded Oxigraph --


class _CountingWriter:
    """A write target for Oxigraph's serialisers that stops once it has seen too many lines."""

    def __init__(self, max_lines: int | None, what: str) -> None:
        self.chunks: list[bytes] = []
        self.lines = 0
        self.max_lines = max_lines
        self.what = what

    def write(self, data: bytes) -> int:
        chunk = bytes(data)
        self.chunks.append(chunk)
        self.lines += chunk.count(b"\n")
        if self.max_lines is not None:
            check_cap(self.lines - (1 if self.what == "rows" else 0), self.max_lines, self.what)
        return len(chunk)

    def flush(self) -> None:
        pass

    def value(self) -> bytes:
        return b"".join(self.chunks)


class _SolutionsAnswer(Answer):
    """A SELECT answer straight from Oxigraph, serialised once, in the first format asked for.

    Without a row cap nothing needs counting while streaming, so the rows go from Oxigraph to
    the requested format in one step (no TSV in between); ``payload`` (TSV) and ``count`` are
    made on demand, also by Oxigraph.
    """

    def __init__(self, solutions: ox.QuerySolutions) -> None:
        self.form = "SELECT"
        self.payload_format = ox.QueryResultsFormat.TSV
        self._solutions: ox.QuerySolutions | None = solutions
        self._data: dict[ox.QueryResultsFormat, bytes] = {}

    def _as(self, fmt: ox.QueryResultsFormat) -> bytes:
        if fmt == ox.QueryResultsFormat.CSV and self._solutions is not None:
            self._as(ox.QueryResultsFormat.TSV)  # CSV cannot be read back: never the only copy
        if fmt not in self._data:
            if self._solutions is not None:
                solutions, self._solutions = self._solutions, None
                self._data[fmt] = must(solutions.serialize(format=fmt))
            else:
                first, data = next(
                    (f, d) for f, d in self._data.items() if f != ox.QueryResultsFormat.CSV
                )
                parsed = ox.parse_query_results(data, format=first)
                self._data[fmt] = must(parsed.serialize(format=fmt))
        return self._data[fmt]

    @property
    def payload(self) -> bytes:  # type: ignore[override]
        return self._as(ox.QueryResultsFormat.TSV)

    @property
    def count(self) -> int:  # type: ignore[override]
        return max(self.payload.count(b"\n") - 1, 0)

    def serialize(self, fmt: str | OutputFormat) -> bytes:
        out = fmt if isinstance(fmt, OutputFormat) else output_format(fmt, self.form)
        assert isinstance(out.native, ox.QueryResultsFormat)
        return self._as(out.native)


def answer_from_oxigraph(
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples,
    form: str,
    max_rows: int | None,
) -> Answer:
    """An :class:`Answer` from an Oxigraph result, serialised by Oxigraph.

    SELECT results become TSV and graphs N-Triples: one row or triple per line, so the cap is
    checked while streaming, before a huge result is held in memory.
    """
    if isinstance(result, ox.QueryBoolean):
        return Answer(
            "ASK",
            must(result.serialize(format=ox.QueryResultsFormat.JSON)),
            ox.QueryResultsFormat.JSON,
            1,
        )
    if isinstance(result, ox.QuerySolutions):
        if max_rows is None:
            return _SolutionsAnswer(result)
        writer = _CountingWriter(max_rows, "rows")
        result.serialize(cast(IO[bytes], writer), format=ox.QueryResultsFormat.TSV)
        data = writer.value()
        return Answer("SELECT", data, ox.QueryResultsFormat.TSV, max(writer.lines - 1, 0))
    writer = _CountingWriter(max_rows, "triples")
    result.serialize(cast(IO[bytes], writer), format=ox.RdfFormat.N_TRIPLES)
    graph_form: Any = "DESCRIBE" if form == "DESCRIBE" else "CONSTRUCT"
    return Answer(graph_form, writer.value(), ox.RdfFormat.N_TRIPLES, writer.lines)


class OxigraphBacked(Store):
    """A store whose queries Oxigraph evaluates in this process (memory and on disk)."""

    kind: ClassVar[StoreKind] = "oxigraph"
    store: ox.Store

    @classmethod
    def over(cls, store: ox.Store, writable: bool = True) -> OxigraphBacked:
        """Wrap a pyoxigraph Store as it is (its own default graph)."""
        wrapped = cls.__new__(cls)
        wrapped.store = store
        wrapped.writable = writable
        return wrapped

    def query(self, checked: CheckedQuery, max_rows: int | None = None) -> Answer:
        return self.run(
            checked.text,
            checked.prefixes,
            max_rows,
            base_iri=checked.base_iri,
            form=checked.form,
            filtered=checked.prefixes is not None,
        )

    def run(
        self,
        text: str,
        prefixes: Mapping[str, str] | None = None,
        max_rows: int | None = None,
        base_iri: str | None = None,
        form: str | None = None,
        filtered: bool = False,
    ) -> Answer:
        """Evaluate ``text`` as it is (no guard: callers in this process are trusted).

        ``prefixes`` are predeclared (default: the canonical map); only those the text spells
        are handed to Oxigraph, which parses every prefix it is given (``filtered``: the guard
        already chose them).
        """
        used = dict(prefixes or {}) if filtered else prefixes_used(text, prefixes)
        try:
            result = self.store.query(text, base_iri=base_iri, prefixes=used)
            return answer_from_oxigraph(result, form or query_form(text), max_rows)
        except SyntaxError as exc:
            raise engine_syntax_error(exc, text) from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise QueryError(f"query failed: {exc}") from None

    def update(self, sparql: str) -> None:
        if not self.writable:
            raise UpdateRefused(f"the {self.kind} store is open read-only")
        try:
            self.store.update(sparql, prefixes=prefixes_used(sparql))
        except SyntaxError as exc:
            raise engine_syntax_error(exc, sparql, update=True) from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise QueryError(f"update failed: {exc}") from None


def engine_syntax_error(exc: SyntaxError, text: str, update: bool = False) -> QuerySyntaxError:
    """Oxigraph's syntax error as one line naming line, column and the token found there."""
    from graph.sparql.syntax import query_syntax_error

    return query_syntax_error(exc, text, update)


def prefixes_used(text: str, prefixes: Mapping[str, str] | None = None) -> dict[str, str]:
    """The predeclared prefixes (default: the canonical map) that ``text`` may use: Oxigraph
    parses every prefix it is given, which costs more than the lookup of one subject, so only
    those spelt ``name:`` are passed."""
    table = PREFIXES if prefixes is None else prefixes
    return {name: iri for name, iri in table.items() if name + ":" in text}
