"""The default store: the dataset in an in-memory Oxigraph store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from graph.errors import InputError

if TYPE_CHECKING:
    from rdflib import Dataset, Graph

from graph.inputs.convert import RdflibToOxigraph
from graph.stores.base import OxigraphBacked


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
