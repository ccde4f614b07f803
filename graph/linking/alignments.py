"""Reading the alignments: ``data/alignments.ttl`` (graph ``kzg:alignments``) as records."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from graph.linking.targets import EXACT_LINKS, WIKIDATA_DATASET
from graph.namespaces import KZ, KZR, WD


@dataclass(frozen=True)
class AlignmentRecord:
    """One kz:Alignment as read from the dataset."""

    iri: URIRef
    source: URIRef
    status: URIRef
    dataset: URIRef
    prop: URIRef | None
    target: URIRef | None


def alignments(ds: Dataset | Graph) -> list[AlignmentRecord]:
    """Every kz:Alignment in ``ds`` (any graph), sorted by IRI."""
    found = []
    for a in set(ds.subjects(RDF.type, KZ.Alignment)):
        source = ds.value(a, OWL.annotatedSource)
        status = ds.value(a, KZ.alignmentStatus)
        dataset = ds.value(a, KZ.targetDataset)
        if not isinstance(a, URIRef) or not isinstance(source, URIRef):
            continue
        prop = ds.value(a, OWL.annotatedProperty)
        target = ds.value(a, OWL.annotatedTarget)
        found.append(
            AlignmentRecord(
                a,
                source,
                status if isinstance(status, URIRef) else KZ.PendingReconciliation,
                dataset if isinstance(dataset, URIRef) else WIKIDATA_DATASET,
                prop if isinstance(prop, URIRef) else None,
                target if isinstance(target, URIRef) else None,
            )
        )
    return sorted(found, key=lambda r: str(r.iri))


def wikidata_links(ds: Dataset | Graph) -> dict[URIRef, URIRef]:
    """Entity -> Wikidata item, for every verified exact alignment into Wikidata."""
    links: dict[URIRef, URIRef] = {}
    for r in alignments(ds):
        if (
            r.status == KZ.Verified
            and r.prop in EXACT_LINKS
            and r.target is not None
            and r.target.startswith(str(WD))
        ):
            links[r.source] = r.target
    return dict(sorted(links.items()))


def alignment_iri(entity: URIRef, target: str) -> URIRef:
    """The stable IRI of the alignment of ``entity`` into dataset ``target`` (slug)."""
    return KZR[f"alignment-{entity_slug(entity)}-{target}"]


def entity_slug(entity: URIRef) -> str:
    """``kazakhstan`` for kzr:kazakhstan, ``topic-human-rights`` for kzt:human-rights."""
    local = str(entity)[len(str(KZR)) :] if entity.startswith(str(KZR)) else str(entity)
    return re.sub(r"[^\w-]+", "-", local).strip("-")


def entity_label(graph: Graph | Dataset, entity: URIRef) -> str:
    """The entity's English (or untagged) rdfs:label or skos:prefLabel in ``graph``, else its
    slug: the name comments, reports and link tables give it."""
    for p in (RDFS.label, SKOS.prefLabel):
        for o in graph.objects(entity, p):
            if isinstance(o, Literal) and (o.language or "en").startswith("en"):
                return str(o)
    return entity_slug(entity)
