"""``kzgraph serve`` as a real process, used by real SPARQL clients and attacked over HTTP."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from rdflib import Graph
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

from graph.namespaces import PREFIXES
from graph.sparql.guard import check_query
from graph.stores.memory import MemoryStore
from tests.support.answers import normalise, split_catalogue
from tests.support.servers import CountingServer, kzgraph_serve, oxigraph_server

pytestmark = pytest.mark.server
CATALOGUE, FEDERATED = split_catalogue()
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with kzgraph_serve("--timeout", "3", "--workers", "2") as served:
        yield served.base


@pytest.fixture(scope="module")
def oxigraph_backed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    location = tmp_path_factory.mktemp("served-store")
    with kzgraph_serve("--store", "oxigraph", "--location", str(location)) as served:
        yield served.base


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


# -- Every client on every store (issue 12) --

STORES = ["memory", "oxigraph", "endpoint"]
ASK_ROGOV = "ASK { kzr:igor-rogov org:holds ?post }"


@pytest.fixture(scope="module", params=STORES)
def any_store(request, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``kzgraph serve`` over each kind of store (the endpoint one over ``oxigraph serve``)."""
    if request.param == "memory":
        with kzgraph_serve("--workers", "2") as served:
            yield served.base
        return
    location = tmp_path_factory.mktemp(f"live-{request.param}")
    if request.param == "oxigraph":
        with kzgraph_serve("--store", "oxigraph", "--location", str(location)) as served:
            yield served.base
        return
    from graph.stores.bulkload import store_dir
    from graph.stores.persistent import load_oxigraph

    load_oxigraph(location)
    with (
        oxigraph_server(store_dir(location)) as remote,
        kzgraph_serve("--store", "endpoint", "--endpoint", f"{remote.base}/query") as served,
    ):
        yield served.base


def long_query(entry_text: str) -> str:
    """``entry_text`` made longer than clients send by GET (Jena: 2 KiB), with the same answer."""
    iris = ", ".join(f"<urn:kzgraph:test:{i}>" for i in range(150))
    return entry_text.replace("WHERE {", f"WHERE {{ FILTER(true || ?unused IN ({iris}))", 1)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_on_every_store(any_store, dataset, method):
    from SPARQLWrapper import POST

    entry = next(q for q in CATALOGUE if q.name == "commission-chair-posts")
    client = SPARQLWrapper(f"{any_store}/sparql")
    client.setQuery(entry.text if method == "GET" else long_query(entry.text))
    client.setReturnFormat(JSON)
    if method == "POST":
        client.setMethod(POST)
    got = normalise(json_rows(client.queryAndConvert()), entry.text)  # type: ignore[arg-type]
    expected = normalise(MemoryStore(dataset).query(check_query(entry.text)).rows(), entry.text)
    assert got == expected and got


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_rdflib_sparqlstore_on_every_store(any_store, method):
    store = SPARQLStore(f"{any_store}/sparql", returnFormat="json", method=method)
    rows = list(
        Graph(store=store).query(
            "SELECT ?l WHERE { <https://w3id.org/kzgraph/id/igor-rogov>"
            " <http://www.w3.org/2000/01/rdf-schema#label> ?l }"
        )
    )
    assert [str(row[0]) for row in rows] == ["Igor Rogov"]  # type: ignore[index]


RESULTS = ["--results", "json"]
JENA = Path(__file__).resolve().parent.parent.parent / "shared" / "tools" / "jena.sh"


def rsparql(base: str, text: str, tmp_path: Path) -> str:
    if not JENA.is_file() or not Path("/usr/share/java/jena-arq.jar").is_file():
        pytest.skip(f"Apache Jena is not available ({JENA}, libapache-jena-java)")
    query = tmp_path / "q.rq"
    query.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [str(JENA), "arq.rsparql", "--service", f"{base}/sparql", "--query", str(query), *RESULTS],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("length", ["short", "long"])
def test_jena_rsparql_on_every_store(any_store, dataset, length, tmp_path):
    """Java's HTTP client offers h2c on every request and Jena POSTs queries over 2 KiB."""
    entry = next(q for q in CATALOGUE if q.name == "commission-chair-posts")
    text = entry.text if length == "short" else long_query(entry.text)
    assert (len(text) > 2048) == (length == "long")
    got = normalise(json_rows(json.loads(rsparql(any_store, text, tmp_path))), entry.text)
    expected = normalise(MemoryStore(dataset).query(check_query(entry.text)).rows(), entry.text)
    assert got == expected and got


# -- The W3C SPARQL 1.1 Protocol tests that apply to a read-only endpoint --

W3C_PROTOCOL = Path(__file__).resolve().parent.parent.parent / "shared" / "w3c-sparql11"
W3C_PROTOCOL = W3C_PROTOCOL / "sparql" / "sparql11" / "protocol"
KASEI = "http://kasei.us/2009/09/sparql/data/"
#: The tests' graphs are renamed into this dataset's graph space: FROM, and the protocol's
#: dataset parameters, may only name graphs of this dataset.
MAPPED = "https://w3id.org/kzgraph/graph/w3c/"


def w3c_tests() -> list[Any]:
    if not (W3C_PROTOCOL / "manifest.ttl").is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{W3C_PROTOCOL} is absent"))]
    from rdflib import Namespace
    from rdflib.collection import Collection

    mf = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
    manifest = Graph().parse(W3C_PROTOCOL / "manifest.ttl")
    (root,) = manifest.subjects(mf.entries, None)
    tests = []
    for test in Collection(manifest, manifest.value(root, mf.entries)):
        name = str(test).rsplit("#", 1)[1]
        if "update" in name:  # a read-only endpoint: the update tests do not apply
            continue
        tests.append(pytest.param((manifest, test), id=name))
    return tests


def mapped(text: str) -> str:
    encoded = quote(KASEI, safe="")
    return text.replace(KASEI, MAPPED).replace(encoded, quote(MAPPED, safe=""))


@pytest.fixture(scope="module")
def w3c_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import pyoxigraph as ox

    from graph.stores.bulkload import Source, load

    location = tmp_path_factory.mktemp("w3c-protocol")
    sources = []
    for n in (1, 2, 3):
        data = mapped((W3C_PROTOCOL / f"data{n}.nt").read_text("utf-8")).encode()
        graph = f"{MAPPED}data{n}.rdf"
        sources.append(Source(f"w3c data{n}", ox.RdfFormat.N_TRIPLES, data=data, graph=graph))
    load(location, sources, show_progress=False)
    with kzgraph_serve("--store", "oxigraph", "--location", str(location)) as served:
        yield served.base


@pytest.mark.parametrize("case", w3c_tests())
def test_w3c_protocol(w3c_server, case):
    from rdflib import Namespace

    manifest, test = case
    ht = Namespace("http://www.w3.org/2011/http#")
    cnt = Namespace("http://www.w3.org/2011/content#")
    mf = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
    action = manifest.value(test, mf.action)
    from rdflib.collection import Collection

    for request in Collection(manifest, manifest.value(action, ht.requests)):
        path = mapped(str(manifest.value(request, ht.absolutePath))).replace("/sparql/", "/sparql")
        headers = {}
        header_list = manifest.value(request, ht.headers)
        if header_list is not None:
            for header in Collection(manifest, header_list):
                name = str(manifest.value(header, ht.fieldName))
                headers[name] = str(manifest.value(header, ht.fieldValue))
        body = manifest.value(request, ht.body)
        content = None
        if body is not None:
            encoding = str(manifest.value(body, cnt.characterEncoding) or "UTF-8")
            content = mapped(str(manifest.value(body, cnt.chars))).encode(encoding)
        method = str(manifest.value(request, ht.methodName))
        response = httpx.request(
            method, w3c_server + path, headers=headers, content=content, timeout=30
        )
        expected = manifest.value(request, ht.resp)
        classes = {str(s).rsplit("#", 1)[1] for s in manifest.objects(expected, mf.expectedStatus)}
        got = f"StatusCode{response.status_code // 100}xx"
        assert got in classes, (response.status_code, classes, response.text[:300])
        media = response.headers.get("content-type", "").split(";")[0]
        form = manifest.value(expected, mf.expectedFormat)
        if form is not None:
            results = {"application/sparql-results+json", "application/sparql-results+xml"}
            results |= {"text/csv", "text/tab-separated-values"}
            rdf = {"text/turtle", "application/n-triples", "application/rdf+xml"}
            rdf |= {"application/ld+json"}
            assert media in (rdf if str(form) == "RDF" else results), (form, media)
        boolean = manifest.value(expected, mf.expectedBoolean)
        if boolean is not None:
            import pyoxigraph as ox

            fmt = ox.QueryResultsFormat.from_media_type(media)
            assert fmt is not None, media
            parsed = ox.parse_query_results(response.content, format=fmt)
            assert bool(parsed) is boolean.toPython()
