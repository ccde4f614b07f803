"""``kzgraph publish`` and ``--endpoint`` against Virtuoso 7 (Debian's virtuoso-opensource-7).

Virtuoso's quirks, each exercised here: writes go to ``/sparql-graph-crud-auth`` with HTTP Digest
authentication; rdflib's SPARQLStore needs ``returnFormat="json"``; the default graph is the
union of all graphs (a bag of quads, so results compare as sets), and it refuses a GSP write to
the default graph (hence ``--no-default-graph``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from rdflib import Graph
from rdflib.plugins.stores.sparqlstore import SPARQLStore

from graph.cli.main import main
from graph.sparql.guard import check_query
from graph.sparql.results import QuerySyntaxError
from graph.stores.endpoint import EndpointStore
from graph.stores.memory import MemoryStore
from tests.support.answers import normalise, split_catalogue
from tests.support.servers import virtuoso_server

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(
        shutil.which("virtuoso-t") is None,
        reason="needs Virtuoso: apt-get install -y virtuoso-opensource-7 (CI installs it)",
    ),
]
CATALOGUE, _FEDERATED = split_catalogue()


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with virtuoso_server(tmp_path_factory.mktemp("virtuoso")) as served:
        yield served.base


def publish_args(base: str) -> list[str]:
    return [
        "publish",
        "--endpoint",
        f"{base}/sparql",
        "--graph-store",
        f"{base}/sparql-graph-crud-auth",
        "--user",
        "dba",
        "--no-default-graph",
    ]


@pytest.fixture(scope="module")
def published(virtuoso: str) -> str:
    mp = pytest.MonkeyPatch()
    mp.setenv("KZGRAPH_ENDPOINT_PASSWORD", "dba")
    try:
        assert main(publish_args(virtuoso)) == 0
    finally:
        mp.undo()
    return virtuoso


def test_virtuoso_errors_carry_its_message(published):
    remote = EndpointStore(f"{published}/sparql")
    text = next(e.text for e in CATALOGUE if e.name == "triple-provenance")
    with pytest.raises(QuerySyntaxError, match="Virtuoso 37000 Error SP031"):
        remote.query(check_query(text))


def test_wrong_password_is_refused_with_the_status(virtuoso, monkeypatch, capsys):
    monkeypatch.setenv("KZGRAPH_ENDPOINT_PASSWORD", "not-the-password")
    assert main(publish_args(virtuoso)) == 1
    assert "answered 401" in capsys.readouterr().err


#: Virtuoso 7.2's SPARQL compiler fails on a VALUES row of constants bound inside GRAPH ?g
#: ("SP031 ... ssg_print_rvr_fixed_val(): no SPART_VARR_FIXED"): an engine bug, pinned here.
VIRTUOSO_BUGS = {"triple-provenance": "SP031 internal error on VALUES (?s ?p ?o) inside GRAPH"}
#: Virtuoso 7.2 reads the string literals of a query's text as Latin-1: the curly quotes and
#: arrows this query writes into its answers come back as "?" (the data itself reads fine).
VIRTUOSO_WRONG = {"amendment-changes": "non-Latin-1 characters in the query's strings become '?'"}


def _case(entry):  # type: ignore[no-untyped-def]
    bug = VIRTUOSO_BUGS.get(entry.name)
    marks = [pytest.mark.xfail(reason=bug, strict=True, raises=QuerySyntaxError)] if bug else []
    if entry.name in VIRTUOSO_WRONG:
        marks.append(pytest.mark.xfail(reason=VIRTUOSO_WRONG[entry.name], strict=True))
    return pytest.param(entry, marks=marks, id=entry.name)


@pytest.mark.parametrize("entry", [_case(e) for e in CATALOGUE])
def test_catalogue_on_virtuoso_matches_memory(published, dataset, entry):
    remote = EndpointStore(f"{published}/sparql")
    got = normalise(remote.query(check_query(entry.text)).rows(), entry.text)
    expected = normalise(MemoryStore(dataset).query(check_query(entry.text)).rows(), entry.text)
    # compared as sets: Virtuoso's default graph is the union of its graphs as a bag (a triple
    # stated in several evidence graphs matches once per graph), not their merge
    assert set(got) == set(expected) and got


def test_cli_query_on_virtuoso(published, capsys):
    code = main(
        [
            "query",
            "--endpoint",
            f"{published}/sparql",
            "--format",
            "csv",
            "SELECT DISTINCT ?post WHERE { kzr:igor-rogov org:holds ?post }",
        ]
    )
    assert code == 0
    assert capsys.readouterr().out.split() == [
        "post",
        "https://w3id.org/kzgraph/id/chair-of-the-commission-on-human-rights",
    ]


def test_rdflib_sparqlstore_on_virtuoso_with_json(published):
    graph = Graph(store=SPARQLStore(f"{published}/sparql", returnFormat="json"))
    rows = graph.query(
        "SELECT DISTINCT ?l WHERE { <https://w3id.org/kzgraph/id/igor-rogov>"
        " <http://www.w3.org/2000/01/rdf-schema#label> ?l }"
    )
    assert [str(r[0]) for r in rows] == ["Igor Rogov"]  # type: ignore[index]
