"""``kzgraph query``: the query from an argument, a file, stdin or the catalogue, any format."""

from __future__ import annotations

import io
import json

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from graph.cli.main import main
from graph.sparql.catalogue import list_queries

SELECT = "SELECT ?post ?label WHERE { kzr:igor-rogov org:holds ?post . ?post rdfs:label ?label }"
CONSTRUCT = "CONSTRUCT { kzr:igor-rogov ?p ?o } WHERE { kzr:igor-rogov ?p ?o }"
POST = "https://w3id.org/kzgraph/id/chair-of-the-commission-on-human-rights"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["query", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_table_uses_prefixed_names(capsys):
    code, out, _ = run(capsys, SELECT)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["?post", "?label"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split(None, 1) == [
        "kzr:chair-of-the-commission-on-human-rights",
        "Chair of the Commission on Human Rights@en",
    ]
    assert lines[-1] == "(1 row)"
    assert "https://" not in out


@pytest.mark.parametrize(
    "fmt, parser",
    [
        ("json", ox.QueryResultsFormat.JSON),
        ("xml", ox.QueryResultsFormat.XML),
        ("tsv", ox.QueryResultsFormat.TSV),
    ],
)
def test_select_results_formats(capsys, fmt, parser):
    code, out, _ = run(capsys, SELECT, "--format", fmt)
    assert code == 0
    results = ox.parse_query_results(out.encode(), format=parser)
    assert [str(sol["post"].value) for sol in results] == [POST]


def test_csv_output(capsys):
    code, out, _ = run(capsys, SELECT, "--format", "csv")
    assert code == 0
    assert out.splitlines() == ["post,label", f"{POST},Chair of the Commission on Human Rights"]


@pytest.mark.parametrize(
    "fmt, parser",
    [
        ("turtle", "turtle"),
        ("ntriples", "nt"),
        ("jsonld", "json-ld"),
        ("trig", "trig"),
        ("rdfxml", "xml"),
    ],
)
def test_construct_formats_are_isomorphic(capsys, dataset, fmt, parser):
    code, out, _ = run(capsys, CONSTRUCT, "--format", fmt)
    assert code == 0
    got = Graph().parse(data=out, format=parser)
    expected = dataset.query(CONSTRUCT, initNs={"kzr": "https://w3id.org/kzgraph/id/"}).graph
    assert len(got) > 3 and isomorphic(got, expected)


def test_construct_defaults_to_turtle(capsys):
    code, out, _ = run(capsys, CONSTRUCT)
    assert code == 0 and "@prefix kzr:" in out and "kzr:igor-rogov" in out


def test_query_from_file_and_stdin(capsys, tmp_path, monkeypatch):
    path = tmp_path / "q.rq"
    path.write_text(SELECT)
    code, from_file, _ = run(capsys, "-f", str(path), "--format", "csv")
    assert code == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(SELECT))
    code, from_stdin, _ = run(capsys, "--format", "csv")
    assert code == 0 and from_stdin == from_file
    monkeypatch.setattr("sys.stdin", io.StringIO(SELECT))
    code, from_dash, _ = run(capsys, "-", "--format", "csv")
    assert code == 0 and from_dash == from_file


def test_catalogue_by_name_and_list(capsys):
    code, listing, _ = run(capsys, "--list")
    assert code == 0
    for entry in list_queries():
        assert entry.name in listing and entry.title in listing
    code, out, _ = run(capsys, "commission-chair-posts", "--format", "json")
    assert code == 0
    names = json.loads(out)["head"]["vars"]
    assert names and json.loads(out)["results"]["bindings"]


def test_unknown_catalogue_name(capsys):
    code, _, err = run(capsys, "no-such-query")
    assert code == 2 and "no query named 'no-such-query'" in err


def test_syntax_error_shows_line_and_column(capsys):
    code, out, err = run(capsys, "SELECT ?s\nWHERE {\n  ?s ?p ?o ]\n}")
    assert code == 2 and out == ""
    reading, problem = err.strip().splitlines()  # the inputs read, then the one-line error
    assert reading.startswith("kzgraph: reading ")
    assert problem.startswith("kzgraph: bad SPARQL at line 3, column ")


def test_format_must_fit_the_query_form(capsys):
    code, _, err = run(capsys, CONSTRUCT, "--format", "csv")
    assert code == 2 and "does not fit a CONSTRUCT query" in err


def test_refused_query_exits_2(capsys):
    code, _, err = run(capsys, "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }")
    assert code == 2 and "not allowed" in err and "root:" not in err


def test_embedded_oxigraph_store(capsys, tmp_path):
    location = tmp_path / "store"
    code, out, err = run(
        capsys, SELECT, "--store", "oxigraph", "--location", str(location), "--format", "csv"
    )
    assert code == 0 and "loaded the graph" in err
    assert out.splitlines()[1].startswith(POST)
    code, again, err = run(capsys, SELECT, "--location", str(location), "--format", "csv")
    assert code == 0 and again == out and "loaded the graph" not in err  # current: not reloaded
    assert err.startswith("kzgraph: reading ") and err.count("\n") == 1
    code, _, err = run(capsys, SELECT, "--store", "oxigraph")
    assert code == 2 and "--location" in err


@pytest.mark.slow
def test_timeout_stops_a_slow_query(capsys):
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    code, _, err = run(capsys, slow, "--timeout", "1")
    assert code == 1 and "time limit of 1 s" in err
    code, out, _ = run(capsys, "ASK { ?s ?p ?o }", "--timeout", "10")
    assert code == 0 and "true" in out


def test_help_ends_with_an_example(capsys):
    for command in ("query", "serve", "publish"):
        assert main([command, "--help"]) == 0
        out = capsys.readouterr().out
        assert f"example:\n  kzgraph {command}" in out
