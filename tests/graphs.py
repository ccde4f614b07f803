"""Generated datasets for the network, view and analysis tests (not the project's data).

Each generated fact sits in an evidence graph described in ``kzg:provenance``, as in data/, so
the conversion reads sources and quotes from them exactly as it does for the real graph.
"""

from __future__ import annotations

import random
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import FOAF, PROV, RDF, RDFS, XSD

from graph.inputs.reading import add_quad, new_dataset
from graph.namespaces import KZ, KZE, KZG, KZR

SCHEMA_START = URIRef("https://schema.org/startDate")
#: What a generated entity is: (class, linking predicate to an earlier entity, date predicate).
KINDS = (
    (FOAF.Person, URIRef("http://www.w3.org/ns/org#memberOf"), None),
    (KZ.StateBody, KZ.cooperatesWith, None),
    (KZ.Decree, KZ.signedBy, KZ.dateSigned),
    (KZ.Event, KZ.participant, SCHEMA_START),
    (KZ.ReformMeasure, KZ.responsibleBody, None),
)
SOURCE = KZR["generated-source"]
CLAIMANT = KZR["generated-outlet"]
ONTOLOGY = Path(__file__).resolve().parent.parent / "ontology" / "kzgraph.ttl"

#: A label, a description and a quote that would run script if they ever reached HTML as markup.
HOSTILE_LABEL = '<script>window.__pwned = "label"</script>Evil <b>Corp</b>'
HOSTILE_DESCRIPTION = "<img src=x onerror=\"window.__pwned = 'description'\">described"
HOSTILE_QUOTE = '</script><script>window.__pwned = "quote"</script> said so'


def _provenance(ds: Dataset, graph: URIRef, quote: str, paragraph: int) -> None:
    for p, o in (
        (RDF.type, KZ.Assertion),
        (PROV.wasDerivedFrom, SOURCE),
        (PROV.wasAttributedTo, CLAIMANT),
        (KZ.assertionMode, KZ.Narration),
        (KZ.paragraph, Literal(paragraph)),
        (KZ.quote, Literal(quote)),
    ):
        add_quad(ds, (graph, p, o, KZG["provenance"]))


def _sources(ds: Dataset) -> None:
    for s, p, o in (
        (SOURCE, RDF.type, PROV.Entity),
        (SOURCE, RDFS.label, Literal("Generated source", lang="en")),
        (CLAIMANT, RDF.type, KZ.NewsOutlet),
        (CLAIMANT, RDFS.label, Literal("Generated outlet", lang="en")),
    ):
        add_quad(ds, (s, p, o, KZG["sources"]))


def _ontology(ds: Dataset) -> None:
    """The project's ontology in kzg:ontology, so classes have labels and superclasses."""
    ontology = Graph().parse(ONTOLOGY, format="turtle")
    for s, p, o in ontology:
        add_quad(ds, (s, p, o, KZG["ontology"]))


def generated_dataset(nodes: int, seed: int = 1, extra_edges: float = 0.2) -> Dataset:
    """A connected scale-free graph of ``nodes`` entities of five kinds, some dated.

    Entity ``i`` links to an earlier entity chosen in proportion to its degree, plus about
    ``extra_edges`` * ``nodes`` further links; every ten entities share one evidence graph.
    """
    rng = random.Random(seed)
    ds = new_dataset()
    _ontology(ds)
    _sources(ds)
    targets: list[int] = []
    for i in range(nodes):
        cls, predicate, date_predicate = KINDS[i % len(KINDS)]
        entity = KZR[f"entity-{i:05d}"]
        graph = KZE[f"generated-{i // 10:05d}"]
        if i % 10 == 0:
            _provenance(ds, graph, f"Passage {i // 10} names entities {i} to {i + 9}.", i // 10)
        add_quad(ds, (entity, RDF.type, cls, graph))
        add_quad(
            ds,
            (
                entity,
                RDFS.label,
                Literal(f"{cls.split('#')[-1].split('/')[-1]} {i}", lang="en"),
                graph,
            ),
        )
        if date_predicate is not None:
            year = 2000 + (i * 7) % 23
            month = 1 + (i * 5) % 12
            value = (
                Literal(f"{year}-{month:02d}-15", datatype=XSD.date)
                if i % 3 == 0
                else Literal(f"{year}-{month:02d}", datatype=XSD.gYearMonth)
                if i % 3 == 1
                else Literal(str(year), datatype=XSD.gYear)
            )
            add_quad(ds, (entity, date_predicate, value, graph))
        if i:
            j = rng.choice(targets) if targets and rng.random() < 0.8 else rng.randrange(i)
            add_quad(ds, (entity, predicate, KZR[f"entity-{j:05d}"], graph))
            targets.extend((i, j))
    for _ in range(int(extra_edges * nodes)):
        a, b = rng.randrange(nodes), rng.randrange(nodes)
        if a != b:
            graph = KZE[f"generated-{a // 10:05d}"]
            add_quad(ds, (KZR[f"entity-{a:05d}"], KZ.follows, KZR[f"entity-{b:05d}"], graph))
    return ds


def hostile_dataset() -> Dataset:
    """Two entities whose label, description and evidence quote hold markup and script."""
    ds = new_dataset()
    _sources(ds)
    graph = KZE["hostile"]
    _provenance(ds, graph, HOSTILE_QUOTE, 1)
    evil, good = KZR["evil-corp"], KZR["good-body"]
    for s, p, o in (
        (evil, RDF.type, KZ.StateBody),
        (evil, RDFS.label, Literal(HOSTILE_LABEL, lang="en")),
        (evil, URIRef("https://schema.org/description"), Literal(HOSTILE_DESCRIPTION, lang="en")),
        (good, RDF.type, KZ.StateBody),
        (good, RDFS.label, Literal("Good body", lang="en")),
        (evil, KZ.cooperatesWith, good),
    ):
        add_quad(ds, (s, p, o, graph))
    return ds


def small_dataset(
    facts: list[tuple[str, URIRef, str]], kinds: dict[str, URIRef] | None = None
) -> Dataset:
    """Entities named by slug (label = slug in capitals), each fact in its own evidence graph
    whose quote is the fact written out, so a test can tell which passage backs which step."""
    ds = new_dataset()
    _ontology(ds)
    _sources(ds)
    names = sorted({s for s, _p, _o in facts} | {o for _s, _p, o in facts} | set(kinds or {}))
    for name in names:
        graph = KZE[f"entity-{name}"]
        _provenance(ds, graph, f"{name.upper()} exists.", 1)
        add_quad(ds, (KZR[name], RDF.type, (kinds or {}).get(name, KZ.StateBody), graph))
        add_quad(ds, (KZR[name], RDFS.label, Literal(name.upper(), lang="en"), graph))
    for i, (s, p, o) in enumerate(facts):
        graph = KZE[f"fact-{i}"]
        _provenance(ds, graph, f"{s.upper()} {p.split('#')[-1]} {o.upper()}.", i + 2)
        add_quad(ds, (KZR[s], p, KZR[o], graph))
    return ds
