"""An embedded, persistent Oxigraph store in a directory, reloaded when the curated files change.

It is loaded with Oxigraph's own N-Quads parser; large files go in with ``kzgraph load``
(:mod:`graph.stores.bulkload`: all or nothing, the directory's layout).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from graph.errors import InputError

if TYPE_CHECKING:
    pass
from graph.stores.base import OxigraphBacked

#: Written with an Oxigraph store's content: the fingerprint of the files it was loaded from.
FINGERPRINT_FILE = "kzgraph-source.json"
#: The name :func:`load_oxigraph` records for the curated graph among a store's loaded inputs.
CURATED = "curated graph"


class OxigraphStore(OxigraphBacked):
    """An embedded Oxigraph store on disk, queried in-process with pyoxigraph."""

    kind = "oxigraph"

    def __init__(self, location: str | os.PathLike[str], read_only: bool = True) -> None:
        from graph.stores.bulkload import store_dir

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


def source_fingerprint(ontology_dir: str | None, data_dir: str | None) -> str:
    """A hash of the curated files and their names: a store loaded from them carries it."""
    from graph.inputs.locations import input_files, resolve_dir

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
    N-Quads and loaded by Oxigraph's parser through :func:`graph.stores.bulkload.load`: all or
    nothing,
    so a process killed meanwhile leaves the previous content. A store that holds more than the
    curated graph (files added with ``kzgraph load``) or a database kzgraph did not write is
    never replaced implicitly, only with ``force``. Returns True when it (re)loaded.
    """
    from graph.inputs.reading import load_graph
    from graph.inputs.writing import export
    from graph.stores.bulkload import Source, load, read_marker, store_dir

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
