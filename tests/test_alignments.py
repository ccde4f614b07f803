"""data/alignments.ttl: the verified links the issue lists, their evidence, the pending ones,
the shapes and check that guard them, the label helper, and the VoID description."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS, XSD

from graph.inputs.reading import load_graph, quads
from graph.linking.alignments import alignment_iri, alignments
from graph.linking.external import external_links, links_markdown
from graph.linking.reconcile import alignments_text, read_alignments
from graph.linking.targets import ADMS, ALIGNMENTS_GRAPH, FOAF
from graph.namespaces import KZ, KZR, WD
from graph.pipeline.validation import validate
from graph.pipeline.void import VOID, describe
from graph.serving.labels import label_for, labels_for, languages
from tests.conftest import DATA, ONTOLOGY, REPO

ALIGNMENTS = DATA / "alignments.ttl"

#: The alignments issue 5 lists as verified; a test asserts each.
ISSUE_VERIFIED = [
    ("kazakhstan", "Q232"),
    ("kassym-jomart-tokayev", "Q200881"),
    ("iccpr", "Q392119"),
    ("council-of-europe", "Q8908"),
    ("international-labour-organization", "Q54129"),
    ("oecd", "Q41550"),
    ("united-nations", "Q1065"),
    ("president-of-kazakhstan", "Q5256775"),
]
#: Verified for this project from stored public material (evidence cited in the file).
FOUND_VERIFIED = [
    ("government-of-kazakhstan", "Q3814905"),
    ("russia", "Q159"),
    ("ukraine", "Q212"),
]
SPOCWIKI_KAZAKHSTAN = (
    "https://github.com/SpocWiki/_Standards/blob/000f52e192ea275b73b7d0dc42fb1504e5633cee/"
    "Earth/Continent/Asia/Asia~Central/Kazakhstan.md"
)


def _alignment(ds: Dataset, slug: str, target: str) -> URIRef:
    iri = alignment_iri(KZR[slug], target)
    assert (iri, RDF.type, KZ.Alignment) in ds, f"no alignment {iri}"
    return iri


@pytest.mark.parametrize(("slug", "qid"), ISSUE_VERIFIED + FOUND_VERIFIED)
def test_verified_wikidata_alignment(dataset, slug, qid):
    entity, item = KZR[slug], WD[qid]
    assert (entity, OWL.sameAs, item) in dataset
    a = _alignment(dataset, slug, "wikidata")
    assert dataset.value(a, OWL.annotatedSource) == entity
    assert dataset.value(a, OWL.annotatedProperty) == OWL.sameAs
    assert dataset.value(a, OWL.annotatedTarget) == item
    assert dataset.value(a, KZ.alignmentStatus) == KZ.Verified
    assert dataset.value(a, KZ.matchKind) == KZ.Exact
    assert dataset.value(a, KZ.mappingMethod) == KZ.Curated
    assert dataset.value(a, KZ.targetDataset) == KZR["dataset-wikidata"]
    checked = dataset.value(a, KZ.lastChecked)
    assert isinstance(checked, Literal) and checked.datatype == XSD.date
    assert set(dataset.objects(a, PROV.wasDerivedFrom)), "no evidence of where it was verified"
    # each link lives in kzg:alignments, nowhere else
    graphs = {g for _s, _p, _o, g in quads(dataset) if (_s, _p, _o) == (entity, OWL.sameAs, item)}
    assert graphs == {ALIGNMENTS_GRAPH}


@pytest.mark.parametrize(("slug", "qid"), ISSUE_VERIFIED)
def test_issue_identifiers_cite_the_issue(dataset, slug, qid):
    a = _alignment(dataset, slug, "wikidata")
    assert KZR["verification-issue-5"] in set(dataset.objects(a, PROV.wasDerivedFrom))


@pytest.mark.parametrize(("slug", "qid"), FOUND_VERIFIED)
def test_identifiers_found_here_cite_a_public_file_that_names_them(dataset, slug, qid):
    a = _alignment(dataset, slug, "wikidata")
    evidence = set(dataset.objects(a, PROV.wasDerivedFrom))
    assert URIRef(SPOCWIKI_KAZAKHSTAN) in evidence
    comment = str(dataset.value(URIRef(SPOCWIKI_KAZAKHSTAN), RDFS.comment))
    assert f",{qid[1:]}" in comment  # the record writes WD~Label,NUMBER


@pytest.mark.parametrize(
    ("slug", "notations", "page"),
    [
        ("iccpr", {"IV-4"}, "mtdsg_no=IV-4&chapter=4"),
        ("convention-against-torture", {"IV-9"}, "mtdsg_no=IV-9&chapter=4"),
        ("ilo-c190", {"C190", "3999810"}, "P12100_INSTRUMENT_ID:3999810"),
    ],
)
def test_treaty_registry_identifiers(dataset, slug, notations, page):
    entity = KZR[slug]
    identifiers = set(dataset.objects(entity, ADMS.identifier))
    assert {str(dataset.value(i, SKOS.notation)) for i in identifiers} == notations
    for i in identifiers:
        assert (i, RDF.type, ADMS.Identifier) in dataset
        assert dataset.value(i, ADMS.schemaAgency) is not None
    pages = [str(o) for o in dataset.objects(entity, RDFS.seeAlso)]
    assert len(pages) == 1 and page in pages[0]
    registry = "untc" if slug != "ilo-c190" else "normlex"
    a = _alignment(dataset, slug, registry)
    assert dataset.value(a, OWL.annotatedProperty) == RDFS.seeAlso
    assert dataset.value(a, KZ.alignmentStatus) == KZ.Verified


def test_pending_alignments_have_no_target_and_say_why(dataset):
    records = alignments(dataset)
    pending = [r for r in records if r.status == KZ.PendingReconciliation]
    assert {r.source for r in pending} >= {
        KZR[s]
        for s in (
            "ilo-c190",
            "venice-commission",
            "commission-on-human-rights",
            "igor-rogov",
            "ministry-of-justice",
            "january-unrest",
        )
    }
    for r in pending:
        assert r.target is None and r.prop is None
        assert dataset.value(r.iri, SKOS.editorialNote) is not None
    # an entity is either verified or pending for one dataset, never both
    keys = [(r.source, r.dataset) for r in records]
    assert len(keys) == len(set(keys))


def test_no_invented_or_test_identifier_in_the_data():
    text = ALIGNMENTS.read_text(encoding="utf-8")
    assert not re.search(r"Q9999999\d\d|Q9999998\d\d|FIXTURE", text)


def test_topics_use_skos_matches_never_sameas(dataset):
    for concept in dataset.subjects(RDF.type, SKOS.Concept):
        assert (concept, OWL.sameAs, None) not in dataset


def test_alignments_file_is_in_canonical_layout():
    """`kzgraph link` rewrites the file; a rewrite without changes must change nothing."""
    ds = load_graph(ONTOLOGY, DATA)
    text = ALIGNMENTS.read_text(encoding="utf-8")
    assert alignments_text(read_alignments(ALIGNMENTS), ds) == text


# -- Shapes and check: invalid alignments fail, and say why --

INVALID = {
    "verified-without-evidence": (
        "kzr:alignment-eu-reporter-wikidata a kz:Alignment ;\n"
        '  rdfs:label "EU Reporter → Wikidata"@en ;\n'
        "  owl:annotatedSource kzr:eu-reporter ; owl:annotatedProperty owl:sameAs ;\n"
        "  owl:annotatedTarget wd:Q999999999 ; kz:alignmentStatus kz:Verified ;\n"
        "  kz:matchKind kz:Exact ; kz:mappingMethod kz:Curated ;\n"
        '  kz:lastChecked "2026-11-25"^^xsd:date ; kz:targetDataset kzr:dataset-wikidata .\n'
        "kzr:eu-reporter owl:sameAs wd:Q999999999 .\n",
        "where it was verified",
    ),
    "reconciled-without-score": (
        "kzr:alignment-eu-reporter-wikidata a kz:Alignment ;\n"
        '  rdfs:label "EU Reporter → Wikidata"@en ;\n'
        "  owl:annotatedSource kzr:eu-reporter ; owl:annotatedProperty owl:sameAs ;\n"
        "  owl:annotatedTarget wd:Q999999999 ; kz:alignmentStatus kz:Verified ;\n"
        "  kz:matchKind kz:Exact ; kz:mappingMethod kz:Reconciled ;\n"
        "  prov:wasDerivedFrom <https://query.wikidata.org/sparql> ;\n"
        '  kz:lastChecked "2026-11-25"^^xsd:date ; kz:targetDataset kzr:dataset-wikidata .\n'
        "kzr:eu-reporter owl:sameAs wd:Q999999999 .\n",
        "kz:confidence",
    ),
    "sameas-on-a-topic": (
        "kzt:human-rights owl:sameAs wd:Q999999999 .\n",
        "never owl:sameAs",
    ),
    "undescribed-link": (
        "kzr:eu-reporter owl:sameAs wd:Q999999999 .\n",
        "that no kz:Alignment describes",
    ),
    "described-link-missing": (
        "kzr:alignment-eu-reporter-wikidata a kz:Alignment ;\n"
        '  rdfs:label "EU Reporter → Wikidata"@en ;\n'
        "  owl:annotatedSource kzr:eu-reporter ; owl:annotatedProperty owl:sameAs ;\n"
        "  owl:annotatedTarget wd:Q999999999 ; kz:alignmentStatus kz:Verified ;\n"
        "  kz:matchKind kz:Exact ; kz:mappingMethod kz:Curated ;\n"
        "  prov:wasDerivedFrom kzr:verification-issue-5 ;\n"
        '  kz:lastChecked "2026-11-25"^^xsd:date ; kz:targetDataset kzr:dataset-wikidata .\n',
        "is not in the data",
    ),
    "close-kind-with-sameas": (
        "kzr:alignment-eu-reporter-wikidata a kz:Alignment ;\n"
        '  rdfs:label "EU Reporter → Wikidata"@en ;\n'
        "  owl:annotatedSource kzr:eu-reporter ; owl:annotatedProperty owl:sameAs ;\n"
        "  owl:annotatedTarget wd:Q999999999 ; kz:alignmentStatus kz:Verified ;\n"
        "  kz:matchKind kz:Close ; kz:mappingMethod kz:Curated ;\n"
        "  prov:wasDerivedFrom kzr:verification-issue-5 ;\n"
        '  kz:lastChecked "2026-11-25"^^xsd:date ; kz:targetDataset kzr:dataset-wikidata .\n'
        "kzr:eu-reporter owl:sameAs wd:Q999999999 .\n",
        "does not fit the linking property",
    ),
    "pending-with-target": (
        "kzr:alignment-eu-reporter-wikidata a kz:Alignment ;\n"
        '  rdfs:label "EU Reporter → Wikidata"@en ;\n'
        "  owl:annotatedSource kzr:eu-reporter ; owl:annotatedTarget wd:Q999999999 ;\n"
        "  kz:alignmentStatus kz:PendingReconciliation ;\n"
        '  skos:editorialNote "not verified"@en ;\n'
        '  kz:lastChecked "2026-11-25"^^xsd:date ; kz:targetDataset kzr:dataset-wikidata .\n',
        "a pending one has no owl:annotatedTarget",
    ),
}
PREFIXES_TTL = """@prefix kz: <https://w3id.org/kzgraph/ontology#> .
@prefix kzr: <https://w3id.org/kzgraph/id/> .
@prefix kzt: <https://w3id.org/kzgraph/id/topic/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_alignment_fails_and_says_why(project: Path, name: str):
    body, why = INVALID[name]
    (project / "data" / "zz-invalid.ttl").write_text(PREFIXES_TTL + body, encoding="utf-8")
    result = validate(
        load_graph(project / "ontology", project / "data"),
        project / "ontology" / "shapes.ttl",
        project / "ontology" / "checks",
    )
    assert not result.conforms
    assert why in result.report_text


# -- Labels with a language switch --


def test_label_for_falls_back_to_english():
    g = Graph()
    e = KZR["kazakhstan"]
    g.add((e, RDFS.label, Literal("Kazakhstan", lang="en")))
    g.add((e, URIRef("https://schema.org/name"), Literal("Қазақстан", lang="kk")))
    assert label_for(g, e, "kk") == "Қазақстан"
    assert label_for(g, e, "kk-Cyrl") == "Қазақстан"
    assert label_for(g, e, "de") == "Kazakhstan"
    assert label_for(g, e) == "Kazakhstan"
    assert label_for(g, KZR["nowhere"], "kk") == "nowhere"
    assert labels_for(g, e) == {"en": "Kazakhstan", "kk": "Қазақстан"}
    assert languages(g) == ["en", "kk"]


def test_label_for_on_the_curated_data_is_english(dataset):
    assert label_for(dataset, KZR["kazakhstan"], "ru") == "Kazakhstan"
    assert label_for(dataset, KZR["topic/human-rights"], "kk") == "Human rights"


# -- VoID and DCAT --


def test_void_written_by_the_build(built):
    assert "void.ttl" in built.files
    void = Graph().parse(built.out_dir / "void.ttl", format="turtle")
    dataset = URIRef("https://w3id.org/kzgraph/dataset")
    assert (dataset, RDF.type, VOID.Dataset) in void
    assert (
        dataset,
        URIRef("http://purl.org/dc/terms/license"),
        URIRef("https://creativecommons.org/licenses/by/4.0/"),
    ) in void
    assert (dataset, VOID.sparqlEndpoint, URIRef("https://w3id.org/kzgraph/sparql")) in void
    assert (dataset, VOID.exampleResource, KZR["kazakhstan"]) in void
    published = Dataset().parse(built.out_dir / "kzgraph.nq", format="nquads")
    triples = {(s, p, o) for s, p, o, _g in published.quads()}  # a triple may be in two graphs
    assert int(void.value(dataset, VOID.triples)) == len(triples)
    counts = {
        str(void.value(ls, VOID.objectsTarget)).rsplit("-", 1)[-1]: int(
            void.value(ls, VOID.triples)
        )
        for ls in void.subjects(RDF.type, VOID.Linkset)
    }
    assert counts == {"wikidata": 25, "dbpedia": 24, "untc": 2, "normlex": 1}
    for dist in void.subjects(RDF.type, URIRef("http://www.w3.org/ns/dcat#Distribution")):
        url = str(void.value(dist, URIRef("http://www.w3.org/ns/dcat#downloadURL")))
        size = int(void.value(dist, URIRef("http://www.w3.org/ns/dcat#byteSize")))
        assert (built.out_dir / url.rsplit("/", 1)[1]).stat().st_size == size


def test_void_follows_the_base(dataset, tmp_path):
    from graph.inputs.reading import rebase

    moved = describe(rebase(dataset, "https://example.org/kz/"))
    assert (URIRef("https://example.org/kz/dataset"), RDF.type, VOID.Dataset) in moved
    assert not any(str(s).startswith("https://w3id.org/kzgraph/dataset") for s in moved.subjects())


def test_void_is_deterministic(dataset):
    assert isomorphic(describe(dataset), describe(dataset))


def test_alignments_copy_round_trips_through_the_writer(tmp_path):
    copy = tmp_path / "alignments.ttl"
    shutil.copy(ALIGNMENTS, copy)
    before = read_alignments(copy)
    copy.write_text(alignments_text(before), encoding="utf-8")
    assert isomorphic(before, read_alignments(copy))


# -- Issue 16: links verified against cited public records --

DBR = "http://dbpedia.org/resource/"
#: (entity, target, match kind, text the cited record's description must contain).
ISSUE_16 = [
    ("convention-against-torture", WD["Q851857"], KZ.Exact, ",851857"),
    ("topic/human-rights", WD["Q8458"], KZ.Exact, "Q8458"),
    ("topic/rule-of-law", WD["Q44918"], KZ.Exact, "Q44918"),
    ("topic/civil-and-political-rights", WD["Q191600"], KZ.Exact, "Q191600"),
    ("topic/judicial-system", WD["Q105985"], KZ.Exact, "Q105985"),
    ("topic/criminal-justice", WD["Q117488"], KZ.Exact, ",117488"),
    ("topic/freedom-of-religion", WD["Q171899"], KZ.Exact, "Q171899"),
    ("topic/womens-rights", WD["Q223569"], KZ.Exact, ",223569"),
    ("topic/prevention-of-torture", WD["Q132781"], KZ.Close, "Q132781"),
    ("topic/right-to-life", WD["Q8454"], KZ.Close, "Q8454"),
    ("topic/non-discrimination", WD["Q27976816"], KZ.Close, ",27976816"),
    ("topic/migrants-and-refugees", WD["Q131572"], KZ.Close, "Q131572"),
    ("topic/human-trafficking", WD["Q181784"], KZ.Close, ",181784"),
    ("topic/law-enforcement", WD["Q44554"], KZ.Close, ",44554"),
    ("kazakhstan", URIRef(DBR + "Kazakhstan"), KZ.Exact, "Kazakhstan"),
    ("russia", URIRef(DBR + "Russia"), KZ.Exact, "Russia"),
    ("ukraine", URIRef(DBR + "Ukraine"), KZ.Exact, "Ukraine"),
    ("council-of-europe", URIRef(DBR + "Council_of_Europe"), KZ.Exact, "Council of Europe"),
    (
        "international-labour-organization",
        URIRef(DBR + "International_Labour_Organization"),
        KZ.Exact,
        "International Labour Organization",
    ),
    ("united-nations", URIRef(DBR + "United_Nations"), KZ.Exact, "United Nations"),
    (
        "iccpr",
        URIRef(DBR + "International_Covenant_on_Civil_and_Political_Rights"),
        KZ.Exact,
        "International Covenant on Civil and Political Rights",
    ),
    ("venice-commission", URIRef(DBR + "Venice_Commission"), KZ.Exact, "Venice Commission"),
    (
        "kassym-jomart-tokayev",
        URIRef(DBR + "Kassym-Jomart_Tokayev"),
        KZ.Exact,
        "Kassym-Jomart_Tokayev",
    ),
    ("russia-ukraine-conflict", URIRef(DBR + "Russo-Ukrainian_War"), KZ.Close, "Russo-Ukrainian"),
    ("president-of-kazakhstan", URIRef(DBR + "President_of_Kazakhstan"), KZ.Exact, "President of"),
    (
        "government-of-kazakhstan",
        URIRef(DBR + "Government_of_Kazakhstan"),
        KZ.Exact,
        "Government of",
    ),
    ("oecd", URIRef(DBR + "OECD"), KZ.Exact, "under the title OECD"),
    (
        "convention-against-torture",
        URIRef(DBR + "United_Nations_Convention_against_Torture"),
        KZ.Exact,
        "United Nations Convention against Torture",
    ),
    ("january-unrest", URIRef(DBR + "2022_Kazakh_unrest"), KZ.Exact, "2022 Kazakh unrest"),
    ("topic/human-rights", URIRef(DBR + "Human_rights"), KZ.Exact, "Human rights"),
    ("topic/rule-of-law", URIRef(DBR + "Rule_of_law"), KZ.Exact, "Rule of law"),
    ("topic/judicial-system", URIRef(DBR + "Judiciary"), KZ.Exact, "Judiciary"),
    ("topic/right-to-life", URIRef(DBR + "Capital_punishment"), KZ.Close, "Capital punishment"),
]
PUBLIC = re.compile(
    r"^https://github\.com/[\w.-]+/[\w.-]+/blob/[0-9a-f]{40}/\S+$|^https?://(?!w3id\.org/)\S+$"
)


@pytest.mark.parametrize(("slug", "target", "kind", "named"), ISSUE_16)
def test_issue_16_link_cites_a_public_record_that_names_it(dataset, slug, target, kind, named):
    entity = KZR[slug]
    wikidata = target.startswith(str(WD))
    a = _alignment(dataset, slug.replace("topic/", "topic-"), "wikidata" if wikidata else "dbpedia")
    concept = (entity, RDF.type, SKOS.Concept) in dataset
    prop = OWL.sameAs if kind == KZ.Exact and not concept else SKOS.exactMatch
    if kind == KZ.Close:
        prop = SKOS.closeMatch
    assert (entity, prop, target) in dataset
    assert dataset.value(a, OWL.annotatedTarget) == target
    assert dataset.value(a, KZ.matchKind) == kind
    assert dataset.value(a, KZ.alignmentStatus) == KZ.Verified
    assert dataset.value(a, KZ.mappingMethod) == KZ.Curated
    documents = set(dataset.objects(a, PROV.wasDerivedFrom))
    assert documents and all(PUBLIC.match(str(d)) for d in documents)
    described = " ".join(str(dataset.value(d, RDFS.comment)) for d in documents)
    assert named in described


def test_every_verified_link_cites_a_public_address(dataset):
    for r in alignments(dataset):
        if r.status != KZ.Verified or r.dataset not in (
            KZR["dataset-wikidata"],
            KZR["dataset-dbpedia"],
        ):
            continue
        public = [d for d in dataset.objects(r.iri, PROV.wasDerivedFrom) if PUBLIC.match(str(d))]
        assert public, f"{r.iri} cites no public address"
        for d in public:
            assert (d, RDF.type, FOAF.Document) in dataset
            assert dataset.value(d, RDFS.label) and dataset.value(d, RDFS.comment)


def test_counts_meet_the_issue_and_stats_prints_them(dataset):
    from graph.pipeline.statistics import format_table, stats

    records = alignments(dataset)

    def linked(name: str) -> set[URIRef]:
        return {
            r.source
            for r in records
            if r.dataset == KZR[f"dataset-{name}"] and r.status == KZ.Verified
        }

    assert len(linked("wikidata")) >= 25 and len(linked("dbpedia")) >= 10
    summary = stats(dataset)["alignments"]
    assert summary["verified"] == sum(r.status == KZ.Verified for r in records)
    assert summary["pending"] == sum(r.status == KZ.PendingReconciliation for r in records)
    assert summary["reconciled"] == 0
    assert summary["by_dataset"]["Wikidata"]["verified"] == len(linked("wikidata"))
    table = format_table(stats(dataset))
    assert "Links to other datasets (alignments)" in table
    row = next(line for line in table.splitlines() if line.startswith("all "))
    assert row.split() == ["all", str(summary["verified"]), "0", str(summary["pending"])]


def test_every_linkable_entity_is_linked_or_pending_with_what_was_searched(dataset):
    from graph.linking.reconcile import linkable_entities

    for entity in linkable_entities(dataset):
        links = [x for x in external_links(dataset, entity) if x.dataset_label == "Wikidata"]
        assert len(links) == 1, entity
        if links[0].status == "pending":
            assert links[0].note and "Searched on 2026-12-02" in links[0].note, entity


def test_docs_list_every_link_with_its_evidence(dataset):
    docs = (REPO / "docs" / "linking.md").read_text(encoding="utf-8")
    start, end = "<!-- links:start -->\n", "<!-- links:end -->"
    listed = docs[docs.index(start) + len(start) : docs.index(end)]
    assert listed == links_markdown(dataset), (
        "regenerate with graph.linking.external.links_markdown"
    )
    summary = listed.splitlines()[0]
    assert summary.startswith("52 verified, 0 reconciled and 22 pending alignments")
