"""Where the graph lives when it is queried: one small interface, three stores.

- ``memory``: an rdflib Dataset built from the curated files (the default, nothing to set up).
- ``oxigraph``: an embedded, persistent Oxigraph store in a directory (pyoxigraph), loaded with
  Oxigraph's own N-Quads parser and reloaded when the curated files change; large files go in
  with ``kzgraph load`` (:mod:`graph.bulkload`: all or nothing, the directory's layout).
- ``endpoint``: any SPARQL 1.1 endpoint over HTTP (Oxigraph server, Virtuoso, Fuseki, ...),
  queried with SPARQLWrapper.

In every store the default graph is the merge of the named graphs (a set of triples): rdflib's
union view in memory; a merged copy in the default graph of an Oxigraph store and of what
:func:`publish` writes. (Virtuoso's default graph is the union of all its graphs anyway.)

Every store answers :meth:`Store.query` with a :class:`graph.query.Answer`, so the CLI and the
server treat them alike. :func:`publish` copies the dataset to an endpoint through the SPARQL 1.1
Graph Store Protocol, one named graph at a time.
"""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar, Literal, cast

import pyoxigraph as ox

from graph.errors import InputError
from graph.namespaces import PREFIXES
from graph.query import (
    Answer,
    OutputFormat,
    QueryError,
    QuerySyntaxError,
    StoreUnavailable,
    UpdateRefused,
    answer_from_rdflib,
    check_cap,
    must,
    output_format,
)

if TYPE_CHECKING:
    from rdflib import Dataset

    from graph.sandbox import CheckedQuery

StoreKind = Literal["memory", "oxigraph", "endpoint"]
STORE_KINDS: tuple[StoreKind, ...] = ("memory", "oxigraph", "endpoint")
#: Written with an Oxigraph store's content: the fingerprint of the files it was loaded from.
FINGERPRINT_FILE = "kzgraph-source.json"
#: The name :func:`load_oxigraph` records for the curated graph among a store's loaded inputs.
CURATED = "curated graph"


@dataclass(frozen=True)
class StoreSpec:
    """How to open a store; small and picklable, so query workers can open their own copy."""

    kind: StoreKind = "memory"
    location: str | None = None
    endpoint: str | None = None
    ontology_dir: str | None = None
    data_dir: str | None = None
    read_only: bool = True
    http_timeout: float = 60.0
    extra: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        if self.kind == "oxigraph":
            return f"Oxigraph store in {self.location}"
        if self.kind == "endpoint":
            return f"SPARQL endpoint {self.endpoint}"
        return "in-memory graph (rdflib)"


class Store(ABC):
    """A queryable copy of the dataset."""

    kind: ClassVar[StoreKind]
    #: True when the store answers updates (memory and a read-write Oxigraph store).
    writable: bool = False
    #: False when the store parses queries itself, so the guard may skip rdflib's parse of a
    #: query it can clear by reading it (see :func:`graph.sandbox.check_query`).
    needs_algebra: ClassVar[bool] = True

    @abstractmethod
    def query(self, checked: CheckedQuery, max_rows: int | None = None) -> Answer:
        """Answer a query already parsed and allowed by :func:`graph.sandbox.check_query`.

        Raises:
            TooManyRows: the result exceeds ``max_rows``.
            QueryError: the store refused or failed the query.
        """

    def update(self, sparql: str) -> None:
        """Apply a SPARQL Update already allowed by :func:`graph.sandbox.check_update`."""
        raise UpdateRefused(f"the {self.kind} store is read-only")

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files or connections."""


# -- In memory (rdflib) --


class MemoryStore(Store):
    """The rdflib Dataset in this process; the default graph is the union of the graphs."""

    kind = "memory"
    writable = True

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def query(self, checked: CheckedQuery, max_rows: int | None = None) -> Answer:
        # rdflib fetches FROM/FROM NAMED IRIs over the network unless told not to; the guard
        # already refused foreign ones, this keeps our own graph names local lookups
        import rdflib.plugins.sparql as rdflib_sparql

        rdflib_sparql.SPARQL_LOAD_GRAPHS = False
        try:
            result = self.dataset.query(checked.parsed)
        except QueryError:
            raise
        except Exception as exc:  # evaluation errors (type errors are not exceptions in SPARQL)
            raise QueryError(f"query failed: {exc}") from None
        return answer_from_rdflib(result, max_rows)

    def update(self, sparql: str) -> None:
        from graph.namespaces import PREFIXES

        self.dataset.update(sparql, initNs=dict(PREFIXES))


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


class OxigraphStore(Store):
    """An embedded Oxigraph store on disk, queried in-process with pyoxigraph."""

    kind = "oxigraph"
    needs_algebra = False

    def __init__(self, location: str | os.PathLike[str], read_only: bool = True) -> None:
        from graph.bulkload import store_dir

        self.location = Path(location)
        database = store_dir(self.location)  # the active generation of a kzgraph store
        try:
            self.store = ox.Store.read_only(str(database)) if read_only else ox.Store(str(database))
        except OSError as exc:
            raise InputError(f"cannot open the Oxigraph store: {exc}", self.location) from None
        self.writable = not read_only

    def query(self, checked: CheckedQuery, max_rows: int | None = None) -> Answer:
        try:
            result = self.store.query(
                checked.text,
                base_iri=checked.base_iri,
                prefixes=(
                    dict(checked.prefixes)
                    if checked.prefixes is not None
                    else prefixes_used(checked.text)
                ),
            )
            return answer_from_oxigraph(result, checked.form, max_rows)
        except SyntaxError as exc:
            from graph.syntax import query_syntax_error

            raise query_syntax_error(exc, checked.text) from None
        except OSError as exc:
            raise QueryError(f"query failed: {exc}") from None

    def update(self, sparql: str) -> None:
        if not self.writable:
            raise UpdateRefused("the Oxigraph store is open read-only")
        self.store.update(sparql, prefixes=dict(PREFIXES))

    def close(self) -> None:
        if self.writable:
            self.store.flush()
        del self.store


def prefixes_used(text: str) -> dict[str, str]:
    """The predeclared prefixes that ``text`` may use: Oxigraph parses every prefix it is given,
    which costs more than the lookup of one subject, so only those spelt ``name:`` are passed."""
    return {name: iri for name, iri in PREFIXES.items() if name + ":" in text}


def source_fingerprint(ontology_dir: str | None, data_dir: str | None) -> str:
    """A hash of the curated files and their names: a store loaded from them carries it."""
    from graph.load import ontology_files
    from graph.paths import resolve_dir

    ont = resolve_dir("ontology", ontology_dir)
    dat = resolve_dir("data", data_dir)
    digest = hashlib.sha256()
    files = ontology_files(ont) + sorted(dat.glob("*.trig")) + sorted(dat.glob("*.ttl"))
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def load_oxigraph(
    location: str | os.PathLike[str],
    ontology_dir: str | None = None,
    data_dir: str | None = None,
    force: bool = False,
) -> bool:
    """Fill the Oxigraph store at ``location`` from the curated files unless it is current.

    The dataset is read by :func:`graph.load_graph` (so the loader's rules apply), written as
    N-Quads and loaded by Oxigraph's parser through :func:`graph.bulkload.load`: all or nothing,
    so a process killed meanwhile leaves the previous content. A store that holds more than the
    curated graph (files added with ``kzgraph load``) or a database kzgraph did not write is
    never replaced implicitly, only with ``force``. Returns True when it (re)loaded.
    """
    from graph.bulkload import Source, load, read_marker, store_dir
    from graph.export import export
    from graph.load import load_graph

    where = Path(location)
    fingerprint = source_fingerprint(ontology_dir, data_dir)
    marker = read_marker(where)
    if not force:
        if marker is not None:
            if marker.get("sha256") == fingerprint:
                return False
            if any(name != CURATED for name in marker.get("loaded", [])):
                return False  # the user's own data: `kzgraph load --replace --curated` rebuilds it
        elif (store_dir(where) / "CURRENT").is_file():
            return False  # an Oxigraph database made elsewhere (`oxigraph load`): left as it is
    dataset = load_graph(ontology_dir, data_dir)
    source = Source(CURATED, ox.RdfFormat.N_QUADS, data=export(dataset, "nquads"))
    # the default graph gets the merge of the named graphs, so that it is a set of triples as
    # rdflib's union is (Oxigraph's own union view repeats a triple once per graph)
    load(where, [source], replace=True, marker={"sha256": fingerprint}, show_progress=False)
    return True


# -- A remote SPARQL endpoint --


class EndpointStore(Store):
    """A SPARQL 1.1 endpoint over HTTP; results parsed and re-serialised by Oxigraph."""

    kind = "endpoint"

    def __init__(self, endpoint: str, timeout: float = 60.0) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.prologue = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())

    def query(self, checked: CheckedQuery, max_rows: int | None = None) -> Answer:
        from SPARQLWrapper import JSON, POST, URLENCODED, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

        client = SPARQLWrapper(self.endpoint)
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
        client.setTimeout(int(self.timeout))
        client.setOnlyConneg(True)  # no format=/output= parameters: Virtuoso answers 406 to them
        # our prefixes first: a PREFIX the query declares again overrides them (SPARQL 1.1)
        base = f"BASE <{checked.base_iri}>\n" if checked.base_iri else ""
        client.setQuery(base + self.prologue + checked.text)
        graph = checked.form in ("CONSTRUCT", "DESCRIBE")
        if graph:
            client.addCustomHttpHeader("Accept", "application/n-triples, text/turtle;q=0.9")
        else:
            client.setReturnFormat(JSON)
        try:
            response = client.query().response
            body: bytes = response.read()
            media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        except QueryBadFormed as exc:
            from graph.syntax import rdflib_location

            raise rdflib_location(checked.text) or QuerySyntaxError(
                f"the endpoint rejected the query: {_first_line(exc)}"
            ) from None
        except SPARQLWrapperException as exc:
            raise StoreUnavailable(f"endpoint {self.endpoint}: {_first_line(exc)}") from None
        except OSError as exc:
            raise StoreUnavailable(f"endpoint {self.endpoint} unreachable: {exc}") from None
        try:
            if graph:
                rdf_format = ox.RdfFormat.from_media_type(media) or ox.RdfFormat.TURTLE
                triples = [q.triple for q in ox.parse(body, format=rdf_format)]
                check_cap(len(triples), max_rows, "triples")
                data = must(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
                form: Any = "DESCRIBE" if checked.form == "DESCRIBE" else "CONSTRUCT"
                return Answer(form, data, ox.RdfFormat.N_TRIPLES, len(triples))
            results = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError) as exc:
            raise StoreUnavailable(
                f"endpoint {self.endpoint} sent an unreadable answer: {exc}"
            ) from None
        if isinstance(results, ox.QueryBoolean):
            return Answer("ASK", body, ox.QueryResultsFormat.JSON, 1)
        return answer_from_oxigraph(results, "SELECT", max_rows)


def _first_line(exc: BaseException) -> str:
    """The endpoint's own message when SPARQLWrapper quotes the response, else the first line."""
    text = str(exc).strip()
    if "Response:\n" in text:
        body = text.split("Response:\n", 1)[1].strip()
        if body.startswith(("b'", 'b"')):
            try:
                import ast

                body = ast.literal_eval(body).decode("utf-8", "replace")
            except (ValueError, SyntaxError):
                pass
        first = next((line.strip() for line in body.splitlines() if line.strip()), "")
        if first:
            return first[:300]
    return text.splitlines()[0] if text else type(exc).__name__


# -- Opening --


def open_store(spec: StoreSpec, dataset_factory: Callable[[], Dataset] | None = None) -> Store:
    """Open the store that ``spec`` names (loading the curated files for ``memory``)."""
    if spec.kind == "memory":
        if dataset_factory is not None:
            return MemoryStore(dataset_factory())
        from graph.cache import load_cached

        # the checked dataset, from the cache when the curated files are unchanged
        return MemoryStore(load_cached(spec.ontology_dir, spec.data_dir))
    if spec.kind == "oxigraph":
        if not spec.location:
            raise InputError("--store oxigraph needs --location DIR")
        return OxigraphStore(spec.location, read_only=spec.read_only)
    if spec.kind == "endpoint":
        if not spec.endpoint:
            raise InputError("the endpoint store needs --endpoint URL")
        return EndpointStore(spec.endpoint, spec.http_timeout)
    raise InputError(f"unknown store {spec.kind!r} (use one of: {', '.join(STORE_KINDS)})")


def prepare_store(spec: StoreSpec, reload: bool = False) -> bool:
    """Make the store ready to open: an Oxigraph store is (re)loaded when out of date."""
    if spec.kind == "oxigraph":
        if not spec.location:
            raise InputError("--store oxigraph needs --location DIR")
        return load_oxigraph(spec.location, spec.ontology_dir, spec.data_dir, force=reload)
    return False


# -- Publishing through the Graph Store Protocol --


@dataclass(frozen=True)
class PublishReport:
    """What :func:`publish` sent."""

    graphs: int
    triples: int
    graph_store: str


def publish(
    dataset: Dataset,
    graph_store: str,
    user: str | None = None,
    password: str | None = None,
    auth: Literal["digest", "basic"] = "digest",
    timeout: float = 60.0,
    default_graph: bool = True,
) -> PublishReport:
    """PUT every named graph of ``dataset`` to ``graph_store`` (SPARQL 1.1 GSP, ``?graph=``).

    With ``default_graph``, the merge of all graphs also goes to the store's default graph
    (``?default``), so that plain queries see every fact once, as in the other stores. PUT
    replaces each graph: publishing twice leaves the same content. Graphs are sent as N-Triples
    labelled ``text/turtle`` (N-Triples is Turtle, and every GSP server reads Turtle).

    Raises:
        StoreUnavailable: the server is unreachable or refused a graph (status and reason).
    """
    import httpx

    from graph.export import export
    from graph.load import named_graphs

    credentials: httpx.Auth | None = None
    if user is not None:
        secret = password or ""
        credentials = (
            httpx.DigestAuth(user, secret) if auth == "digest" else httpx.BasicAuth(user, secret)
        )
    total = 0
    names = named_graphs(dataset)
    bodies: list[tuple[dict[str, str], str, bytes]] = [
        ({"graph": str(name)}, f"<{name}>", export_graph(dataset.graph(name))) for name in names
    ]
    if default_graph:
        bodies.append(({"default": ""}, "the default graph", export(dataset, "ntriples")))
    from graph.progress import progress_bar

    with (
        httpx.Client(auth=credentials, timeout=timeout) as client,
        progress_bar(len(bodies), f"publishing to {graph_store}", unit="graph") as bar,
    ):
        for params, label, body in bodies:
            bar.update(1)
            try:
                response = client.put(
                    graph_store,
                    params=params,
                    content=body,
                    headers={"Content-Type": "text/turtle; charset=utf-8"},
                )
            except httpx.HTTPError as exc:
                raise StoreUnavailable(f"graph store {graph_store}: {exc}") from None
            if response.status_code >= 300:
                reason = response.text.strip().splitlines()[:1]
                raise StoreUnavailable(
                    f"graph store {graph_store} answered {response.status_code} for"
                    f" {label}{': ' + reason[0][:200] if reason else ''}"
                )
            if "graph" in params:
                total += body.count(b"\n")
    return PublishReport(len(names), total, graph_store)


def export_graph(graph: Any) -> bytes:
    """One graph as sorted N-Triples bytes (deterministic bodies)."""
    data: bytes = graph.serialize(format="nt", encoding="utf-8")
    return b"".join(sorted(line + b"\n" for line in data.splitlines() if line.strip()))
