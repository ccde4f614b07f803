"""Where the graph lives when it is queried: one small interface, three stores.

- ``memory``: an in-memory Oxigraph store filled from the checked curated files (the default,
  nothing to set up; the checked dataset is cached as N-Quads, see :mod:`graph.cache`).
- ``oxigraph``: an embedded, persistent Oxigraph store in a directory (pyoxigraph), loaded with
  Oxigraph's own N-Quads parser and reloaded when the curated files change; large files go in
  with ``kzgraph load`` (:mod:`graph.bulkload`: all or nothing, the directory's layout).
- ``endpoint``: any SPARQL 1.1 endpoint over HTTP (Oxigraph server, Virtuoso, Fuseki, ...),
  queried with SPARQLWrapper.

Oxigraph evaluates every query on the memory and Oxigraph stores. In every store the default
graph is the merge of the named graphs (a set of triples): a merged copy in the default graph of
the memory store, of an Oxigraph store and of what :func:`publish` writes. (Virtuoso's default
graph is the union of all its graphs anyway.)

Every store answers :meth:`Store.query` with a :class:`graph.query.Answer`, so the CLI and the
server treat them alike. :func:`publish` copies the dataset to an endpoint through the SPARQL 1.1
Graph Store Protocol, one named graph at a time.
"""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar, Literal, cast

import pyoxigraph as ox

from graph.errors import InputError
from graph.prefixes import PREFIXES
from graph.query import (
    Answer,
    OutputFormat,
    QueryError,
    QuerySyntaxError,
    StoreUnavailable,
    UpdateRefused,
    check_cap,
    must,
    output_format,
    query_form,
)

if TYPE_CHECKING:
    from rdflib import Dataset, Graph

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
        return "in-memory graph (Oxigraph)"


class Store(ABC):
    """A queryable copy of the dataset."""

    kind: ClassVar[StoreKind]
    #: True when the store answers updates (memory and a read-write Oxigraph store).
    writable: bool = False

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
        )

    def run(
        self,
        text: str,
        prefixes: Mapping[str, str] | None = None,
        max_rows: int | None = None,
        base_iri: str | None = None,
        form: str | None = None,
    ) -> Answer:
        """Evaluate ``text`` as it is (no guard: callers in this process are trusted).

        ``prefixes`` are predeclared (default: the canonical map); only those the text spells
        are handed to Oxigraph, which parses every prefix it is given.
        """
        try:
            result = self.store.query(
                text, base_iri=base_iri, prefixes=prefixes_used(text, prefixes)
            )
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
    from graph.syntax import query_syntax_error

    return query_syntax_error(exc, text, update)


class MemoryStore(OxigraphBacked):
    """The dataset in an in-memory Oxigraph store; the default graph is the merge of the graphs.

    Made from an rdflib Dataset or Graph (terms copied one by one) or from N-Quads bytes (the
    cache's form, parsed by Oxigraph). For a Dataset whose default graph is not the union
    (``default_union=False``), the default graph holds the Dataset's own default graph.
    """

    kind = "memory"
    writable = True
    union_default = True

    def __init__(
        self, dataset: Dataset | Graph | None = None, *, nquads: bytes | None = None
    ) -> None:
        self.store = ox.Store()
        if nquads is not None:
            try:
                self.store.load(nquads, format=ox.RdfFormat.N_QUADS)
            except SyntaxError as exc:
                raise InputError(f"cannot read the cached dataset: {exc}") from None
            union = True
        elif dataset is not None:
            union = _copy_into(self.store, dataset)
        else:
            union = False
        self.union_default = union
        if union:
            merge_into_default(self.store)

    def update(self, sparql: str) -> None:
        """Apply an update; the default graph then becomes the merge of the named graphs again
        (every fact sits in a named graph: triples written only to the default graph go)."""
        super().update(sparql)
        if self.union_default:
            self.store.update(REMERGE)


def merge_into_default(store: ox.Store) -> None:
    """Copy every named graph's triples into the default graph (a set: each triple once)."""
    store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")


#: Makes the default graph the merge of the named graphs again after an update.
REMERGE = (
    "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } } ;\n"
    "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
)


def _copy_into(store: ox.Store, dataset: Any) -> bool:
    """Add an rdflib Dataset's or Graph's content to ``store``; True if the default graph
    should then be the union of the named graphs."""
    from rdflib import Dataset as RdflibDataset
    from rdflib import Graph as RdflibGraph
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    convert = RdflibToOxigraph()
    quads: list[ox.Quad] = []
    if isinstance(dataset, RdflibDataset):
        union = bool(dataset.default_union)
        for s, p, o, g in dataset.quads((None, None, None, None)):
            name = g.identifier if isinstance(g, RdflibGraph) else g
            if name is None or name == DATASET_DEFAULT_GRAPH_ID:
                if union:
                    continue  # the union view repeats the named graphs' triples
                quads.append(ox.Quad(convert(s), convert(p), convert(o)))
            else:
                quads.append(ox.Quad(convert(s), convert(p), convert(o), convert(name)))
    else:
        union = False
        for s, p, o in dataset:
            quads.append(ox.Quad(convert(s), convert(p), convert(o)))
    store.extend(quads)
    return union


class RdflibToOxigraph:
    """rdflib terms to Oxigraph terms, remembering the IRIs already made."""

    def __init__(self) -> None:
        from rdflib import BNode, Literal, URIRef

        self.kinds = (URIRef, Literal, BNode)
        self.iris: dict[str, ox.NamedNode] = {}

    def iri(self, value: str) -> ox.NamedNode:
        node = self.iris.get(value)
        if node is None:
            node = self.iris[value] = ox.NamedNode(value)
        return node

    def __call__(self, term: Any) -> Any:
        iri, literal, bnode = self.kinds
        if isinstance(term, iri):
            return self.iri(str(term))
        if isinstance(term, literal):
            if term.language:
                return ox.Literal(str(term), language=term.language)
            if term.datatype is not None:
                return ox.Literal(str(term), datatype=self.iri(str(term.datatype)))
            return ox.Literal(str(term))
        if isinstance(term, bnode):
            return ox.BlankNode(str(term))
        raise TypeError(f"cannot store {term!r} in Oxigraph")


class OxigraphStore(OxigraphBacked):
    """An embedded Oxigraph store on disk, queried in-process with pyoxigraph."""

    kind = "oxigraph"

    def __init__(self, location: str | os.PathLike[str], read_only: bool = True) -> None:
        from graph.bulkload import store_dir

        self.location = Path(location)
        database = store_dir(self.location)  # the active generation of a kzgraph store
        try:
            self.store = ox.Store.read_only(str(database)) if read_only else ox.Store(str(database))
        except OSError as exc:
            raise InputError(f"cannot open the Oxigraph store: {exc}", self.location) from None
        self.writable = not read_only

    def close(self) -> None:
        if self.writable:
            self.store.flush()
        del self.store


def prefixes_used(text: str, prefixes: Mapping[str, str] | None = None) -> dict[str, str]:
    """The predeclared prefixes (default: the canonical map) that ``text`` may use: Oxigraph
    parses every prefix it is given, which costs more than the lookup of one subject, so only
    those spelt ``name:`` are passed."""
    table = PREFIXES if prefixes is None else prefixes
    return {name: iri for name, iri in table.items() if name + ":" in text}


def source_fingerprint(ontology_dir: str | None, data_dir: str | None) -> str:
    """A hash of the curated files and their names: a store loaded from them carries it."""
    from graph.paths import input_files, resolve_dir

    ont = resolve_dir("ontology", ontology_dir)
    dat = resolve_dir("data", data_dir)
    digest = hashlib.sha256()
    for path in input_files(ont, dat):
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


#: An empty store whose parser checks what is sent to a remote endpoint (nothing is evaluated
#: against it: its results are never read).
_SYNTAX_CHECK = ox.Store()


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

        # syntax errors from our own engine, with the user's lines and columns, before the
        # text (with our prologue in front) goes anywhere
        try:
            _SYNTAX_CHECK.query(
                checked.text,
                base_iri=checked.base_iri,
                prefixes=prefixes_used(checked.text, checked.prefixes),
            )
        except SyntaxError as exc:
            raise engine_syntax_error(exc, checked.text) from None

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
                if rdf_format == ox.RdfFormat.RDF_XML:  # its entities could expand a lot
                    from graph.rdfxml import check_entities

                    check_entities(body, self.endpoint)
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
        from graph.cache import cached_nquads

        # the checked dataset as N-Quads, from the cache when the curated files are unchanged
        return MemoryStore(nquads=cached_nquads(spec.ontology_dir, spec.data_dir))
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
    """What :func:`publish` sent, and whether the graphs were switched in at once."""

    graphs: int
    triples: int
    graph_store: str
    atomic: bool = False


#: Staged copies are named ``urn:kzgraph:staging:<run>:<n>`` until the switch moves them.
STAGING_PREFIX = "urn:kzgraph:staging:"


def publish(
    dataset: Dataset,
    graph_store: str,
    user: str | None = None,
    password: str | None = None,
    auth: Literal["digest", "basic"] = "digest",
    timeout: float = 60.0,
    default_graph: bool = True,
    update: str | None = None,
) -> PublishReport:
    """PUT every named graph of ``dataset`` to ``graph_store`` (SPARQL 1.1 GSP, ``?graph=``).

    With ``default_graph``, the merge of all graphs also goes to the store's default graph
    (``?default``), so that plain queries see every fact once, as in the other stores. PUT
    replaces each graph: publishing twice leaves the same content. Graphs are sent as N-Triples
    labelled ``text/turtle`` (N-Triples is Turtle, and every GSP server reads Turtle).

    With ``update`` (the store's SPARQL Update endpoint), every graph is first PUT into a staging
    graph (``urn:kzgraph:staging:<run>:<n>``), then one SPARQL Update request of ``MOVE``
    operations switches them all in: a store that applies a request as one transaction (Oxigraph,
    Fuseki) shows readers the old graphs or the new ones, never a mix. A failure before the
    switch leaves the published graphs as they were and drops the staged copies. Without
    ``update``, graphs are replaced one by one, and a failure says which are new and which old.

    Raises:
        StoreUnavailable: the server is unreachable or refused a request; the message says
            what state the remote is in and how to repair it.
    """
    import httpx

    from graph.export import export
    from graph.load import named_graphs
    from graph.progress import progress_bar

    credentials: httpx.Auth | None = None
    if user is not None:
        secret = password or ""
        credentials = (
            httpx.DigestAuth(user, secret) if auth == "digest" else httpx.BasicAuth(user, secret)
        )
    names = named_graphs(dataset)
    bodies: list[tuple[str | None, bytes]] = [
        (str(name), export_graph(dataset.graph(name))) for name in names
    ]
    if default_graph:
        bodies.append((None, export(dataset, "ntriples")))
    total = sum(body.count(b"\n") for name, body in bodies if name is not None)
    run = os.urandom(6).hex()
    staged = [f"{STAGING_PREFIX}{run}:{i}" for i in range(len(bodies))]

    def label(name: str | None) -> str:
        return "the default graph" if name is None else f"<{name}>"

    with (
        httpx.Client(auth=credentials, timeout=timeout) as client,
        progress_bar(len(bodies), f"publishing to {graph_store}", unit="graph") as bar,
    ):

        def send_update(text: str) -> str | None:
            """None when the update endpoint applied ``text``, else why not."""
            assert update is not None
            try:
                response = client.post(
                    update,
                    content=text.encode("utf-8"),
                    headers={"Content-Type": "application/sparql-update; charset=utf-8"},
                )
            except httpx.HTTPError as exc:
                return str(exc) or type(exc).__name__
            return None if response.status_code < 300 else _status(response)

        def put(params: dict[str, str], body: bytes) -> str | None:
            try:
                response = client.put(
                    graph_store,
                    params=params,
                    content=body,
                    headers={"Content-Type": "text/turtle; charset=utf-8"},
                )
            except httpx.HTTPError as exc:
                return str(exc) or type(exc).__name__
            return None if response.status_code < 300 else _status(response)

        if update is not None:
            refused = send_update(f"DROP SILENT GRAPH <{STAGING_PREFIX}{run}:probe>")
            if refused is not None:
                raise StoreUnavailable(
                    f"SPARQL Update endpoint {update} refused a no-op update ({refused});"
                    " nothing was sent, the remote is unchanged"
                )
            for i, (name, body) in enumerate(bodies):
                bar.update(1)
                failed = put({"graph": staged[i]}, body)
                if failed is None:
                    continue
                left = _drop_staged(send_update, staged[: i + 1])
                raise StoreUnavailable(
                    f"graph store {graph_store} answered {failed} while staging {label(name)}"
                    f" ({i + 1} of {len(bodies)}); nothing was switched: every published graph"
                    f" is as before{left}"
                )
            moves = " ;\n".join(
                f"MOVE GRAPH <{staged[i]}> TO " + ("DEFAULT" if name is None else f"GRAPH <{name}>")
                for i, (name, _body) in enumerate(bodies)
            )
            failed = send_update(moves)
            if failed is not None:
                left = _drop_staged(send_update, staged)
                raise StoreUnavailable(
                    f"SPARQL Update endpoint {update} answered {failed} to the switch; a store"
                    " that applies an update request whole (Oxigraph, Fuseki) still holds every"
                    f" published graph as before{left}; run kzgraph publish again"
                )
            return PublishReport(len(names), total, graph_store, atomic=True)

        for i, (name, body) in enumerate(bodies):
            bar.update(1)
            failed = put({"default": ""} if name is None else {"graph": name}, body)
            if failed is None:
                continue
            failure = f"graph store {graph_store} answered {failed} for {label(name)}"
            if i == 0:
                raise StoreUnavailable(f"{failure}; nothing was replaced, the remote is as before")
            done = [label(n) for n, _b in bodies[:i]]
            old = [label(n) for n, _b in bodies[i:]]
            raise StoreUnavailable(
                f"{failure}; the remote is now MIXED: {len(done)} graph(s) replaced"
                f" ({_few(done)}), {len(old)} still old ({_few(old)}); run kzgraph publish again"
                " to finish, or give --update URL so that publish switches every graph in at once"
            )
    return PublishReport(len(names), total, graph_store)


def _status(response: Any) -> str:
    reason = response.text.strip().splitlines()[:1]
    return f"{response.status_code}{': ' + reason[0][:200] if reason else ''}"


def _few(labels: list[str]) -> str:
    return (
        ", ".join(labels[:3]) + (f" and {len(labels) - 3} more" if len(labels) > 3 else "")
        or "none"
    )


def _drop_staged(send_update: Callable[[str], str | None], staged: list[str]) -> str:
    """Drop the staged copies; the message tail says whether any remain and how to remove them."""
    failed = send_update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in staged))
    if failed is None:
        return " (the staged copies were removed)"
    run = staged[0].rsplit(":", 1)[0]
    return (
        f"; staged copies remain in graphs <{run}:0> to <{run}:{len(staged) - 1}> (removing them"
        f" failed: {failed}): drop them with DROP GRAPH, or leave them, they are not published"
    )


def export_graph(graph: Any) -> bytes:
    """One graph as sorted N-Triples bytes (deterministic bodies)."""
    from graph.export import ntriples_lines

    return ntriples_lines(graph)
