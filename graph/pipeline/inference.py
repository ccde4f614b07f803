"""Optional entailment: RDFS or OWL 2 RL closure with owlrl, kept apart from curated data.

The closure is computed on a copy (the union of all graphs); only triples that are new go into
the named graph ``kzg:inferred``, so curated graphs are never mixed with derived ones. Triples
that hold for every resource (``?x a rdfs:Resource``, ``?x owl:sameAs ?x`` ...) and triples
about literals are dropped: they carry no information and would swamp the output.
"""

from __future__ import annotations

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from graph.inputs.reading import INFERRED_GRAPH, add_quad, quads

MODES = ("none", "rdfs", "owlrl")

_TRIVIAL_TYPES = frozenset({RDFS.Resource, OWL.Thing, RDFS.Class, RDF.Property})
_REFLEXIVE = frozenset(
    {
        OWL.sameAs,
        RDFS.subClassOf,
        RDFS.subPropertyOf,
        OWL.equivalentClass,
        OWL.equivalentProperty,
    }
)


def infer(ds: Dataset, mode: str | None = "rdfs") -> int:
    """Add the entailed triples of ``mode`` (``none``, ``rdfs``, ``owlrl``) to ``kzg:inferred``.

    Returns the number of triples added. ``ds`` is changed in place (only ``kzg:inferred``).
    """
    if mode is None or mode == "none":
        return 0
    if mode not in MODES:
        raise ValueError(f"unknown inference mode {mode!r} (choose from {', '.join(MODES)})")

    import owlrl  # heavy: import only when inferring

    asserted = Graph()
    for s, p, o, g in quads(ds):
        if g != INFERRED_GRAPH:
            asserted.add((s, p, o))
    closure = Graph()
    for triple in asserted:
        closure.add(triple)
    semantics = owlrl.RDFS_Semantics if mode == "rdfs" else owlrl.OWLRL_Semantics
    owlrl.DeductiveClosure(semantics, axiomatic_triples=False, datatype_axioms=False).expand(
        closure
    )

    added = 0
    for s, p, o in closure:
        if (s, p, o) in asserted or not _informative(s, p, o):
            continue
        add_quad(ds, (s, p, o, INFERRED_GRAPH))
        added += 1
    return added


def _informative(s: object, p: object, o: object) -> bool:
    if isinstance(s, Literal) or not isinstance(p, URIRef):
        return False
    if p == RDF.type and o in _TRIVIAL_TYPES:
        return False
    return not (p in _REFLEXIVE and s == o)
