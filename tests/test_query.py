"""SPARQL over the dataset: prefixes predeclared, union default graph, named graphs reachable."""

from __future__ import annotations

import json

import pytest
from rdflib import Literal
from rdflib.namespace import RDF

from graph.errors import InputError
from graph.namespaces import KZ, KZE, KZR
from graph.stores.querying import query


def test_prefixes_are_predeclared_and_default_graph_is_the_union(mini_dataset):
    rows = list(query(mini_dataset, "SELECT ?label WHERE { kzr:decree-2021 rdfs:label ?label }"))
    assert rows == [(Literal("Decree of 3 March 2021", lang="en"),)]


def test_named_graphs_are_reachable(mini_dataset):
    rows = query(
        mini_dataset,
        "SELECT ?g WHERE { GRAPH ?g { kzr:decree-2021 a kz:Decree } }",
    )
    assert [row[0] for row in rows] == [KZE["decree-2021"]]


def test_provenance_is_queryable(mini_dataset):
    rows = query(
        mini_dataset,
        """SELECT ?source WHERE {
             GRAPH ?g { kzr:decree-2021 kz:dateSigned ?date }
             GRAPH kzg:provenance { ?g prov:wasDerivedFrom ?source }
           }""",
    )
    assert [row[0] for row in rows] == [KZR["source-mini"]]


def test_bad_sparql_is_an_input_error(mini_dataset):
    with pytest.raises(InputError, match="bad SPARQL"):
        query(mini_dataset, "SELECT ?x WHERE { ?x ")


def test_undeclared_prefix_is_an_input_error(mini_dataset):
    with pytest.raises(
        InputError, match=r"bad SPARQL at line 1, column \d+: undeclared prefix nope:"
    ):
        list(query(mini_dataset, "SELECT ?x WHERE { ?x nope:p ?y }"))


# -- Answers a SPARQL 1.1 engine gives (issue 11: rdflib's engine gave these wrong) --


def test_all_unbound_solutions_are_rows(dataset):
    """rdflib's Result skipped solutions whose projected variables were all unbound."""
    measures = query(dataset, "SELECT (COUNT(*) AS ?n) WHERE { ?m a kz:ReformMeasure }")
    total = int(next(iter(measures)).n)
    rows = list(
        query(
            dataset,
            "SELECT ?status WHERE { ?m a kz:ReformMeasure OPTIONAL { ?m kz:status ?status } }",
        )
    )
    assert len(rows) == total
    assert any(row.status is None for row in rows)
    assert any(row.status is not None for row in rows)


@pytest.mark.parametrize(
    "condition", ["false", "0", '"false"^^xsd:boolean', '""', "0.0", "?unbound"]
)
def test_false_filters_filter(dataset, condition):
    """rdflib answered ASK { FILTER(false) } with true and let FILTER(0) through."""
    assert query(dataset, f"ASK {{ FILTER({condition}) }}").askAnswer is False
    assert len(query(dataset, f"SELECT * WHERE {{ ?s a kz:Decree FILTER({condition}) }}")) == 0


def test_dates_of_other_types_are_not_compared_with_a_date(dataset):
    """xsd:gYear and xsd:gYearMonth values are not comparable with an xsd:date (SPARQL 1.1,
    17.3): the FILTER is an error for them, so only xsd:date values from 2022 on remain."""
    rows = list(
        query(
            dataset,
            """SELECT ?x ?date WHERE {
                 ?x kz:dateSigned|schema:startDate ?date
                 FILTER(?date >= "2022-01-01"^^xsd:date)
               }""",
        )
    )
    assert rows
    assert {str(row.date.datatype) for row in rows} == {"http://www.w3.org/2001/XMLSchema#date"}
    assert all(str(row.date) >= "2022-01-01" for row in rows)


def test_results_read_by_name_position_and_as_dicts(mini_dataset):
    result = query(mini_dataset, "SELECT ?label ?none WHERE { kzr:decree-2021 rdfs:label ?label }")
    assert result.type == "SELECT" and result.vars == ["label", "none"]
    (row,) = list(result)
    assert row.label == row["label"] == row[0] == Literal("Decree of 3 March 2021", lang="en")
    assert row.none is None and row.get("none", "-") == "-"
    assert row.asdict() == {"label": Literal("Decree of 3 March 2021", lang="en")}
    assert result.bindings == [row.asdict()]
    assert len(result) == 1 and bool(result)
    with pytest.raises(AttributeError):
        _ = row.nothing
    parsed = json.loads(result.serialize("json"))
    assert parsed["head"]["vars"] == ["label", "none"]


def test_construct_and_ask_results(mini_dataset):
    graph = query(mini_dataset, "CONSTRUCT { ?s a ?t } WHERE { ?s a kz:Decree ; a ?t }")
    assert graph.type == "CONSTRUCT" and graph.graph is not None
    assert len(graph) == len(graph.graph) > 0
    assert (KZR["decree-2021"], RDF.type, KZ.Decree) in graph.graph
    assert b"kz:Decree" in graph.serialize("turtle")
    ask = query(mini_dataset, "ASK { kzr:decree-2021 a kz:Decree }")
    assert ask.type == "ASK" and ask.askAnswer is True and bool(ask) and list(ask) == [True]


def test_a_store_and_a_pyoxigraph_store_are_sources_too(mini_dataset):
    import pyoxigraph as ox

    from graph.stores.memory import MemoryStore

    store = MemoryStore(mini_dataset)
    text = "SELECT ?label WHERE { kzr:decree-2021 rdfs:label ?label }"
    assert list(query(store, text)) == list(query(mini_dataset, text))
    raw = ox.Store()
    raw.add(ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("o")))
    assert [tuple(r) for r in query(raw, "SELECT ?o WHERE { ?s ?p ?o }")] == [(Literal("o"),)]


def test_a_dataset_without_union_keeps_its_own_default_graph():
    from rdflib import Dataset, URIRef

    ds = Dataset()
    ds.add((URIRef("urn:x:a"), URIRef("urn:x:p"), Literal("default")))
    ds.graph(URIRef("urn:x:g")).add((URIRef("urn:x:a"), URIRef("urn:x:p"), Literal("named")))
    values = {str(r.o) for r in query(ds, "SELECT ?o WHERE { ?s ?p ?o }")}
    assert values == {"default"}
    named = {str(r.o) for r in query(ds, "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert named == {"named"}
