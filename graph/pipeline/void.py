"""The dataset description: VoID and DCAT in ``dist/void.ttl``, written by the build.

:func:`write_void` is a build artifact writer (see :data:`graph.pipeline.build.ARTIFACT_WRITERS`):
it
describes the dataset it is given (already rebased when the build publishes under another
base) and the files already written next to it. Nothing in it depends on the clock, so two
builds of the same inputs write the same bytes.

Described: title, description, license, creator, version, the SPARQL endpoint, example
resources, triple and entity counts (also per kind of named graph), the vocabularies used,
one DCAT distribution per file (with media type and size) and one VoID linkset per target
dataset of ``data/alignments.ttl``, with its link count.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from graph import __version__
from graph.inputs.reading import quads
from graph.namespaces import BASE, PREFIXES, bind_prefixes
from graph.stores.base import Store

VOID = Namespace("http://rdfs.org/ns/void#")
SCHEMA = Namespace("https://schema.org/")

LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
TITLE = "kzgraph: the institutions, laws and treaties behind Kazakhstan's human-rights reforms"
DESCRIPTION = (
    "An open RDF knowledge graph of the institutions, legal acts, treaties, events, programmes "
    "and reform measures behind Kazakhstan's human-rights reforms. Every fact sits in a named "
    "graph that records its source article, paragraph, verbatim quote and the agent who "
    "claims it; opinions are recorded as claims. Links to Wikidata, DBpedia and treaty "
    "registries are described with their evidence; facts imported from Wikidata are kept in "
    "their own graph."
)
#: Entities shown as examples, when the dataset has them.
EXAMPLES = ("kazakhstan", "decree-597-amendment", "iccpr", "commission-on-human-rights")
#: Output files described as distributions: file name -> (media type, title).
DISTRIBUTIONS = {
    "kzgraph.trig": ("application/trig", "TriG, with every named graph"),
    "kzgraph.nq": ("application/n-quads", "N-Quads, with every named graph"),
    "kzgraph.jsonld": ("application/ld+json", "JSON-LD, with every named graph"),
    "kzgraph.ttl": ("text/turtle", "Turtle, all graphs merged"),
    "kzgraph.nt": ("application/n-triples", "N-Triples, all graphs merged"),
    "context.jsonld": ("application/ld+json", "JSON-LD context (the prefix map as terms)"),
    "prefixes.json": ("application/json", "Prefix map"),
    "shapes.ttl": ("text/turtle", "SHACL shapes the data conforms to"),
}
DUMP_FORMATS = {"kzgraph.trig", "kzgraph.nq", "kzgraph.jsonld", "kzgraph.ttl", "kzgraph.nt"}
FILE_NAME = "void.ttl"


def _base_of(ds: Dataset) -> str:
    """The publication base: where ``kzr:`` points in this (possibly rebased) dataset."""
    for prefix, iri in ds.namespace_manager.namespaces():
        if prefix == "kzr" and str(iri).endswith("id/"):
            return str(iri)[: -len("id/")]
    return BASE


def describe(ds: Dataset, out_dir: Path | None = None) -> Graph:
    """The VoID/DCAT description of ``ds`` (and of the files in ``out_dir``, if given)."""
    base = _base_of(ds)
    kz = Namespace(base + "ontology#")
    kzr = Namespace(base + "id/")
    kzg = Namespace(base + "graph/")
    g = bind_prefixes(Graph())
    g.bind("kzg", kzg, replace=True, override=True)
    dataset = URIRef(base + "dataset")
    ontology = URIRef(base + "ontology")

    def add(p: URIRef, o: URIRef | Literal, s: URIRef = dataset) -> None:
        g.add((s, p, o))

    add(RDF.type, VOID.Dataset)
    add(RDF.type, DCAT.Dataset)
    add(DCTERMS.title, Literal(TITLE, lang="en"))
    add(RDFS.label, Literal("kzgraph", lang="en"))
    add(DCTERMS.description, Literal(DESCRIPTION, lang="en"))
    add(DCTERMS.license, LICENSE)
    add(DCTERMS.creator, kzr["kzgraph-project"])
    add(DCTERMS.publisher, kzr["kzgraph-project"])
    add(OWL.versionInfo, Literal(__version__))
    add(URIRef(str(DCAT) + "version"), Literal(__version__))  # DCAT 3
    modified = next(ds.objects(ontology, DCTERMS.modified), None)
    if isinstance(modified, Literal):
        add(DCTERMS.modified, modified)
    add(DCTERMS.conformsTo, ontology)
    add(VOID.sparqlEndpoint, URIRef(base + "sparql"))
    add(VOID.uriSpace, Literal(str(kzr)))
    if (kzr["kazakhstan"], None, None) in ds:
        add(VOID.rootResource, kzr["kazakhstan"])
    for slug in EXAMPLES:
        if (kzr[slug], None, None) in ds:
            add(VOID.exampleResource, kzr[slug])
    add(DCAT.keyword, Literal("human rights", lang="en"))
    add(DCAT.keyword, Literal("Kazakhstan", lang="en"))
    add(DCAT.keyword, Literal("treaties", lang="en"))
    add(DCAT.keyword, Literal("provenance", lang="en"))
    add(DCAT.landingPage, URIRef(base))

    # -- counts --
    all_quads = list(quads(ds))
    triples = {(s, p, o) for s, p, o, _g in all_quads}
    add(VOID.triples, Literal(len(triples), datatype=XSD.integer))
    entities = {s for s, _p, _o in triples if isinstance(s, URIRef) and s.startswith(str(kzr))}
    add(VOID.entities, Literal(len(entities), datatype=XSD.integer))
    add(VOID.distinctSubjects, Literal(len({t[0] for t in triples}), datatype=XSD.integer))
    add(VOID.distinctObjects, Literal(len({t[2] for t in triples}), datatype=XSD.integer))
    predicates = Counter(p for _s, p, _o in triples)
    add(VOID.properties, Literal(len(predicates), datatype=XSD.integer))
    classes = {o for _s, p, o in triples if p == RDF.type}
    add(VOID.classes, Literal(len(classes), datatype=XSD.integer))
    for namespace in sorted(_vocabularies(predicates, classes)):
        add(VOID.vocabulary, URIRef(namespace))

    # -- one subset per kind of named graph --
    by_kind: Counter[str] = Counter()
    graphs_by_kind: dict[str, set[URIRef]] = {}
    for _s, _p, _o, name in all_quads:
        kind = _graph_kind(name, base)
        by_kind[kind] += 1
        graphs_by_kind.setdefault(kind, set()).add(name)
    for kind in sorted(by_kind):
        subset = URIRef(f"{base}dataset/{kind}")
        add(VOID.subset, subset)
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, RDFS.label, Literal(f"kzgraph: {kind} graphs", lang="en")))
        g.add((subset, VOID.triples, Literal(by_kind[kind], datatype=XSD.integer)))
        g.add((subset, SCHEMA.size, Literal(len(graphs_by_kind[kind]), datatype=XSD.integer)))
        if kind != "evidence":
            for name in sorted(graphs_by_kind[kind]):
                g.add((subset, SKOS.member, name))

    # -- linksets --
    for target, count in sorted(_link_counts(ds, kz).items()):
        info = _target_info(ds, target)
        slug = str(target).rsplit("dataset-", 1)[-1] if "dataset-" in str(target) else "other"
        linkset = URIRef(f"{base}dataset/links-{slug}")
        add(VOID.subset, linkset)
        g.add((linkset, RDF.type, VOID.Linkset))
        g.add((linkset, RDFS.label, Literal(f"kzgraph links to {info['label']}", lang="en")))
        g.add((linkset, VOID.subjectsTarget, dataset))
        g.add((linkset, VOID.objectsTarget, target))
        g.add((linkset, VOID.target, dataset))
        g.add((linkset, VOID.target, target))
        g.add((linkset, VOID.triples, Literal(count["total"], datatype=XSD.integer)))
        for prop in sorted(count):
            if prop != "total":
                g.add((linkset, VOID.linkPredicate, URIRef(prop)))
        g.add((target, RDF.type, VOID.Dataset))
        g.add((target, RDFS.label, Literal(info["label"], lang="en")))
        if info.get("homepage"):
            g.add((target, FOAF.homepage, URIRef(info["homepage"])))
        if info.get("endpoint"):
            g.add((target, VOID.sparqlEndpoint, URIRef(info["endpoint"])))

    # -- distributions --
    if out_dir is not None:
        for file_name, (media, title) in DISTRIBUTIONS.items():
            path: Path = out_dir / file_name
            if not path.is_file():
                continue
            dist = URIRef(f"{base}dataset/distribution/{file_name}")
            url = URIRef(f"{base}dist/{file_name}")
            add(DCAT.distribution, dist)
            if file_name in DUMP_FORMATS:
                add(VOID.dataDump, url)
            g.add((dist, RDF.type, DCAT.Distribution))
            g.add((dist, DCTERMS.title, Literal(title, lang="en")))
            g.add((dist, DCAT.downloadURL, url))
            g.add(
                (
                    dist,
                    DCAT.mediaType,
                    URIRef(f"https://www.iana.org/assignments/media-types/{media}"),
                )
            )
            g.add(
                (dist, DCAT.byteSize, Literal(path.stat().st_size, datatype=XSD.nonNegativeInteger))
            )
            g.add((dist, DCTERMS.license, LICENSE))
    return g


def _graph_kind(name: URIRef, base: str) -> str:
    text = str(name)
    if text.startswith(base + "evidence/"):
        return "evidence"
    if text.startswith(base + "graph/"):
        return text[len(base + "graph/") :] or "other"
    return "other"


def _vocabularies(predicates: Counter[Node], classes: set[Node]) -> set[str]:
    used = set(predicates) | {c for c in classes if isinstance(c, URIRef)}
    found = set()
    for iri in PREFIXES.values():
        if iri.startswith(BASE) and not iri.endswith("ontology#"):
            continue  # data namespaces, not vocabularies
        if any(str(t).startswith(iri) for t in used):
            found.add(iri)
    return found


def _link_counts(ds: Dataset, kz: Namespace) -> dict[URIRef, Counter[str]]:
    """Target dataset -> count of verified link triples per linking property (and total)."""
    counts: dict[URIRef, Counter[str]] = {}
    seen = set()
    for a in ds.subjects(RDF.type, kz.Alignment):
        if (a, kz.alignmentStatus, kz.Verified) not in ds:
            continue
        s = ds.value(a, OWL.annotatedSource)
        p = ds.value(a, OWL.annotatedProperty)
        o = ds.value(a, OWL.annotatedTarget)
        target = ds.value(a, kz.targetDataset)
        if None in (s, p, o, target) or (s, p, o) not in ds or (s, p, o) in seen:
            continue
        seen.add((s, p, o))
        bucket = counts.setdefault(target, Counter())  # type: ignore[arg-type]
        bucket[str(p)] += 1
        bucket["total"] += 1
    return counts


def _target_info(ds: Dataset, target: object) -> dict[str, str]:
    label = next((str(o) for o in ds.objects(target, RDFS.label)), str(target))  # type: ignore[arg-type]
    home = next((str(o) for o in ds.objects(target, FOAF.homepage)), "")  # type: ignore[arg-type]
    endpoint = next((str(o) for o in ds.objects(target, VOID.sparqlEndpoint)), "")  # type: ignore[arg-type]
    return {"label": label, "homepage": home, "endpoint": endpoint}


def void_text(ds: Dataset, out_dir: Path | None = None) -> bytes:
    """The description as Turtle, deterministically."""
    data: bytes = describe(ds, out_dir).serialize(format="turtle", encoding="utf-8")
    return data


def write_void(ds: Dataset, out_dir: Path) -> None:
    """Build artifact writer: ``void.ttl`` in ``out_dir``."""
    (out_dir / FILE_NAME).write_bytes(void_text(ds, out_dir))


def summary(store: Store, base: str = BASE) -> dict[str, Any]:
    """What the ``/void`` page shows: the dataset, its licence, its counts, its named graphs
    grouped by kind, its sources and vocabularies. Read with SPARQL through ``store``."""
    from graph.sparql.guard import check_query

    def select(text: str) -> list[tuple[Node | None, ...]]:
        return store.query(check_query(text), None).rows()

    def number(node: Node | None) -> int:
        return int(node.toPython()) if isinstance(node, Literal) else 0

    ((triples, subjects),) = select(
        "SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?m) WHERE { ?s ?p ?o }"
    )
    ((entities,),) = select(
        "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o"
        f' FILTER(STRSTARTS(STR(?s), "{base}id/")) }}'
    )
    kinds: dict[str, dict[str, Any]] = {}
    for name, n in select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    ):
        kind = _graph_kind(URIRef(str(name)), base)
        entry = kinds.setdefault(kind, {"kind": kind, "graphs": [], "triples": 0})
        entry["triples"] += number(n)
        entry["graphs"].append({"iri": str(name), "triples": number(n)})
    sources = [
        {"iri": str(s), "label": str(label) if label is not None else None, "passages": number(n)}
        for s, label, n in select(
            "SELECT ?s (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?g) AS ?n) WHERE {"
            " GRAPH kzg:provenance { ?g prov:wasDerivedFrom ?s } OPTIONAL { ?s rdfs:label ?l } }"
            " GROUP BY ?s ORDER BY ?s"
        )
    ]
    used = {
        str(p) for (p,) in select("SELECT DISTINCT ?p WHERE { { ?s ?p ?o } UNION { ?s a ?p } }")
    }
    vocabularies = sorted(
        prefix
        for prefix, iri in PREFIXES.items()
        if not (iri.startswith(BASE) and not iri.endswith("ontology#"))
        and any(term.startswith(iri) for term in used)
    )
    wanted = " ".join(f"<{base}id/{slug}>" for slug in EXAMPLES)
    labels = {
        str(s): str(label)
        for s, label in select(
            f"SELECT ?s (SAMPLE(?l) AS ?label) WHERE {{ VALUES ?s {{ {wanted} }}"
            ' ?s rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), "en")) } GROUP BY ?s'
        )
    }
    examples = [
        {"iri": base + "id/" + slug, "label": labels[base + "id/" + slug]}
        for slug in EXAMPLES
        if base + "id/" + slug in labels
    ]
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "license": str(LICENSE),
        "version": __version__,
        "triples": number(triples),
        "subjects": number(subjects),
        "entities": number(entities),
        "kinds": sorted(kinds.values(), key=lambda k: (k["kind"] != "evidence", k["kind"])),
        "sources": sources,
        "vocabularies": [(prefix, PREFIXES[prefix]) for prefix in vocabularies],
        "examples": examples,
    }
