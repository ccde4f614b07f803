"""A cache of the loaded curated dataset, as N-Quads, keyed by the hash of its input files.

Loading the curated graph means parsing TriG with rdflib and checking every rule of
:mod:`graph.inputs.reading`: about a quarter of a second, every time a command starts. The cache
keeps the
checked dataset as canonical N-Quads (:func:`graph.inputs.writing.export`), which Oxigraph loads in
a
few milliseconds without rdflib, in a file named after the SHA-256 of the input files' names and
bytes and of the versions of kzgraph and rdflib that read them. Any change to an input makes a
new key, so a stale entry is never read; the eight most recent entries are kept.

N-Quads is data, never code: a tampered entry could at worst change answers, not run anything.
Even so, like ssh with its keys, the cache is used only where it is private: the directory and
every entry must belong to the user and be writable by nobody else, or the cache is bypassed.
An entry starts with a comment holding the SHA-256 of the rest, so a damaged or truncated entry
is noticed and rebuilt.

The cache lives in ``$KZGRAPH_CACHE_DIR``, else ``$XDG_CACHE_HOME/kzgraph``, else
``~/.cache/kzgraph``; ``KZGRAPH_CACHE_DIR=off`` disables it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rdflib import Dataset

PREFIX = "dataset-"
SUFFIX = ".nq"
#: The first line of an entry: this, the SHA-256 of the N-Quads that follow, and a newline.
HEADER = b"# kzgraph cache sha256 "
#: Entries kept (several checkouts or data directories may take turns).
KEEP = 8


def cache_dir() -> Path | None:
    """Where cache entries go, or None when caching is off."""
    configured = os.environ.get("KZGRAPH_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in ("", "0", "off", "no") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kzgraph"


def _rdflib_version() -> str:
    """What identifies the installed rdflib (the parser behind the entries), read without
    importing it: where its package lives and when its ``__init__.py`` changed."""
    from importlib.util import find_spec

    spec = find_spec("rdflib")
    if spec is None or spec.origin is None:  # pragma: no cover - rdflib is a dependency
        return "?"
    info = os.stat(spec.origin)
    return f"{spec.origin}:{info.st_size}:{info.st_mtime_ns}"


def inputs_key(
    ontology_dir: str | os.PathLike[str] | None, data_dir: str | os.PathLike[str] | None
) -> str:
    """The SHA-256 of every input file (name and bytes) and of the versions that read them."""
    from graph import __version__
    from graph.inputs.locations import input_files, resolve_dir

    ont = resolve_dir("ontology", ontology_dir)
    dat = resolve_dir("data", data_dir)
    digest = hashlib.sha256(f"kzgraph {__version__} rdflib {_rdflib_version()}\0".encode())
    for path in input_files(ont, dat):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def private(path: Path, directory: bool) -> bool:
    """True when ``path`` is a real directory (or regular file) of this user that nobody
    else may write."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    kind_ok = stat.S_ISDIR(info.st_mode) if directory else stat.S_ISREG(info.st_mode)
    return (
        kind_ok and info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def cached_nquads(
    ontology_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> bytes:
    """The checked dataset of the inputs as N-Quads, from the cache when they are unchanged.

    Errors in the inputs are raised as by :func:`graph.inputs.reading.load_graph` (nothing is
    cached).
    """
    where = cache_dir()
    entry: Path | None = None
    if where is not None:
        try:
            key = inputs_key(ontology_dir, data_dir)
        except OSError:
            key = None  # let the loader name the unreadable input
        if key is not None:
            entry = where / f"{PREFIX}{key}{SUFFIX}"
            found = _read(where, entry)
            if found is not None:
                return found
    from graph.inputs.reading import load_graph
    from graph.inputs.writing import export

    data = export(load_graph(ontology_dir, data_dir), "nquads")
    if where is not None and entry is not None:
        digest = hashlib.sha256(data).hexdigest().encode()
        with contextlib.suppress(OSError):
            _write(where, entry, HEADER + digest + b"\n" + data)
    return data


def _read(where: Path, entry: Path) -> bytes | None:
    """The N-Quads of a private, intact entry, else None."""
    if not (private(where, directory=True) and private(entry, directory=False)):
        return None
    try:
        raw = entry.read_bytes()
    except OSError:
        return None
    header, _newline, data = raw.partition(b"\n")
    if header != HEADER + hashlib.sha256(data).hexdigest().encode():
        return None  # damaged, truncated or not ours: rebuilt and replaced
    return data


def load_cached(
    ontology_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> Dataset:
    """:func:`graph.inputs.reading.load_graph` of the inputs as an rdflib Dataset, read back from
    the
    cached N-Quads when the inputs are unchanged."""
    from graph.inputs.reading import new_dataset

    ds = new_dataset()
    ds.parse(data=cached_nquads(ontology_dir, data_dir), format="nquads")
    return ds


def _write(where: Path, entry: Path, data: bytes) -> None:
    where.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not private(where, directory=True):
        return  # a directory others can write: never used, never written
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=where, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, entry)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    entries = sorted(where.glob(f"{PREFIX}*"), key=_mtime, reverse=True)
    for old in entries[KEEP:]:
        with contextlib.suppress(OSError):
            old.unlink()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
