"""RDF -> networkx: what becomes a node, an edge or an attribute, and the evidence on each."""

from __future__ import annotations

import re
import time

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from graph.errors import InputError
from graph.explore.network import (
    date_start,
    humanise,
    neighbourhood,
    query_network,
    to_networkx,
    triples_to_networkx,
)
from graph.inputs.reading import add_quad, load_graph, quads
from graph.namespaces import KZ, KZE, KZG, KZR, WD

from .conftest import DATA, ONTOLOGY
from .graphs import generated_dataset

ROGOV = str(KZR["igor-rogov"])
DECREE = str(KZR["decree-597"])
AMENDMENT = str(KZR["decree-597-amendment"])
SPECIAL = {KZG["ontology"], KZG["provenance"], KZG["sources"], KZG["alignments"]}


def evidence_triples(dataset):
    """The distinct IRI-to-IRI triples of the evidence graphs, as the conversion should draw."""
    found = set()
    for s, p, o, g in quads(dataset):
        if (
            str(g).startswith(str(KZE))
            and p != RDF.type
            and isinstance(o, URIRef)
            and not str(o).startswith(str(KZ))  # controlled values are attributes
        ):
            found.add((str(s), str(p), str(o)))
    return found


def test_every_fact_between_entities_is_one_directed_edge(dataset, network):
    edges = {(u, k, v) for u, v, k in network.edges(keys=True)}
    assert edges == evidence_triples(dataset)
    assert network.is_directed() and network.is_multigraph()


def test_nodes_show_labels_never_iris(network):
    for node, data in network.nodes(data=True):
        assert data["label"], node
        assert not re.match(r"https?://", data["label"]), (node, data["label"])
    for _u, _v, data in network.edges(data=True):
        assert data["label"] and not data["label"].startswith("http")


def test_predicates_are_labelled_from_the_ontology_or_their_name(network):
    labels = {k: d["label"] for _u, _v, k, d in network.edges(keys=True, data=True)}
    assert labels[str(KZ.cooperatesWith)] == "cooperates with"  # rdfs:label in the ontology
    assert labels["http://data.europa.eu/eli/ontology#amended_by"] == "amended by"
    assert labels["http://purl.org/dc/terms/isPartOf"] == "is part of"


def test_provenance_ontology_and_link_metadata_are_left_out(dataset, network):
    drawn = set()
    for s, p, o, g in quads(dataset):
        if str(g).startswith(str(KZE)):
            drawn.add(str(s))
            if isinstance(o, URIRef) and p != RDF.type and not str(o).startswith(str(KZ)):
                drawn.add(str(o))
    assert set(network.nodes) == drawn
    assert not any(n.startswith(str(KZE)) for n in network)  # no evidence graphs as nodes
    assert not any(n.startswith(str(KZ)) for n in network)  # no vocabulary terms as nodes
    alignment = str(KZR["alignment-council-of-europe-wikidata"])
    assert alignment not in network and str(KZR["kzgraph-project"]) not in network


def test_provenance_can_be_included(dataset, network):
    with_prov = to_networkx(dataset, provenance=True)
    assignment = str(KZE["opinion-p07-welcome"])
    assert assignment in with_prov and assignment not in network
    derived = {
        v
        for _u, v, k in with_prov.out_edges(assignment, keys=True)
        if k == "http://www.w3.org/ns/prov#wasDerivedFrom"
    }
    assert derived == {str(KZR["article-regional-crisis-opportunity"])}


def test_ontology_can_be_included(dataset):
    with_ontology = to_networkx(dataset, ontology=True)
    assert str(KZ.Decree) in with_ontology
    parents = {
        v
        for _u, v, k in with_ontology.out_edges(str(KZ.Decree), keys=True)
        if k == str(RDFS.subClassOf)
    }
    assert str(KZ.LegalAct) in parents


def test_node_details_classes_description_and_values(network):
    decree = network.nodes[DECREE]
    assert decree["label"] == "Decree 597"
    assert decree["kind"] == "Decree" and decree["group"] == "legal"
    assert decree["name"] == "kzr:decree-597"
    assert "human rights" in decree["description"]
    assert {a["label"]: a["value"] for a in decree["attributes"]}["id local"] == "597"
    measure = network.nodes[str(KZR["lower-party-registration-threshold"])]
    values = {a["label"]: a["value"] for a in measure["attributes"]}
    assert values["old value"] == "20000" and values["new value"] == "5000"
    assert values["status"] == "introduced"  # a controlled value, by its label


def test_key_dates_in_all_three_precisions(network):
    assert network.nodes[DECREE]["date"] == "2021-06-01"  # xsd:gYearMonth
    assert network.nodes[AMENDMENT]["date"] == "2022-04-13"  # xsd:date
    assert network.nodes[str(KZR["tokayev-reforms"])]["date"] == "2022-01-01"  # xsd:gYear
    signed = network.nodes[AMENDMENT]["dates"][0]
    assert (signed["label"], signed["value"], signed["precision"]) == (
        "date signed",
        "2022-04-13",
        "day",
    )
    # the curators' identification of the year is the evidence of that date
    assert [e.mode for e in signed["evidence"]] == ["editorial identification"]


def test_edges_carry_the_evidence_of_their_own_triple(dataset, network):
    # stated by both articles (the opinion piece ¶7, EU Reporter ¶5): two evidence graphs
    amendment, decree = str(KZR["decree-597-amendment"]), str(KZR["decree-597"])
    data = network.edges[amendment, decree, "http://data.europa.eu/eli/ontology#amends"]
    graphs = {e.graph for e in data["evidence"]}
    expected = {
        str(g)
        for s, p, o, g in quads(dataset)
        if str(s) == amendment
        and str(p).endswith("ontology#amends")
        and str(o) == decree
        and str(g).startswith(str(KZE))
    }
    assert graphs == expected and len(graphs) == 2
    for ev in data["evidence"]:
        assert ev.quote and ev.source_label and ev.claimant_label and ev.paragraph
        assert ev.cite().endswith(f"“{ev.quote}”")


def test_node_evidence_lists_the_passages_that_describe_it(network):
    rogov = network.nodes[ROGOV]
    names = {e.name for e in rogov["evidence"]}
    # the opinion piece never names its author, so only EU Reporter's passages describe Rogov
    assert {"kze:eureporter-p04-rogov-posts", "kze:eureporter-p06-chairman"} <= names
    assert not any(name.startswith("kze:opinion-") for name in names)
    assert all(e.quote for e in rogov["evidence"])


def test_links_to_wikidata_are_details_not_edges(network):
    council = network.nodes[str(KZR["council-of-europe"])]
    assert council["wikidata"] == str(WD["Q8908"])
    assert not any(v.startswith(str(WD)) for _u, v in network.edges())


def test_literals_as_nodes_on_request(dataset, network):
    with_literals = to_networkx(dataset, literals=True)
    literal_nodes = [n for n, d in with_literals.nodes(data=True) if d["literal"]]
    assert literal_nodes and not any(d["literal"] for _n, d in network.nodes(data=True))
    date = Literal("2022-04-13", datatype=XSD.date).n3()
    assert with_literals.has_edge(AMENDMENT, date, str(KZ.dateSigned))
    assert with_literals.nodes[date]["label"] == "2022-04-13"
    # labels stay labels, never loose nodes
    assert Literal("Decree 597", lang="en").n3() not in with_literals


def test_rebased_dataset_converts_alike(network):
    rebased = load_graph(ONTOLOGY, DATA, base="https://example.org/kz/")
    other = to_networkx(rebased)
    assert other.number_of_nodes() == network.number_of_nodes()
    assert other.number_of_edges() == network.number_of_edges()
    assert other.nodes["https://example.org/kz/id/decree-597"]["name"] == "kzr:decree-597"


def test_construct_query_result(dataset):
    graph = query_network(
        dataset,
        "CONSTRUCT { kzr:decree-597 kz:includesMeasure ?m } "
        "WHERE { kzr:decree-597 kz:includesMeasure ?m }",
    )
    assert graph.out_degree(DECREE) == graph.number_of_edges() == graph.number_of_nodes() - 1
    assert all(d["evidence"] for _u, _v, d in graph.edges(data=True))  # sourced from the dataset
    assert all(d["label"] != graph.nodes[n].get("iri") for n, d in graph.nodes(data=True))


def test_select_query_needs_s_p_o(dataset):
    graph = query_network(
        dataset, "SELECT ?s ?p ?o WHERE { ?s ?p ?o . FILTER(?s = kzr:igor-rogov) }"
    )
    assert ROGOV in graph and graph.out_degree(ROGOV) >= 2
    # a SELECT of other variables: the entities its rows name, with the facts among them
    decrees = query_network(dataset, "SELECT ?x WHERE { ?x a kz:Decree }")
    assert set(decrees) == {str(KZR["decree-597"])} and decrees.graph["prefixes"]
    with pytest.raises(InputError, match="name no entity of the graph"):
        query_network(dataset, "SELECT ?x WHERE { BIND(1 AS ?x) }")
    with pytest.raises(InputError, match="ASK"):
        query_network(dataset, "ASK { ?s ?p ?o }")


def test_query_about_the_vocabulary_draws_its_terms(dataset):
    graph = query_network(
        dataset,
        "CONSTRUCT { ?c rdfs:subClassOf kz:LegalAct } WHERE { ?c rdfs:subClassOf kz:LegalAct }",
    )
    assert str(KZ.Decree) in graph and str(KZ.LegalAct) in graph
    assert graph.nodes[str(KZ.Decree)]["label"] == "Decree"


def test_neighbourhood(network):
    sub = neighbourhood(network, ROGOV, 1)
    expected = {ROGOV} | set(network.successors(ROGOV)) | set(network.predecessors(ROGOV))
    assert set(sub) == expected and sub.graph["focus"] == ROGOV
    assert set(neighbourhood(network, ROGOV, 0)) == {ROGOV}
    assert len(neighbourhood(network, ROGOV, 2)) > len(sub)
    with pytest.raises(InputError):
        neighbourhood(network, "https://nowhere.example/x", 1)


def test_untyped_and_unlabelled_entities_still_read_well(mini_dataset):
    ds = mini_dataset
    graph = to_networkx(ds)
    jane = graph.nodes[str(KZR["jane-example"])]
    assert jane["label"] == "Jane Example" and jane["kind"] == "Person"
    # an entity with no label gets its prefixed name, not its IRI
    extra = KZR["no-label"]
    add_quad(ds, (extra, KZ.signedBy, KZR["jane-example"], KZE["decree-2021"]))
    try:
        assert to_networkx(ds).nodes[str(extra)]["label"] == "kzr:no-label"
    finally:
        ds.remove((extra, None, None, None))


def test_date_start_and_humanise():
    assert date_start("2021", str(XSD.gYear)) == "2021-01-01"
    assert date_start("2021-06", str(XSD.gYearMonth)) == "2021-06-01"
    assert date_start("2022-04-13", str(XSD.date)) == "2022-04-13"
    assert date_start("2022-04-13T10:00:00Z", str(XSD.dateTime)) == "2022-04-13"
    assert date_start("597", None) is None
    assert humanise("subOrganizationOf") == "sub organization of"
    assert humanise("id_local") == "id local"


def test_triples_to_networkx_labels_from_the_dataset(dataset):
    chair = URIRef(str(KZR["chair-of-the-commission-on-human-rights"]))
    holds = URIRef("http://www.w3.org/ns/org#holds")
    graph = triples_to_networkx(
        [(URIRef(ROGOV), holds, chair), (URIRef(ROGOV), RDFS.seeAlso, URIRef(DECREE))], dataset
    )
    assert graph.nodes[ROGOV]["label"] == "Igor Rogov"
    assert set(graph) == {ROGOV, str(chair)}  # rdfs:seeAlso is a link, not an edge
    assert graph.nodes[ROGOV]["links"][0]["iri"] == DECREE
    # a link alone describes nothing that is drawn
    alone = triples_to_networkx([(URIRef(ROGOV), RDFS.seeAlso, URIRef(DECREE))], dataset)
    assert alone.number_of_nodes() == 0


@pytest.mark.slow
def test_conversion_of_5000_entities_is_fast_and_complete():
    ds = generated_dataset(5000)
    started = time.perf_counter()
    graph = to_networkx(ds)
    elapsed = time.perf_counter() - started
    assert graph.number_of_nodes() == 5000
    assert graph.number_of_edges() == sum(
        1
        for s, p, o, g in quads(ds)
        if str(g).startswith(str(KZE)) and p != RDF.type and isinstance(o, URIRef)
    )
    assert elapsed < 10, f"conversion took {elapsed:.1f} s"


def test_evidence_knows_the_curators_the_kind_of_source_and_its_publication_day(dataset):
    graph = to_networkx(dataset)
    passages = graph.graph["evidence"]
    curated = passages[str(KZE["curation-amendment-date"])]
    assert curated.curated and curated.claimant_label == "kzgraph curators"
    opinion = passages[str(KZE["opinion-p09-party-threshold"])]
    assert not opinion.curated and opinion.source_kind == "opinion piece"
    assert opinion.source_date == "2022-04-13"  # kz:publishedNotBefore
    outlet = passages[str(KZE["eureporter-p07-party-threshold"])]
    assert outlet.source_kind == "EU Reporter article"  # its schema:publisher


def test_links_out_carry_their_match_status_and_date(dataset):
    """Issue 16: the view shows each link's standing; a close match is not the entity's item."""
    graph = to_networkx(dataset)
    iccpr = graph.nodes[str(KZR["iccpr"])]
    wikidata = [x for x in iccpr["links"] if x["iri"].startswith("http://www.wikidata.org/")]
    assert wikidata and wikidata[0]["match"] == "exact" and wikidata[0]["how"] == "verified"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", wikidata[0]["checked"])
    assert iccpr["wikidata"] == wikidata[0]["iri"]
    close = [
        n
        for n, d in graph.nodes(data=True)
        if any(x.get("match") == "close" and "wikidata" in x["iri"] for x in d.get("links", []))
        and not any(x.get("match") == "exact" and "wikidata" in x["iri"] for x in d["links"])
    ]
    assert close and all(graph.nodes[n]["wikidata"] is None for n in close)
