"""A cache of the loaded curated dataset, keyed by the hash of its input files.

Loading the curated graph means parsing TriG with rdflib and checking every rule of
:mod:`graph.load`: about a quarter of a second, every time a command starts. The cache keeps the
checked dataset (pickled, the fastest form for rdflib to read back) in a file named after the
SHA-256 of the input files' names and bytes, rdflib's version and kzgraph's. Any change to an
input makes a new key, so a stale entry is never read; old entries are removed when a new one
is written
(the eight most recent are kept).

The cache lives in ``$KZGRAPH_CACHE_DIR``, else ``$XDG_CACHE_HOME/kzgraph``, else
``~/.cache/kzgraph``; ``KZGRAPH_CACHE_DIR=off`` disables it. Like Python's own bytecode cache,
it is private to the user (mode 0700) and only ever read from where kzgraph wrote it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rdflib import Dataset

PREFIX = "dataset-"
#: Entries kept (several checkouts or data directories may take turns).
KEEP = 8


def cache_dir() -> Path | None:
    """Where cache entries go, or None when caching is off."""
    configured = os.environ.get("KZGRAPH_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in ("", "0", "off", "no") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kzgraph"


def inputs_key(
    ontology_dir: str | os.PathLike[str] | None, data_dir: str | os.PathLike[str] | None
) -> str:
    """The SHA-256 of every input file (name and bytes) and of the versions that read them."""
    import rdflib

    from graph import __version__
    from graph.load import ontology_files
    from graph.paths import resolve_dir

    ont = resolve_dir("ontology", ontology_dir)
    dat = resolve_dir("data", data_dir)
    digest = hashlib.sha256(f"kzgraph {__version__} rdflib {rdflib.__version__}\0".encode())
    files = ontology_files(ont) + sorted(dat.glob("*.trig")) + sorted(dat.glob("*.ttl"))
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def load_cached(
    ontology_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> Dataset:
    """:func:`graph.load.load_graph` of the inputs, read from the cache when they are unchanged.

    Errors in the inputs are raised as by ``load_graph`` (nothing is cached then).
    """
    from graph.load import load_graph

    where = cache_dir()
    if where is None:
        return load_graph(ontology_dir, data_dir)
    try:
        key = inputs_key(ontology_dir, data_dir)
    except OSError:
        return load_graph(ontology_dir, data_dir)  # let the loader name the unreadable input
    entry = where / f"{PREFIX}{key}.pickle"
    # a damaged or foreign entry is ignored and replaced
    with contextlib.suppress(Exception):
        with open(entry, "rb") as handle:
            dataset: Dataset = pickle.load(handle)
        return dataset
    dataset = load_graph(ontology_dir, data_dir)
    with contextlib.suppress(OSError, pickle.PicklingError, RecursionError):
        _write(where, entry, pickle.dumps(dataset, protocol=pickle.HIGHEST_PROTOCOL))
    return dataset


def _write(where: Path, entry: Path, data: bytes) -> None:
    where.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=where, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, entry)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    entries = sorted(where.glob(f"{PREFIX}*.pickle"), key=_mtime, reverse=True)
    for old in entries[KEEP:]:
        with contextlib.suppress(OSError):
            old.unlink()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
