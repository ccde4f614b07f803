"""Labels in several languages, with English as the fallback, for pages and views.

Curated labels are English (``rdfs:label``, ``skos:prefLabel`` for topics); ``kzgraph enrich``
adds labels in other languages as ``schema:name`` in graph ``kzg:enrichment``. Entity pages
and the network view call :func:`label_for` with the language the reader chose and get the
best label there is: the chosen language, else English, else any label, else the IRI's last
segment. They never see an empty string.
"""

from __future__ import annotations

from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDFS, SKOS
from rdflib.term import Node

SCHEMA = Namespace("https://schema.org/")

#: Label properties in order of preference within one language.
LABEL_PROPERTIES = (RDFS.label, SKOS.prefLabel, SCHEMA.name)
FALLBACK = "en"


def _primary(tag: str | None) -> str:
    return (tag or "").split("-")[0].lower()


def labels_for(ds: Dataset | Graph, iri: Node) -> dict[str, str]:
    """Every language this entity has a label in -> the preferred label in it."""
    found: dict[str, str] = {}
    for p in LABEL_PROPERTIES:
        values = sorted(
            (o for o in ds.objects(iri, p) if isinstance(o, Literal) and o.language),
            key=str,
        )
        for o in values:
            found.setdefault(_primary(o.language), str(o))
    return dict(sorted(found.items()))


def label_for(ds: Dataset | Graph, iri: Node, lang: str = FALLBACK) -> str:
    """The label of ``iri`` in ``lang`` (e.g. ``kk``, ``ru``), falling back to English.

    Args:
        ds: the dataset (curated graphs plus, when present, kzg:enrichment).
        iri: the entity.
        lang: a language tag; only its primary subtag counts (``kk-Cyrl`` is ``kk``).
    """
    labels = labels_for(ds, iri)
    for wanted in (_primary(lang), FALLBACK):
        if wanted in labels:
            return labels[wanted]
    for p in LABEL_PROPERTIES:  # a label without a language tag
        for o in ds.objects(iri, p):
            if isinstance(o, Literal):
                return str(o)
    if labels:
        return next(iter(labels.values()))
    return local_name(iri)


def languages(ds: Dataset | Graph) -> list[str]:
    """The languages labels exist in, English first: the choices for a language switch."""
    found = {
        _primary(o.language)
        for p in LABEL_PROPERTIES
        for o in ds.objects(None, p)
        if isinstance(o, Literal) and o.language
    }
    return [FALLBACK, *sorted(found - {FALLBACK})]


def local_name(iri: Node) -> str:
    """The last path or fragment segment of an IRI (``kazakhstan`` for kzr:kazakhstan)."""
    text = str(iri)
    if isinstance(iri, URIRef):
        for sep in ("#", "/"):
            if sep in text.rstrip(sep):
                return text.rstrip(sep).rsplit(sep, 1)[1]
    return text
