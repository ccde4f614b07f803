"""Validation: the real data conforms; the report is readable; the checks are well-formed."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from graph.errors import InputError
from graph.pipeline.validation import run_checks, validate
from graph.sparql.catalogue import read_query
from graph.stores.querying import query

from .conftest import MINI, ONTOLOGY

CHECKS = sorted((ONTOLOGY / "checks").glob("*-violation.rq"))


@pytest.fixture(scope="session")
def real_result(dataset):
    return validate(dataset, ONTOLOGY / "shapes.ttl", ONTOLOGY / "checks")


def test_real_data_conforms(real_result):
    assert real_result.conforms, real_result.report_text
    assert real_result.report_text.startswith("Validation: conforms\n")


def test_result_unpacks_like_pyshacl(real_result):
    conforms, report_graph, text = real_result
    assert conforms is True and isinstance(report_graph, Graph) and text


def test_mini_project_conforms(mini_dataset):
    result = validate(mini_dataset, MINI / "ontology" / "shapes.ttl", ONTOLOGY / "checks")
    assert result.conforms, result.report_text


def test_violation_lines_name_focus_path_message_and_shape(mini_dataset, tmp_path):
    from graph.inputs.reading import load_graph

    data = tmp_path / "data"
    data.mkdir()
    text = (MINI / "data" / "mini.trig").read_text()
    text = text.replace('"2021-03-03"^^xsd:date', '"March 2021"')
    text = text.replace("kz:newValue 15 .", 'kz:newValue "fifteen" .')
    (data / "mini.trig").write_text(text)
    result = validate(load_graph(MINI / "ontology", data), MINI / "ontology" / "shapes.ttl")
    assert not result.conforms
    assert result.shacl_results == [
        "[Violation] kzr:decree-2021 kz:dateSigned: kz:dateSigned must be an xsd:date, "
        'xsd:gYearMonth or xsd:gYear (value "March 2021") '
        "[shape kzsh:LegalActShape kz:dateSigned]",
        "[Violation] kzr:decree-2021 kz:newValue: Value is not Literal with datatype "
        'xsd:integer (value "fifteen") [shape kzsh:ChangeShape kz:newValue]',
    ]
    assert "FAILED (2 SHACL result(s), 0 quality-check row(s))" in result.report_text


def test_missing_shapes_file_is_an_input_error(mini_dataset, tmp_path):
    with pytest.raises(InputError, match="no such shapes file"):
        validate(mini_dataset, tmp_path / "absent.ttl")


def test_no_checks_directory_means_no_checks(mini_dataset, tmp_path):
    assert run_checks(mini_dataset, tmp_path / "none") == []


@pytest.mark.parametrize("path", CHECKS, ids=lambda p: p.stem)
def test_every_check_has_a_header_and_runs(path: Path, dataset):
    check = read_query(path)
    assert check.title and check.description
    result = query(dataset, check.text)
    assert {"graph", "subject", "problem"} <= {str(v) for v in result.vars or []}
    assert list(result) == []


def test_the_five_core_checks_are_there():
    names = {path.name for path in CHECKS}
    assert names >= {
        "undeclared-term-violation.rq",
        "missing-english-label-violation.rq",
        "evidence-without-provenance-violation.rq",
        "empty-assertion-violation.rq",
        "quote-form-violation.rq",
    }


def test_a_broken_check_names_its_file(mini_dataset, tmp_path):
    (tmp_path / "broken-violation.rq").write_text("SELECT ?x WHERE { ?x ")
    with pytest.raises(InputError, match=r"broken-violation\.rq: bad SPARQL"):
        run_checks(mini_dataset, tmp_path)
