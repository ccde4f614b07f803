"""Large RDF files into the persistent Oxigraph store: Oxigraph's own parser, all or nothing.

Millions of triples (the register of legal acts, treaty-status tables, Wikidata extracts) are
read by Oxigraph's native parsers and bulk loader, never by rdflib's Python parsers: about ten
times faster and a third of the memory. A load is crash-safe: killed at any moment (``kill -9``
included), the store holds either the whole previous state or the whole new one.

A store directory that kzgraph writes has this layout::

    LOCATION/kzgraph-active -> gen-000003   a symlink, switched atomically by rename(2)
    LOCATION/gen-000003/                    the Oxigraph (RocksDB) database in use
    LOCATION/gen-000002/                    the previous one, kept for readers still open on it
    LOCATION/.kzgraph-lock                  one writer at a time (flock)

A load writes a *new generation*: a snapshot of the current one (``Store.backup``, which
hard-links RocksDB's immutable files, so it costs almost nothing) plus the new data, flushed and
closed, then points ``kzgraph-active`` at it. Readers open :func:`store_dir`. A directory that
holds a plain Oxigraph database (made by ``oxigraph load`` or an older kzgraph) is read as it is,
and the first load moves to the layout above without touching its files.

As everywhere in kzgraph, the default graph of the store is the merge of its named graphs: each
loaded quad is also added, as a triple, to the default graph (a set, so a triple stated in several
graphs is there once). Triple formats (N-Triples, Turtle, RDF/XML) go into one named graph.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import json
import os
import re
import shutil
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from graph.atomic import fsync_dir
from graph.errors import InputError
from graph.progress import Progress, progress_bar

ACTIVE = "kzgraph-active"
LOCK = ".kzgraph-lock"
GENERATION = re.compile(r"gen-(\d{6})$")
#: Written inside each generation: where its content came from.
MARKER = "kzgraph-source.json"
GRAPH_BASE = "https://w3id.org/kzgraph/graph/"

FORMATS: dict[str, ox.RdfFormat] = {
    "nquads": ox.RdfFormat.N_QUADS,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "turtle": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
    "n3": ox.RdfFormat.N3,
}
EXTENSIONS: dict[str, str] = {
    ".nq": "nquads",
    ".nquads": "nquads",
    ".nt": "ntriples",
    ".ntriples": "ntriples",
    ".ttl": "turtle",
    ".trig": "trig",
    ".rdf": "rdfxml",
    ".owl": "rdfxml",
    ".xml": "rdfxml",
    ".jsonld": "jsonld",
    ".n3": "n3",
}


@dataclass(frozen=True)
class Source:
    """One input: a file or bytes, its format, and the graph its triples go to.

    ``graph`` receives the triples of triple formats, and those of a dataset format (N-Quads,
    TriG) that sit in the file's default graph; named graphs in the file keep their names.
    """

    name: str
    format: ox.RdfFormat
    path: Path | None = None
    data: bytes | None = None
    graph: str | None = None

    @property
    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        assert self.path is not None
        return self.path.stat().st_size

    @contextlib.contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        if self.data is not None:
            import io

            yield io.BytesIO(self.data)
            return
        assert self.path is not None
        opener: Any = gzip.open if self.path.suffix == ".gz" else open
        try:
            with opener(self.path, "rb") as handle:
                yield handle
        except (EOFError, zlib.error) as exc:  # raised by gzip while the parser reads
            raise InputError(f"truncated or corrupt gzip file ({exc})", self.path) from None
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", self.path) from None


def format_of(path: Path, name: str | None = None) -> ox.RdfFormat:
    """The RDF format named ``name``, or guessed from the file extension (``.gz`` allowed)."""
    if name is not None:
        if name not in FORMATS:
            raise InputError(f"unknown format {name!r} (use one of: {', '.join(FORMATS)})")
        return FORMATS[name]
    suffix = Path(path.stem).suffix if path.suffix == ".gz" else path.suffix
    if suffix.lower() not in EXTENSIONS:
        raise InputError(
            f"cannot tell the format from the extension; give --format ({', '.join(FORMATS)})",
            path,
        )
    return FORMATS[EXTENSIONS[suffix.lower()]]


def source_for(
    path: str | os.PathLike[str], fmt: str | None = None, graph: str | None = None
) -> Source:
    """A :class:`Source` for a file; unnamed triples go to ``graph`` (default ``kzg:<stem>``)."""
    p = Path(path)
    if not p.is_file():
        raise InputError("no such file", p)
    rdf_format = format_of(p, fmt)
    if graph is None:
        stem = p.name.split(".")[0]
        graph = GRAPH_BASE + (re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-") or "import")
    return Source(p.name, rdf_format, path=p, graph=graph)


# -- The store directory --


def store_dir(location: str | os.PathLike[str]) -> Path:
    """The Oxigraph database to open for ``location``: the active generation, or the directory."""
    where = Path(location)
    active = where / ACTIVE
    if active.is_symlink() or active.is_dir():
        return active.resolve()
    return where


def _generations(where: Path) -> list[tuple[int, Path]]:
    found = []
    for child in where.iterdir() if where.is_dir() else []:
        match = GENERATION.match(child.name)
        if match and child.is_dir() and not child.is_symlink():
            found.append((int(match.group(1)), child))
    return sorted(found)


def _is_database(path: Path) -> bool:
    return (path / "CURRENT").is_file()


def read_marker(location: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The marker of the store's active content (what it was loaded from), if any."""
    path = store_dir(location) / MARKER
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@contextlib.contextmanager
def writer_lock(where: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the store's writer lock, or fail with a clear message after ``wait`` seconds."""
    where.mkdir(parents=True, exist_ok=True)
    with open(where / LOCK, "a+b") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise InputError(
                        "another kzgraph process is writing this store; try again when it is done",
                        where,
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _activate(where: Path, generation: Path) -> None:
    """Point ``kzgraph-active`` at ``generation`` in one atomic rename."""
    link = where / f".{ACTIVE}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    os.symlink(generation.name, link)
    os.replace(link, where / ACTIVE)
    fsync_dir(where)


def _prune(where: Path, keep: Iterable[Path]) -> None:
    """Remove generations other than ``keep`` (older ones, and those of interrupted loads)."""
    kept = {p.resolve() for p in keep}
    for _number, path in _generations(where):
        if path.resolve() not in kept:
            shutil.rmtree(path, ignore_errors=True)
    for stale in where.glob(f".{ACTIVE}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()


# -- Loading --


@dataclass(frozen=True)
class LoadReport:
    """What a load did."""

    location: Path
    generation: Path
    files: list[str]
    bytes_read: int
    quads: int
    seconds: float
    replaced: bool
    marker: dict[str, Any] = field(default_factory=dict)


class _CountingReader:
    """A binary reader that reports the bytes it hands to the parser."""

    def __init__(self, raw: IO[bytes], progress: Progress) -> None:
        self.raw = raw
        self.progress = progress
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.count += len(chunk)
        self.progress.update(len(chunk))
        return chunk

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self.count += n or 0
        self.progress.update(n or 0)
        return int(n or 0)


def _quads(
    reader: IO[bytes],
    source: Source,
    salt: str,
    into_default: bool,
) -> Iterator[ox.Quad]:
    """The source's quads: in their graphs, or (``into_default``) as default-graph triples.

    Blank node labels are prefixed with ``salt``, the same in both passes, so that the two
    copies of a triple name the same node and two loads never merge their blank nodes.
    """
    graph = ox.NamedNode(source.graph) if source.graph else ox.DefaultGraph()
    blank = ox.BlankNode
    try:
        for q in ox.parse(reader, format=source.format, base_iri=None):
            s, o = q.subject, q.object
            if type(s) is blank:
                s = blank(salt + s.value)
            if type(o) is blank:
                o = blank(salt + o.value)
            if into_default:
                yield ox.Quad(s, q.predicate, o)
                continue
            g = q.graph_name
            if type(g) is ox.DefaultGraph:
                g = graph  # triples (or quads in the file's default graph) go to the source's graph
            elif type(g) is blank:
                g = blank(salt + g.value)
            yield ox.Quad(s, q.predicate, o, g)
    except SyntaxError as exc:
        raise InputError(
            f"not valid {source.format.name}: {exc}", source.path or source.name
        ) from None


def _load_source(store: ox.Store, source: Source, union: bool, progress: Progress) -> int:
    if source.format == ox.RdfFormat.RDF_XML:  # Oxigraph expands nested entities unbounded
        from graph.inputs.rdfxml import MAX_PROLOG, check_entities

        with source.open() as raw:
            check_entities(raw.read(MAX_PROLOG), source.path or source.name)
    salt = "b" + uuid.uuid4().hex[:12] + "_"
    read = 0
    passes = [False, True] if union else [False]
    for into_default in passes:
        if into_default:
            progress.set_description(f"merging {source.name} into the default graph")
        with source.open() as raw:
            reader = _CountingReader(raw, progress)
            store.bulk_extend(_quads(reader, source, salt, into_default))  # type: ignore[arg-type]
            read = read or reader.count
    return read


def load(
    location: str | os.PathLike[str],
    sources: Sequence[Source],
    *,
    replace: bool = False,
    union: bool = True,
    marker: dict[str, Any] | None = None,
    show_progress: bool | None = None,
    count: bool = True,
) -> LoadReport:
    """Load ``sources`` into the Oxigraph store at ``location``, all or nothing.

    Args:
        location: the store directory (created if missing).
        sources: what to load (see :func:`source_for`).
        replace: start from an empty store instead of adding to the current content.
        union: also add every triple to the default graph (kzgraph's union default graph).
        marker: JSON-ready facts to record with the new content (see :func:`read_marker`).
        show_progress: draw a progress bar (default: when standard error is a terminal).
        count: count the store's quads afterwards for the report (a scan of the store).

    Raises:
        InputError: unreadable or malformed input, or another process is writing the store;
            the store keeps its previous content.
    """
    started = time.perf_counter()
    where = Path(location)
    total = sum(s.size for s in sources) * (2 if union else 1)
    with writer_lock(where):
        current = store_dir(where)
        has_current = _is_database(current)
        numbers = [n for n, _p in _generations(where)]
        generation = where / f"gen-{(max(numbers) + 1 if numbers else 1):06d}"
        if generation.exists():
            shutil.rmtree(generation)
        try:
            if has_current and not replace:
                ox.Store.read_only(str(current)).backup(str(generation))
            store = ox.Store(str(generation))
            read = 0
            label = ", ".join(s.name for s in sources) or "nothing"
            with progress_bar(total, f"loading {label}", unit="B", force=show_progress) as bar:
                for source in sources:
                    bar.set_description(f"loading {source.name}")
                    read += _load_source(store, source, union, bar)
            store.flush()
            quads = len(store) if count else -1
            del store
        except OSError as exc:
            shutil.rmtree(generation, ignore_errors=True)
            raise InputError(f"cannot write the Oxigraph store: {exc}", where) from None
        except BaseException:
            shutil.rmtree(generation, ignore_errors=True)
            raise
        record = {
            "loaded": [s.name for s in sources],
            "replaced": replace or not has_current,
            **(marker or {}),
        }
        previous = read_marker(where) if has_current and not replace else None
        if previous and not replace:
            record["loaded"] = list(previous.get("loaded", [])) + record["loaded"]
            for key, value in previous.items():
                record.setdefault(key, value)
        marker_path = generation / MARKER
        with open(marker_path, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(record, indent=1, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        fsync_dir(generation)
        _activate(where, generation)
        keep = [generation] + ([current] if has_current and current != where else [])
        _prune(where, keep)
    return LoadReport(
        location=where,
        generation=generation,
        files=[s.name for s in sources],
        bytes_read=read,
        quads=quads,
        seconds=time.perf_counter() - started,
        replaced=replace or not has_current,
        marker=record,
    )
