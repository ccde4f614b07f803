"""The ontology as documentation, in the manner of pyLODE and Widoco.

:func:`document` reads the ontology graph (``kzg:ontology``) through a
:class:`graph.stores.base.Store` and returns plain data for ``/ontology``: the header (title,
version, licence, namespace), then one entry per term minted in the ``kz:`` namespace, grouped
into classes, object properties, datatype properties and controlled values, each with its
label, comment, usage note, super- and sub-terms, domain and range (``rdfs:domain`` /
``rdfs:range`` and schema.org's ``domainIncludes`` / ``rangeIncludes``) and how often the data
uses it. Each entry's ``anchor`` is the term's local name, so the term IRI
``https://w3id.org/kzgraph/ontology#Term`` lands on its section. Reused terms that the ontology
annotates (``vann:usageNote``) are listed too.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from graph.namespaces import PREFIXES
from graph.serving.term_labels import external_label
from graph.sparql.results import shorten
from graph.stores.base import Store

ONTOLOGY_GRAPH = PREFIXES["kzg"] + "ontology"
ONTOLOGY = PREFIXES["kz"].rstrip("#")
KZ = PREFIXES["kz"]
OWL = PREFIXES["owl"]
RDFS = PREFIXES["rdfs"]
SKOS = PREFIXES["skos"]
SCHEMA = PREFIXES["schema"]
DCT = PREFIXES["dct"]
VANN = PREFIXES["vann"]
RDF_TYPE = PREFIXES["rdf"] + "type"

#: Sections of the page, in order: (key, heading, test on the term's types).
SECTIONS = (
    ("classes", "Classes", {OWL + "Class", RDFS + "Class"}),
    ("object-properties", "Object properties", {OWL + "ObjectProperty"}),
    ("datatype-properties", "Datatype properties", {OWL + "DatatypeProperty"}),
    ("properties", "Other properties", {PREFIXES["rdf"] + "Property", OWL + "AnnotationProperty"}),
    ("schemes", "Concept schemes", {SKOS + "ConceptScheme"}),
)


def _select(store: Store, text: str) -> list[tuple[Node | None, ...]]:
    from graph.sparql.guard import check_query

    return store.query(check_query(text), None).rows()


def _text(values: list[Node], lang: str = "en") -> str | None:
    """The value in ``lang``, else English, else any."""
    literals = sorted((v for v in values if isinstance(v, Literal)), key=str)
    for wanted in (lang, "en", None):
        for value in literals:
            if wanted is None or (value.language or "").split("-")[0] == wanted:
                return str(value)
    return None


def document(store: Store, lang: str = "en") -> dict[str, Any]:
    """The ontology page's content (see the module docstring)."""
    rows = _select(
        store,
        f"SELECT ?s ?p ?o WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} FILTER(isIRI(?s)) }}",
    )
    about: dict[str, dict[str, list[Node]]] = defaultdict(lambda: defaultdict(list))
    for s, p, o in rows:
        if o is not None:
            about[str(s)][str(p)].append(o)
    usage = _usage(store)
    labels = {
        iri: label
        for iri, props in about.items()
        if (label := _text(props.get(RDFS + "label", []) + props.get(SKOS + "prefLabel", []), lang))
    }

    def ref(node: Node) -> dict[str, Any]:
        iri = str(node)
        return {
            "iri": iri,
            "short": shorten(iri),
            "label": labels.get(iri) or external_label(iri),
            "local": iri.startswith(KZ),
        }

    subs: dict[str, list[str]] = defaultdict(list)
    members: dict[str, list[str]] = defaultdict(list)
    for iri, props in about.items():
        for parent in props.get(RDFS + "subClassOf", []) + props.get(RDFS + "subPropertyOf", []):
            subs[str(parent)].append(iri)
        for scheme in props.get(SKOS + "inScheme", []):
            members[str(scheme)].append(iri)

    def entry(iri: str) -> dict[str, Any]:
        props = about[iri]

        def refs(*names: str) -> list[dict[str, Any]]:
            found = {str(o) for name in names for o in props.get(name, []) if isinstance(o, URIRef)}
            return [ref(URIRef(i)) for i in sorted(found)]

        return {
            **ref(URIRef(iri)),
            "anchor": iri[len(KZ) :],
            "comment": _text(
                props.get(RDFS + "comment", []) + props.get(SKOS + "definition", []), lang
            ),
            "note": _text(
                props.get(VANN + "usageNote", []) + props.get(SKOS + "scopeNote", []), lang
            ),
            "types": refs(RDF_TYPE),
            "supers": refs(RDFS + "subClassOf", RDFS + "subPropertyOf", SKOS + "broader"),
            "subs": [ref(URIRef(i)) for i in sorted(subs.get(iri, []))],
            "domain": refs(RDFS + "domain"),
            "domain_includes": refs(SCHEMA + "domainIncludes"),
            "range": refs(RDFS + "range"),
            "range_includes": refs(SCHEMA + "rangeIncludes"),
            "inverse": refs(OWL + "inverseOf"),
            "scheme": refs(SKOS + "inScheme"),
            "members": [ref(URIRef(i)) for i in sorted(members.get(iri, []), key=str.lower)],
            "see_also": refs(RDFS + "seeAlso"),
            "usage": usage.get(iri, 0),
        }

    terms = sorted((i for i in about if i.startswith(KZ) and len(i) > len(KZ)), key=str.lower)
    sections: list[dict[str, Any]] = []
    placed: set[str] = set()
    for key, heading, kinds in SECTIONS:
        chosen = [
            i
            for i in terms
            if i not in placed and {str(t) for t in about[i].get(RDF_TYPE, [])} & kinds
        ]
        placed.update(chosen)
        if chosen:
            sections.append({"key": key, "heading": heading, "terms": [entry(i) for i in chosen]})
    values = [i for i in terms if i not in placed]
    if values:
        sections.append(
            {"key": "values", "heading": "Controlled values", "terms": [entry(i) for i in values]}
        )
    reused = [
        {**entry(i), "anchor": "reused-" + shorten(i).replace(":", "-")}
        for i in sorted(about, key=shorten)
        if not i.startswith(KZ) and i != ONTOLOGY and about[i].get(VANN + "usageNote")
    ]
    head = about.get(ONTOLOGY, {})
    header = {
        "iri": ONTOLOGY,
        "title": _text(head.get(DCT + "title", []), lang) or "kzgraph ontology",
        "description": _text(head.get(DCT + "description", []), lang),
        "comment": _text(head.get(RDFS + "comment", []), lang),
        "version": _text(head.get(OWL + "versionInfo", [])),
        "version_iri": next((str(o) for o in head.get(OWL + "versionIRI", [])), None),
        "created": _text(head.get(DCT + "created", [])),
        "modified": _text(head.get(DCT + "modified", [])),
        "license": next((str(o) for o in head.get(DCT + "license", [])), None),
        "creator": [ref(o) for o in head.get(DCT + "creator", [])],
        "prefix": _text(head.get(VANN + "preferredNamespacePrefix", [])),
        "namespace": KZ,
        "references": [ref(o) for o in sorted(head.get(DCT + "references", []), key=str)],
    }
    return {"header": header, "sections": sections, "reused": reused}


def _usage(store: Store) -> dict[str, int]:
    """How often the data outside the ontology uses each term: instances of a class, triples
    of a property, and objects of everything else (a status, a mode, a kind)."""
    counts: dict[str, int] = defaultdict(int)
    outside = f"FILTER(?g != <{ONTOLOGY_GRAPH}>)"
    for query in (
        f"SELECT ?t (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s a ?t }} {outside} }} GROUP BY ?t",
        f"SELECT ?t (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?t ?o }} {outside} }} GROUP BY ?t",
        "SELECT ?t (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?t }"
        f' FILTER(isIRI(?t) && STRSTARTS(STR(?t), "{KZ}") && ?p != <{RDF_TYPE}>) {outside} }}'
        " GROUP BY ?t",
    ):
        for term, n in _select(store, query):
            if term is not None and isinstance(n, Literal):
                counts[str(term)] += int(n.toPython())
    return counts
