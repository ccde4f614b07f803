"""Loading: named graphs kept, the data rules enforced with messages naming file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, RDFS

from graph.errors import InputError, KzGraphError
from graph.inputs.reading import (
    INFERRED_GRAPH,
    ONTOLOGY_GRAPH,
    PROVENANCE_GRAPH,
    SOURCES_GRAPH,
    load_graph,
    named_graphs,
    quads,
    rebase_term,
    syntax_error_details,
)
from graph.namespaces import BASE, KZ, KZE, KZG, KZR

from .conftest import FIXTURES, MINI


def test_real_data_loads_into_named_graphs(dataset):
    names = named_graphs(dataset)
    assert ONTOLOGY_GRAPH in names
    assert PROVENANCE_GRAPH in names
    assert SOURCES_GRAPH in names
    assert INFERRED_GRAPH not in names
    assert any(str(n).startswith(str(KZE)) for n in names)
    assert len(dataset.graph(DATASET_DEFAULT_GRAPH_ID)) == 0


def test_default_graph_is_the_union(mini_dataset):
    decree = KZR["decree-2021"]
    assert (decree, RDF.type, KZ.Decree) in mini_dataset
    assert mini_dataset.value(decree, RDFS.label) == Literal("Decree of 3 March 2021", lang="en")


def test_ontology_and_topics_go_to_the_ontology_graph(mini_dataset):
    ontology = mini_dataset.graph(ONTOLOGY_GRAPH)
    assert (KZ.Assertion, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")) in ontology
    assert (URIRef(BASE + "id/topic/human-rights"), None, None) in ontology


def test_ontology_blank_nodes_are_labelled_canonically():
    first = load_graph(MINI / "ontology", MINI / "data")
    second = load_graph(MINI / "ontology", MINI / "data")
    blanks = {t for q in quads(first) for t in q[:3] if isinstance(t, BNode)}
    assert blanks, "the mini ontology has an owl:unionOf list"
    assert blanks == {t for q in quads(second) for t in q[:3] if isinstance(t, BNode)}


def test_shapes_are_not_in_the_dataset(dataset):
    shacl = "http://www.w3.org/ns/shacl#"
    assert not any(str(p).startswith(shacl) for _s, p, _o, _g in quads(dataset))


def test_ttl_data_file_goes_to_graph_named_after_its_stem(tmp_path):
    shutil.copytree(MINI, tmp_path, dirs_exist_ok=True)
    (tmp_path / "data" / "alignments.ttl").write_text(
        "@prefix kzr: <https://w3id.org/kzgraph/id/> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "kzr:jane-example owl:sameAs <http://www.wikidata.org/entity/Q1> .\n",
        encoding="utf-8",
    )
    ds = load_graph(tmp_path / "ontology", tmp_path / "data")
    assert KZG["alignments"] in named_graphs(ds)
    assert len(ds.graph(KZG["alignments"])) == 1


def test_base_rewrites_every_project_iri_including_graph_names(mini_dataset):
    base = "https://example.org/kz/"
    ds = load_graph(MINI / "ontology", MINI / "data", base=base)
    assert len(list(quads(ds))) == len(list(quads(mini_dataset)))
    for quad in quads(ds):
        for term in quad:
            assert not str(term).startswith(BASE)
    assert URIRef(base + "graph/provenance") in named_graphs(ds)
    assert (URIRef(base + "id/decree-2021"), RDF.type, URIRef(base + "ontology#Decree")) in ds


def test_rebase_term_leaves_other_terms_alone():
    base = "https://example.org/kz/"
    assert rebase_term(KZR.x, base) == URIRef(base + "id/x")
    assert rebase_term(RDFS.label, base) == RDFS.label
    assert rebase_term(Literal(BASE), base) == Literal(BASE)


# -- Errors: each names the file and line --


def _load_with(tmp_path: Path, name: str, text: str) -> KzGraphError:
    shutil.copytree(MINI, tmp_path, dirs_exist_ok=True)
    (tmp_path / "data" / name).write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_graph(tmp_path / "ontology", tmp_path / "data")
    return info.value


def test_malformed_turtle_names_file_and_line(tmp_path):
    text = (FIXTURES / "invalid" / "malformed.trig").read_text(encoding="utf-8")
    error = _load_with(tmp_path, "malformed.trig", text)
    assert error.path is not None and error.path.endswith("data/malformed.trig")
    assert error.line == 7
    assert error.message == "bad syntax: expected '.' or '}' or ']' at end of statement"
    assert str(error) == f"{error.path}:7: {error.message}"
    assert error.exit_code == 2


def test_undeclared_prefix_names_file_line_and_prefix(tmp_path):
    error = _load_with(
        tmp_path,
        "typo.trig",
        "@prefix kze: <https://w3id.org/kzgraph/evidence/> .\n\n"
        'kze:x {\n    kze:a kzr:b "c" .\n}\n',
    )
    assert str(error).endswith('typo.trig:4: undeclared prefix "kzr:" (add an @prefix line for it)')


def test_malformed_ontology_file_is_reported_too(tmp_path):
    shutil.copytree(MINI, tmp_path, dirs_exist_ok=True)
    (tmp_path / "ontology" / "topics.ttl").write_text("@prefix x: <urn:x#> .\nx:a x:b\n")
    with pytest.raises(InputError, match=r"topics\.ttl:\d+: bad syntax"):
        load_graph(tmp_path / "ontology", tmp_path / "data")


def test_missing_directories_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="no ontology here"):
        load_graph(tmp_path, MINI / "data")
    with pytest.raises(InputError, match="no such data directory"):
        load_graph(MINI / "ontology", tmp_path / "absent")


def test_fact_in_default_graph_is_refused_with_line(tmp_path):
    error = _load_with(
        tmp_path,
        "stray.trig",
        "@prefix kzr: <https://w3id.org/kzgraph/id/> .\n"
        "@prefix kze: <https://w3id.org/kzgraph/evidence/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "# kzr:lost is mentioned in this comment first\n"
        'kze:g { kzr:lost rdfs:comment "inside"@en . }\n'
        'kzr:lost rdfs:label "Lost"@en .\n',
    )
    assert str(error).endswith(
        "stray.trig:6: fact outside a named graph: every fact must sit in an evidence graph:"
        ' kzr:lost rdfs:label "Lost"@en'
    )


def test_blank_node_is_refused_with_line_and_triple(tmp_path):
    error = _load_with(
        tmp_path,
        "blank.trig",
        "@prefix kzr: <https://w3id.org/kzgraph/id/> .\n"
        "@prefix kze: <https://w3id.org/kzgraph/evidence/> .\n"
        "@prefix kz: <https://w3id.org/kzgraph/ontology#> .\n"
        "kze:g {\n"
        "    kzr:decree-2021 kz:signedBy\n"
        '        [ kz:quote "x" ] .\n'
        "}\n",
    )
    assert str(error).endswith(
        "blank.trig:6: blank node in data: every node needs a stable IRI so outputs are"
        " deterministic and provenance is addressable: kzr:decree-2021 kz:signedBy []"
    )


def test_blank_node_in_ttl_data_file_is_refused(tmp_path):
    error = _load_with(tmp_path, "extra.ttl", "_:x <urn:p> <urn:o> .\n")
    assert "extra.ttl:1: blank node in data" in str(error)


@pytest.mark.parametrize("graph", ["kzg:ontology", "kzg:inferred"])
def test_reserved_graphs_cannot_be_written_by_data(tmp_path, graph):
    error = _load_with(
        tmp_path,
        "reserved.trig",
        "@prefix kzg: <https://w3id.org/kzgraph/graph/> .\n"
        f"{graph} {{ <urn:a> <urn:b> <urn:c> . }}\n",
    )
    assert str(error).endswith(
        f"reserved.trig:2: graph {graph} is reserved: the build fills it, data files may not"
    )


def test_syntax_error_details_without_rdflib_attributes():
    line, message = syntax_error_details(ValueError("oops at line 12, column 3"))
    assert line == 12
    assert message == "bad syntax: oops at line 12, column 3"
