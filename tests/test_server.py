"""The HTTP layer through Starlette's test client, over a query runner in this process.

Covers the SPARQL 1.1 Protocol (GET, POST form, POST sparql-query), every result content type,
the service description, VoID, the ontology, entity pages in HTML and RDF, CORS, and every
documented error status.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

with warnings.catch_warnings():  # Starlette suggests httpx2; httpx is what it runs on today
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from graph.serving.app import (
    KzGraphServer,
    ServerConfig,
    catalogue_entries,
    negotiate,
    parse_accept,
)
from graph.serving.sandbox import QueryRunner
from graph.stores.spec import StoreSpec
from tests.conftest import client_for

ROGOV = "https://w3id.org/kzgraph/id/igor-rogov"
SELECT = "SELECT ?post WHERE { kzr:igor-rogov org:holds ?post }"
CONSTRUCT = "CONSTRUCT { kzr:igor-rogov ?p ?o } WHERE { kzr:igor-rogov ?p ?o }"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TOKEN = "s3cret-token-for-tests"


@pytest.fixture(scope="module")
def pool() -> Iterator[QueryRunner]:
    with QueryRunner.open(StoreSpec(), timeout=2.0) as running:
        yield running


@pytest.fixture(scope="module")
def client(pool) -> TestClient:
    return client_for(pool)


def select_rows(body: bytes, fmt: ox.QueryResultsFormat) -> set[tuple[str, ...]]:
    results = ox.parse_query_results(body, format=fmt)
    return {tuple(str(sol[v]) for v in results.variables) for sol in results}


# -- Negotiation --


def test_accept_parsing_orders_by_quality():
    assert parse_accept("text/csv;q=0.5, application/sparql-results+json") == [
        ("application/sparql-results+json", 1.0),
        ("text/csv", 0.5),
    ]
    offers = {"json": "application/sparql-results+json", "csv": "text/csv"}
    assert negotiate("text/csv;q=0.5, application/sparql-results+json", offers, "json") == "json"
    assert negotiate("*/*", offers, "csv") == "csv"
    assert negotiate("image/png", offers, "json") is None


# -- The protocol --


@pytest.mark.parametrize("method", ["get", "post-form", "post-query"])
def test_three_ways_to_send_a_query(client, method):
    if method == "get":
        response = client.get("/sparql", params={"query": SELECT})
    elif method == "post-form":
        response = client.post("/sparql", data={"query": SELECT})
    else:
        response = client.post(
            "/sparql", content=SELECT, headers={"Content-Type": "application/sparql-query"}
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    rows = select_rows(response.content, ox.QueryResultsFormat.JSON)
    assert rows == {("<https://w3id.org/kzgraph/id/chair-of-the-commission-on-human-rights>",)}


@pytest.mark.parametrize(
    "accept, fmt",
    [
        ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
        ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
        ("text/csv", ox.QueryResultsFormat.CSV),
        ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
    ],
)
def test_select_and_ask_in_every_results_format(client, accept, fmt):
    response = client.get("/sparql", params={"query": SELECT}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == accept
    assert response.headers["vary"].startswith("Accept")
    post = "https://w3id.org/kzgraph/id/chair-of-the-commission-on-human-rights"
    if fmt == ox.QueryResultsFormat.CSV:  # lossy by design: plain values
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows == [["post"], [post]]
    else:
        results = ox.parse_query_results(response.content, format=fmt)
        assert [v.value for v in results.variables] == ["post"]
        assert [sol["post"] for sol in results] == [ox.NamedNode(post)]
    ask = client.get(
        "/sparql",
        params={"query": "ASK { kzr:igor-rogov a foaf:Person }"},
        headers={"Accept": accept},
    )
    assert ask.status_code == 200
    if fmt == ox.QueryResultsFormat.CSV:
        assert ask.text.strip() == "true"
    else:
        assert bool(ox.parse_query_results(ask.content, format=fmt)) is True


@pytest.mark.parametrize(
    "accept, fmt",
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_construct_in_every_rdf_format(client, dataset, accept, fmt):
    response = client.post("/sparql", data={"query": CONSTRUCT}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == accept
    got = Graph().parse(data=response.content, format=fmt)
    expected = dataset.query(CONSTRUCT, initNs={"kzr": "https://w3id.org/kzgraph/id/"}).graph
    assert len(got) > 3 and isomorphic(got, expected)


def test_service_description(client):
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    g = Graph().parse(data=response.content, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    endpoint = URIRef("http://testserver/sparql")
    assert (endpoint, URIRef(sd + "endpoint"), endpoint) in g
    assert (endpoint, URIRef(sd + "supportedLanguage"), URIRef(sd + "SPARQL11Query")) in g
    names = set(g.objects(None, URIRef(sd + "name")))
    assert URIRef("https://w3id.org/kzgraph/graph/provenance") in names


def test_browser_on_the_endpoint_gets_the_query_page(client):
    response = client.get("/sparql", headers={"Accept": "text/html"})
    assert response.status_code == 200 and 'id="yasgui"' in response.text


def test_query_page_lists_the_catalogue(client):
    response = client.get("/")
    assert response.status_code == 200
    for entry in catalogue_entries():
        shown = f">{entry['title']}</button>" in response.text.replace("&#39;", "'")
        assert shown == ("SERVICE" not in entry["text"])  # federated only where allowed
    assert "https://" not in response.text.split("<script")[1].split(">")[0]  # no CDN
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_cors_for_reads(client):
    response = client.get(
        "/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://example.org"}
    )
    assert response.headers["access-control-allow-origin"] == "*"
    preflight = client.options(
        "/sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    # what YASGUI sends, and the update token (a bearer token is never sent by a browser on
    # its own, so allowing the header lets a page send it only when it holds it)
    for asked in ("x-requested-with", "authorization", "x-requested-with, content-type"):
        allowed = client.options(
            "/sparql",
            headers={
                "Origin": "https://example.org",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": asked,
            },
        )
        assert allowed.status_code == 200, asked
    denied = client.options(
        "/sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-custom-secret",
        },
    )
    assert denied.status_code == 400


# -- Linked data --


def test_entity_page_for_browsers(client):
    response = client.get("/id/igor-rogov", headers={"Accept": "text/html"})
    assert response.status_code == 200
    html = response.text
    assert '<h1 id="label">Igor Rogov</h1>' in html
    assert "foaf:Person" in html
    assert "Chair of the Commission on Human Rights" in html  # a post, by its label
    assert 'href="/id/chair-of-the-commission-on-human-rights"' in html
    assert "Kazakhstan’s Human Rights Commissioner, Igor Rogov" in html  # an evidence quote
    assert 'href="/id/article-new-human-rights-amendment"' in html  # its source
    assert 'id="incoming"' in html


@pytest.mark.parametrize(
    "accept, fmt",
    [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_entity_for_rdf_clients(client, accept, fmt):
    response = client.get("/id/igor-rogov", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == accept
    g = Graph().parse(data=response.content, format=fmt)
    assert (URIRef(ROGOV), URIRef("http://www.w3.org/2000/01/rdf-schema#label"), None) in g
    assert (None, URIRef("http://www.w3.org/ns/org#member"), URIRef(ROGOV)) in g  # incoming


def test_evidence_graph_page_shows_its_triples_and_provenance(client):
    response = client.get("/evidence/eureporter-p04-rogov-posts", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert 'id="graph"' in response.text and "Igor Rogov" in response.text
    assert "prov:wasDerivedFrom" in response.text


def test_unknown_entity_is_a_404_page(client):
    response = client.get("/id/no-such-thing", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "says nothing about" in response.text and "<html" in response.text
    rdf = client.get("/id/no-such-thing", headers={"Accept": "text/turtle"})
    assert rdf.status_code == 404
    assert client.get("/elsewhere/x", headers={"Accept": "text/html"}).status_code == 404


def test_void_and_ontology(client, dataset):
    void = Graph().parse(data=client.get("/void").content, format="turtle")
    dataset_node = URIRef("http://testserver/void#dataset")
    triples = void.value(dataset_node, URIRef("http://rdfs.org/ns/void#triples"))
    assert int(triples) == len(set(dataset.triples((None, None, None))))
    assert void.value(dataset_node, URIRef("http://rdfs.org/ns/void#sparqlEndpoint")) == URIRef(
        "http://testserver/sparql"
    )
    onto = client.get("/ontology", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=onto.content, format="turtle")
    expected = dataset.graph(URIRef("https://w3id.org/kzgraph/graph/ontology"))
    assert isomorphic(g, expected)


# -- Errors --


def test_malformed_query_is_400_with_the_parser_message(client):
    response = client.get("/sparql", params={"query": "SELECT ?s WHERE {\n ?s ?p"})
    assert response.status_code == 400
    assert response.text.startswith("bad SPARQL at line 2, column")


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"data": {"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}},
        {
            "content": "DELETE WHERE { ?s ?p ?o }",
            "headers": {"Content-Type": "application/sparql-update"},
        },
    ],
)
def test_updates_are_403_on_a_read_only_server(client, request_kwargs):
    response = client.post("/sparql", **request_kwargs)
    assert response.status_code == 403
    assert "read-only" in response.text
    assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200


def test_service_and_foreign_from_are_403(client):
    for text in (
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
    ):
        response = client.get("/sparql", params={"query": text})
        assert response.status_code == 403, text
        assert "not allowed" in response.text


def test_row_cap_is_422(pool):
    capped = client_for(pool, max_rows=5)
    response = capped.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.status_code == 422
    assert "more than 5 rows" in response.text and "LIMIT" in response.text


def test_request_size_caps(pool):
    small = client_for(pool, max_request_bytes=1000)
    padding = "#" + "x" * 2000 + "\n"
    assert small.post("/sparql", data={"query": padding + "ASK {}"}).status_code == 413
    assert small.get("/sparql", params={"query": padding + "ASK {}"}).status_code == 414
    assert small.post("/sparql", data={"query": "ASK {}"}).status_code == 200


def test_other_request_errors(client):
    assert (
        client.post("/sparql", content="ASK {}", headers={"Content-Type": "text/plain"}).status_code
        == 415
    )
    assert client.post("/sparql", data={"nothing": "here"}).status_code == 400
    assert client.get("/id/igor-rogov", headers={"Accept": "image/png"}).status_code == 406


def test_time_limit_is_503_with_retry_after(pool):
    """The runner's time limit (the live tests show the process being replaced)."""
    import asyncio

    from graph.sparql.results import QueryTimeout

    with pytest.raises(QueryTimeout, match=r"time limit of 0\.2 s") as caught:
        asyncio.run(pool.call("sleep", 1.0, timeout=0.2))
    response = KzGraphServer(pool, ServerConfig()).query_error(caught.value)
    assert response.status_code == 503 and response.headers["retry-after"]


# -- Protocol details (issue 12) --

SPARQL_JSON = "application/sparql-results+json"


def test_head_wherever_get_works(client):
    for path, params in (
        ("/sparql", {"query": "ASK {}"}),
        ("/sparql", {}),
        ("/id/igor-rogov", {}),
        ("/void", {}),
        ("/", {}),
    ):
        get = client.get(path, params=params)
        head = client.head(path, params=params)
        assert get.status_code == head.status_code == 200, path
        assert head.headers["content-type"] == get.headers["content-type"], path


def test_query_in_both_url_and_body_is_400(client):
    form = client.post(
        "/sparql", params={"query": "ASK { ?s ?p ?o }"}, data={"query": "ASK { kzr:x ?p ?o }"}
    )
    assert form.status_code == 400 and "both in the URL and in the body" in form.text
    direct = client.post(
        "/sparql",
        params={"query": "ASK { ?s ?p ?o }"},
        content="ASK {}",
        headers={"Content-Type": "application/sparql-query"},
    )
    assert direct.status_code == 400 and "both in the URL and in the body" in direct.text
    # a dataset parameter in the URL with the query in the body is the protocol's own way
    ok = client.post(
        "/sparql",
        params={"default-graph-uri": f"{GRAPH_BASE}kzg:none"},
        data={"query": "ASK {}"},
    )
    assert ok.status_code == 200


GRAPH_BASE = "https://w3id.org/kzgraph/"


def named_graph_with_rogov(client) -> str:
    response = client.get(
        "/sparql",
        params={"query": "SELECT ?g WHERE { GRAPH ?g { kzr:igor-rogov org:holds ?p } } LIMIT 1"},
        headers={"Accept": "text/tab-separated-values"},
    )
    return response.text.splitlines()[1].strip()[1:-1]


def test_dataset_parameters_follow_the_from_policy(client):
    graph = named_graph_with_rogov(client)
    asked = "ASK { kzr:igor-rogov org:holds ?p }"
    inside = client.get("/sparql", params={"query": asked, "default-graph-uri": graph})
    assert inside.status_code == 200 and inside.json()["boolean"] is True
    # an empty graph of this dataset as the default graph: nothing in it
    empty = client.get(
        "/sparql", params={"query": asked, "default-graph-uri": GRAPH_BASE + "graph/no-such"}
    )
    assert empty.status_code == 200 and empty.json()["boolean"] is False
    named = client.get(
        "/sparql",
        params={
            "query": "SELECT ?g WHERE { GRAPH ?g { kzr:igor-rogov org:holds ?p } }",
            "named-graph-uri": graph,
        },
        headers={"Accept": SPARQL_JSON},
    )
    assert [b["g"]["value"] for b in named.json()["results"]["bindings"]] == [graph]
    # the protocol's dataset replaces the query's own FROM
    replaced = client.post(
        "/sparql",
        params={"default-graph-uri": graph},
        content=f"ASK FROM <{GRAPH_BASE}graph/no-such> {{ kzr:igor-rogov org:holds ?p }}",
        headers={"Content-Type": "application/sparql-query"},
    )
    assert replaced.json()["boolean"] is True
    # foreign graphs are refused as FROM is, and so is anything that is not an IRI
    for value in ("http://example.org/g", "file:///etc/passwd"):
        for name in ("default-graph-uri", "named-graph-uri"):
            refused = client.get("/sparql", params={"query": asked, name: value})
            assert refused.status_code == 403, (name, value)
    bad = client.get("/sparql", params={"query": asked, "default-graph-uri": "> } SERVICE <x:y"})
    assert bad.status_code == 400


def test_charset_of_a_sparql_query_body(client):
    """UTF-8 is the protocol's charset; another is refused (415), never misread."""
    text = 'ASK { kzr:igor-rogov rdfs:label ?l FILTER(CONTAINS(?l, "Рогов") || true) }'
    for charset in ("utf-8", "UTF-8", "utf8", '"UTF-8"'):
        response = client.post(
            "/sparql",
            content=text.encode("utf-8"),
            headers={"Content-Type": f"application/sparql-query; charset={charset}"},
        )
        assert response.status_code == 200, (charset, response.text)
    for charset in ("UTF-16", "windows-1251", "x-klingon"):
        refused = client.post(
            "/sparql",
            content=text.encode("utf-16") if charset == "UTF-16" else b"ASK {}",
            headers={"Content-Type": f"application/sparql-query; charset={charset}"},
        )
        assert refused.status_code == 415 and "charset" in refused.text, charset
    broken = client.post(
        "/sparql", content=b"ASK {} \xff", headers={"Content-Type": "application/sparql-query"}
    )
    assert broken.status_code == 400 and "not valid UTF-8" in broken.text


def test_json_on_an_entity_is_json_ld(client):
    response = client.get("/id/igor-rogov", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    graph = Graph().parse(data=response.text, format="json-ld")
    assert (URIRef(ROGOV), None, None) in graph


@pytest.mark.parametrize(
    "accept",
    [
        "",
        "application/sparql-results+json",
        "text/csv",
        "application/sparql-results+xml",
        "text/turtle",
        "application/n-triples",
        "image/png",
        "x" * 600,
    ],
)
@pytest.mark.parametrize(
    "query", [SELECT, CONSTRUCT, "ASK {}", "SELECT", "SELECT * FROM <http://x/> {}", "SELECT * {"]
)
def test_plain_gets_are_answered_as_the_full_handler_does(client, accept, query):
    """A plain GET skips routing (PlainQueries); an extra parameter takes the full handler."""
    headers = {"Accept": accept} if accept else {}
    plain = client.get("/sparql", params={"query": query}, headers=headers)
    full = client.get("/sparql", params={"query": query, "x": ""}, headers=headers)
    assert plain.status_code == full.status_code
    assert plain.content == full.content
    for name in ("content-type", "vary", "x-result-count", "x-content-type-options"):
        assert plain.headers.get(name) == full.headers.get(name), name


def test_nosniff_on_every_response(client):
    for response in (
        client.get("/sparql", params={"query": "ASK {}"}),
        client.get("/sparql", params={"query": "SELECT"}),
        client.get("/no/such/page"),
        client.get("/static/kzgraph.css"),
        client.get("/id/igor-rogov"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff", response.url


# -- Updates with a token --


def test_updates_need_the_flag_and_the_token():
    with QueryRunner.open(StoreSpec(), timeout=10) as writable:
        client = client_for(writable, allow_update=True, update_token=TOKEN)
        update = {"update": 'INSERT DATA { GRAPH kze:new { kzr:newcomer rdfs:label "New"@en } }'}
        assert client.post("/sparql", data=update).status_code == 403
        assert (
            client.post(
                "/sparql", data=update, headers={"Authorization": "Bearer wrong"}
            ).status_code
            == 403
        )
        ok = client.post("/sparql", data=update, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 204
        for _ in range(3):  # whichever worker answers
            ask = client.get(
                "/sparql",
                params={"query": "ASK { kzr:newcomer rdfs:label ?l }"},
                headers={"Accept": "text/csv"},
            )
            assert ask.text.strip() == "true"
        load = client.post(
            "/sparql",
            data={"update": "LOAD <file:///etc/passwd>"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert load.status_code == 403 and "LOAD" in load.text


# -- Escaping --


def test_labels_and_literals_are_escaped_in_html(hostile_client):
    for path in ("/id/evil", "/id/decree-2021", "/evidence/hostile"):
        html = hostile_client.get(path, headers={"Accept": "text/html"}).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert 'href="javascript:' not in html, path
    html = hostile_client.get("/id/evil", headers={"Accept": "text/html"}).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in html


def test_error_page_escapes_the_path(client):
    response = client.get("/id/%3Cscript%3E", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "<script>" not in response.text.split("</header>")[1]


def test_queries_listing(client):
    data = json.load(io.BytesIO(client.get("/queries").content))
    assert {q["name"] for q in data} == {e["name"] for e in catalogue_entries()}
    assert Path  # keep the import used by type checkers


# -- The network view (issue 4) and the label language switch (issue 5) --


def view_nodes(html: str) -> dict[str, dict]:
    from tests.test_view import page_data

    nodes, _edges, _options = page_data(html)
    return {n["id"]: n for n in nodes}


def test_whole_graph_view_is_served_with_the_view_csp(client, dataset):
    from graph.explore.view import CONTENT_SECURITY_POLICY, view_for

    response = client.get("/view")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    expected = view_for(dataset)
    assert len(view_nodes(response.text)) == expected.nodes == int(response.headers["x-nodes"])
    # entity pages keep the strict site-wide policy
    page = client.get("/id/igor-rogov", headers={"Accept": "text/html"})
    assert page.headers["content-security-policy"] != CONTENT_SECURITY_POLICY


def test_focused_view_links_nodes_to_the_entity_pages(client, dataset):
    from graph.explore.view import view_for

    for focus in (ROGOV, "kzr:igor-rogov"):
        response = client.get("/view", params={"focus": focus, "depth": "1"})
        assert response.status_code == 200, response.text
        nodes = view_nodes(response.text)
        assert set(nodes) == set(view_nodes(view_for(dataset, focus=ROGOV, depth=1).html))
        assert nodes[ROGOV]["kz"]["href"] == "/id/igor-rogov"
    two = client.get("/view", params={"focus": ROGOV, "depth": "2"})
    assert len(view_nodes(two.text)) > len(nodes)


def test_entity_page_links_to_its_view(client):
    html = client.get("/id/igor-rogov", headers={"Accept": "text/html"}).text
    match = re.search(r'<a id="view-link" href="([^"]+)"', html)
    assert match, "no view link on the entity page"
    link = match.group(1).replace("&amp;", "&")
    assert link.startswith("/view?focus=https%3A%2F%2Fw3id.org%2Fkzgraph%2Fid%2Figor-rogov")
    response = client.get(link)
    assert response.status_code == 200 and ROGOV in view_nodes(response.text)


def test_query_result_view_goes_through_the_guard(client, pool, dataset):
    from graph.explore.view import view_for

    response = client.get("/view", params={"query": CONSTRUCT})
    assert response.status_code == 200
    assert set(view_nodes(response.text)) == set(
        view_nodes(view_for(dataset, query=CONSTRUCT).html)
    )
    spo = "SELECT ?s ?p ?o WHERE { kzr:igor-rogov ?p ?o BIND(kzr:igor-rogov AS ?s) }"
    assert set(view_nodes(client.get("/view", params={"query": spo}).text)) == set(
        view_nodes(response.text)
    )
    html = {"Accept": "text/html"}
    # a SELECT of entities draws them (issue 13), as `kzgraph view --query` does
    no_spo = client.get("/view", params={"query": SELECT}, headers=html)
    assert set(view_nodes(no_spo.text)) == set(view_nodes(view_for(dataset, query=SELECT).html))
    count = client.get("/view", params={"query": "SELECT (1 AS ?n) {}"}, headers=html)
    assert count.status_code == 400 and "name no entity" in count.text
    bad = client.get("/view", params={"query": "CONSTRUCT {"})
    assert bad.status_code == 400 and "line 1" in bad.text
    service = "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <http://example.org/s> { ?s ?p ?o } }"
    assert client.get("/view", params={"query": service}).status_code == 403
    capped = client_for(pool, max_rows=3).get("/view", params={"query": CONSTRUCT})
    assert capped.status_code == 422
    slow = "CONSTRUCT { ?a ?b ?c } WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    assert client.get("/view", params={"query": slow}).status_code == 503  # the time limit


def test_bad_focus_and_depth_are_clear_errors(client):
    html = {"Accept": "text/html"}
    unknown = client.get("/view", params={"focus": "<script>alert(1)</script>"}, headers=html)
    assert unknown.status_code == 404 and "no entity matches" in unknown.text
    assert "<script>alert(1)" not in unknown.text
    assert unknown.headers["content-security-policy"].startswith("default-src 'self'")
    ambiguous = client.get("/view", params={"focus": "Rogov"})
    assert ambiguous.status_code == 400 and "kzr:igor-rogov" in ambiguous.text
    for depth in ("x", "-1", "99"):
        response = client.get("/view", params={"focus": ROGOV, "depth": depth})
        assert response.status_code == 400, depth
    assert client.get("/view", params={"depth": "2"}).status_code == 400


def heading(html: str) -> str:
    match = re.search(r'<h1 id="label">(.*?)</h1>', html)
    assert match
    return match.group(1)


def test_entity_pages_switch_label_language_with_english_fallback(multilingual_client):
    c = multilingual_client
    html = {"Accept": "text/html"}
    assert heading(c.get("/id/jane-example", headers=html).text) == "Jane Example"
    ru = c.get("/id/jane-example?lang=ru", headers=html)
    assert heading(ru.text) == "Джейн Пример" and ru.headers["content-language"] == "ru"
    assert heading(c.get("/id/jane-example?lang=kk", headers=html).text) == "Джейн Мысал"
    # no Kazakh label: English; a language nobody wrote labels in: English too
    assert heading(c.get("/id/decree-2021?lang=kk", headers=html).text) == "Decree of 3 March 2021"
    assert heading(c.get("/id/decree-2021?lang=de", headers=html).text) == "Decree of 3 March 2021"
    decree = c.get("/id/decree-2021?lang=ru", headers=html).text
    assert heading(decree) == "Указ от 3 марта 2021 года"
    assert 'id="description">Указ о примерах<' in decree
    assert "Джейн Пример" in decree  # the signatory's label follows the switch too
    # the browser's Accept-Language when there is no ?lang=
    browser = {**html, "Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}
    assert heading(c.get("/id/jane-example", headers=browser).text) == "Джейн Пример"
    # the switch lists the languages labels exist in, English first, the current one marked
    page = c.get("/id/jane-example?lang=kk", headers=html).text
    assert re.findall(r'data-lang="(\w+)"', page) == ["en", "kk", "ru"]
    assert '<strong aria-current="true" data-lang="kk">' in page
    assert 'href="/id/jane-example?lang=ru"' in page
    assert re.search(r'id="view-link" href="[^"]+lang=kk"', page)
    injected = c.get("/id/jane-example", params={"lang": '"><script>x</script>'}, headers=html)
    assert injected.status_code == 200 and "<script>x" not in injected.text


def test_served_view_and_cli_take_the_label_language(multilingual_client, multilingual, tmp_path):
    from graph.cli.main import main

    jane = "https://w3id.org/kzgraph/id/jane-example"
    decree = "https://w3id.org/kzgraph/id/decree-2021"
    ru = view_nodes(multilingual_client.get("/view", params={"lang": "ru"}).text)
    assert ru[jane]["kz"]["label"] == "Джейн Пример"
    assert ru[decree]["kz"]["label"].startswith("Указ")
    kk = view_nodes(multilingual_client.get("/view", params={"lang": "kk"}).text)
    assert kk[jane]["kz"]["label"] == "Джейн Мысал"
    assert kk[decree]["kz"]["label"] == "Decree of 3 March 2021"
    out = tmp_path / "kk.html"
    inputs = ["--ontology", str(multilingual / "ontology"), "--data", str(multilingual / "data")]
    assert main(["view", *inputs, "--lang", "kk", "-o", str(out)]) == 0
    assert view_nodes(out.read_text(encoding="utf-8"))[jane]["kz"]["label"] == "Джейн Мысал"
    assert main(["view", *inputs, "--lang", "not a tag", "-o", str(out)]) == 2
