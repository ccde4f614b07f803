"""``kzgraph serve`` as a real process, used by real SPARQL clients and attacked over HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from rdflib import Graph
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

from graph.namespaces import PREFIXES
from graph.sandbox import check_query
from graph.stores import MemoryStore
from tests.sparql_servers import CountingServer, kzgraph_server, normalise, split_catalogue

pytestmark = pytest.mark.server
CATALOGUE, FEDERATED = split_catalogue()
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with kzgraph_server("--timeout", "3", "--workers", "2") as base:
        yield base


@pytest.fixture(scope="module")
def oxigraph_backed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    location = tmp_path_factory.mktemp("served-store")
    with kzgraph_server("--store", "oxigraph", "--location", str(location)) as base:
        yield base


def json_rows(data: dict) -> list[tuple]:  # type: ignore[type-arg]
    from rdflib.plugins.sparql.results.jsonresults import parseJsonTerm

    names = data["head"]["vars"]
    return [
        tuple(parseJsonTerm(b[n]) if n in b else None for n in names)
        for b in data["results"]["bindings"]
    ]


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda q: q.name)
def test_sparqlwrapper_gets_the_catalogue_answers(server, dataset, entry):
    client = SPARQLWrapper(f"{server}/sparql")
    client.setQuery(entry.text)
    client.setReturnFormat(JSON)
    got = normalise(json_rows(client.queryAndConvert()), entry.text)  # type: ignore[arg-type]
    expected = normalise(MemoryStore(dataset).query(check_query(entry.text)).rows(), entry.text)
    assert got == expected and got


def test_sparqlwrapper_construct_as_turtle(server):
    client = SPARQLWrapper(f"{server}/sparql")
    client.setQuery("CONSTRUCT { kzr:igor-rogov ?p ?o } WHERE { kzr:igor-rogov ?p ?o }")
    client.setReturnFormat(TURTLE)
    g = Graph().parse(data=client.queryAndConvert(), format="turtle")
    assert len(g) >= 4


def test_rdflib_sparqlstore_reads_the_server(server, dataset):
    store = SPARQLStore(f"{server}/sparql", returnFormat="json")
    graph = Graph(store=store)
    entry = next(q for q in CATALOGUE if q.name == "commission-chair-posts")
    got = normalise(list(graph.query(entry.text)), entry.text)  # type: ignore[arg-type]
    expected = normalise(MemoryStore(dataset).query(check_query(entry.text)).rows(), entry.text)
    assert got == expected and got
    labels = list(
        graph.query(
            "SELECT ?l WHERE { <https://w3id.org/kzgraph/id/igor-rogov>"
            " <http://www.w3.org/2000/01/rdf-schema#label> ?l }"
        )
    )
    assert [str(row[0]) for row in labels] == ["Igor Rogov"]  # type: ignore[index]


def test_nobody_reaches_out_for_a_query(server):
    """Queries that would read a local file or call a local HTTP server: refused, no contact."""
    with CountingServer() as target:
        attempts = [
            ("query", f"SELECT * WHERE {{ SERVICE <{target.url}/sparql> {{ ?s ?p ?o }} }}"),
            ("query", f"SELECT * FROM <{target.url}/data.nt> WHERE {{ ?s ?p ?o }}"),
            (
                "query",
                f"SELECT * FROM NAMED <{target.url}/data.nt> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
            ),
            ("query", "SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }"),
            ("query", "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }"),
            ("update", f"LOAD <{target.url}/data.nt>"),
            ("update", "LOAD <file:///etc/passwd>"),
        ]
        for key, text in attempts:
            response = httpx.post(f"{server}/sparql", data={key: text}, timeout=10)
            assert response.status_code == 403, (text, response.text)
            assert "passwd" not in response.text or "not allowed" in response.text
            assert "root:" not in response.text
        time.sleep(0.5)
        assert target.hits == []


def test_a_slow_query_does_not_block_other_clients(server):
    outcome: dict[str, httpx.Response] = {}

    def slow() -> None:
        outcome["slow"] = httpx.post(f"{server}/sparql", data={"query": SLOW}, timeout=30)

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    timings = []
    for _ in range(3):
        started = time.monotonic()
        fast = httpx.get(
            f"{server}/sparql", params={"query": "ASK { kzr:igor-rogov ?p ?o }"}, timeout=10
        )
        timings.append(time.monotonic() - started)
        assert fast.status_code == 200
    thread.join(30)
    assert max(timings) < 1.5
    assert outcome["slow"].status_code == 503
    assert "time limit of 3 s" in outcome["slow"].text


def test_server_over_the_oxigraph_store(oxigraph_backed, dataset):
    entry = next(q for q in CATALOGUE if q.name == "commission-chair-posts")
    response = httpx.post(
        f"{oxigraph_backed}/sparql",
        content=entry.text,
        headers={
            "Content-Type": "application/sparql-query",
            "Accept": "application/sparql-results+json",
        },
    )
    assert response.status_code == 200
    got = normalise(json_rows(response.json()), entry.text)
    expected = normalise(MemoryStore(dataset).query(check_query(entry.text)).rows(), entry.text)
    assert got == expected
    page = httpx.get(f"{oxigraph_backed}/id/igor-rogov", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Igor Rogov" in page.text
    assert PREFIXES  # the page shows prefixed names from the canonical map
