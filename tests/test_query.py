"""SPARQL over the dataset: prefixes predeclared, union default graph, named graphs reachable."""

from __future__ import annotations

import pytest
from rdflib import Literal

from graph.errors import InputError
from graph.namespaces import KZE, KZR
from graph.query import query


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
    with pytest.raises(InputError, match="bad SPARQL: Unknown namespace prefix : nope"):
        list(query(mini_dataset, "SELECT ?x WHERE { ?x nope:p ?y }"))
