"""The web pages through Starlette's test client (issue 14): search, the index, did-you-mean,
the ontology documentation, the VoID page, entity pages and the query page's examples.

The same pages in a real browser (crawl, phone width, the query page) are in
``tests/test_server_browser.py``.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from graph.namespaces import PREFIXES
from graph.serving.app import catalogue_entries
from graph.serving.query_page import example_queries, without_header
from tests.conftest import app_client

HTML = {"Accept": "text/html"}
KZ = PREFIXES["kz"]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with app_client() as running:
        yield running


class Links(HTMLParser):
    """Every href and every id of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "href" and value and tag in ("a", "link"):
                self.hrefs.append(value)
            if name == "id" and value:
                self.ids.add(value)


def parse(html: str) -> Links:
    links = Links()
    links.feed(html)
    return links


def page(client: TestClient, path: str) -> str:
    response = client.get(path, headers=HTML)
    assert response.status_code == 200, (path, response.status_code)
    assert "text/html" in response.headers["content-type"]
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    return response.text


# -- Search, index, did-you-mean --


def test_every_page_has_the_search_box(client):
    for path in ("/", "/index", "/ontology", "/void", "/id/igor-rogov", "/search?q=x"):
        html = page(client, path)
        assert 'action="/search"' in html and 'id="site-search"' in html, path
        assert '<script src="/static/search.js"></script>' in html


@pytest.mark.parametrize(
    "text, expected",
    [
        ("rogov", "/id/igor-rogov"),  # part of a label
        ("ROGO", "/id/igor-rogov"),  # the start of a word, any case
        ("Venice Commission", "/id/venice-commission"),  # an alternative label
        ("597 amendment", "/id/decree-597-amendment"),  # every word, any order
        ("kzr:iccpr", "/id/iccpr"),  # a prefixed name
    ],
)
def test_search_finds_an_entity_by_partial_or_alternative_name(client, text, expected):
    html = page(client, "/search?q=" + text)
    results = re.search(r'<ol class="results" id="results">(.*?)</ol>', html, re.S)
    assert results, html
    assert f'href="{expected}"' in results.group(1)


def test_search_suggestions_as_json(client):
    response = client.get("/search?format=json&q=venice")
    assert response.status_code == 200
    data = response.json()
    assert data["results"][0]["href"] == "/id/venice-commission"
    assert data["results"][0]["matched"] == "Venice Commission"
    assert data["suggestion"] is False
    misspelt = client.get("/search?q=tokaev", headers={"Accept": "application/json"}).json()
    assert misspelt["suggestion"] is True
    assert misspelt["results"][0]["href"] == "/id/kassym-jomart-tokayev"


def test_search_page_offers_did_you_mean_and_handles_empty_queries(client):
    html = page(client, "/search?q=tokaev")
    assert 'id="did-you-mean"' in html and 'href="/id/kassym-jomart-tokayev"' in html
    assert "Nothing is named" in html
    assert "Type a name" in page(client, "/search")


def test_index_lists_entities_by_kind(client):
    html = page(client, "/index")
    links = parse(html)
    assert "/id/igor-rogov" in links.hrefs and "/id/iccpr" in links.hrefs
    person = re.search(r'<section class="kind-group" id="kind-person">(.*?)</section>', html, re.S)
    assert person and 'href="/id/igor-rogov"' in person.group(1)
    for href in links.hrefs:
        if href.startswith("#"):
            assert href[1:] in links.ids, href


def test_unknown_entity_suggests_what_was_meant(client):
    response = client.get("/id/igor-rogv", headers=HTML)
    assert response.status_code == 404
    assert 'id="did-you-mean"' in response.text
    assert 'href="/id/igor-rogov"' in response.text
    plain = client.get("/id/igor-rogv", headers={"Accept": "text/turtle"})
    assert plain.status_code == 404 and "did-you-mean" not in plain.text
    elsewhere = client.get("/somewhere/igor-rogov", headers=HTML)
    assert elsewhere.status_code == 404 and 'href="/id/igor-rogov"' in elsewhere.text


# -- Links --


def test_links_to_ontology_terms_are_anchors_on_the_ontology_page(client):
    html = page(client, "/id/igor-rogov")
    assert "%23" not in html
    assert 'href="/ontology#' in page(client, "/id/lower-party-registration-threshold")
    ontology_ids = parse(page(client, "/ontology")).ids
    for path in ("/id/igor-rogov", "/id/lower-party-registration-threshold", "/index", "/void"):
        for href in parse(page(client, path)).hrefs:
            if href.startswith("/ontology#"):
                assert href.split("#", 1)[1] in ontology_ids, (path, href)


def test_internal_links_of_the_main_pages_resolve(client):
    seen: set[str] = set()
    for start in ("/", "/index", "/void", "/id/igor-rogov", "/id/decree-597-amendment"):
        for href in parse(page(client, start)).hrefs:
            path = href.split("#", 1)[0]
            if not path.startswith("/") or path.startswith("//") or path in seen:
                continue
            seen.add(path)
            if path.startswith(("/view", "/sparql", "/static")):
                continue
            response = client.get(path, headers=HTML)
            assert response.status_code == 200, (start, path, response.status_code)
    assert len(seen) > 150


# -- The ontology documentation --


def test_ontology_page_documents_every_term(client, dataset):
    html = page(client, "/ontology")
    ids = parse(html).ids
    onto = dataset.graph(URIRef(PREFIXES["kzg"] + "ontology"))
    terms = {str(s) for s in onto.subjects() if str(s).startswith(KZ) and str(s) != KZ}
    assert terms and {t[len(KZ) :] for t in terms} <= ids
    section = re.search(r'<section class="term" id="alignedWith">(.*?)</section>', html, re.S)
    assert section
    text = section.group(1)
    assert "aligned with" in text.lower()
    assert "Domain includes" in text and 'href="/ontology#LegalAct"' in text
    assert "Range includes" in text and 'href="/ontology#Treaty"' in text
    assert re.search(r"\d+ times? in the data", text)
    treaty = re.search(r'<section class="term" id="Treaty">(.*?)</section>', html, re.S)
    assert treaty and "Subclass of" in treaty.group(1) and "eli:LegalResource" in treaty.group(1)


@pytest.mark.parametrize("how", ["accept", "param"])
def test_ontology_turtle_by_negotiation_or_parameter(client, dataset, how):
    if how == "accept":
        response = client.get("/ontology", headers={"Accept": "text/turtle"})
    else:
        response = client.get("/ontology?format=ttl", headers=HTML)
    assert response.headers["content-type"].startswith("text/turtle")
    expected = dataset.graph(URIRef(PREFIXES["kzg"] + "ontology"))
    assert isomorphic(Graph().parse(data=response.content, format="turtle"), expected)


# -- The dataset page --


def test_void_is_html_for_browsers_and_turtle_otherwise(client, dataset):
    html = page(client, "/void")
    assert "creativecommons.org/licenses/by/4.0" in html
    triples = len(set(dataset.triples((None, None, None))))
    assert f"{triples:,} triples" in html
    assert 'id="subsets"' in html and 'id="how-to-query"' in html
    assert "Kazakhstan’s New Human Rights Amendment" in html  # a source
    for accept in ("text/turtle", "*/*", None):
        headers = {"Accept": accept} if accept else {}
        response = client.get("/void", headers=headers)
        assert response.headers["content-type"].startswith("text/turtle"), accept
    g = Graph().parse(data=client.get("/void?format=ttl", headers=HTML).content, format="turtle")
    assert (None, URIRef("http://purl.org/dc/terms/license"), None) in g
    assert client.get("/void?format=nonsense").status_code == 406


# -- Entity pages --


def test_entity_page_labels_every_predicate(client):
    html = page(client, "/id/igor-rogov")
    cells = re.findall(r'<td class="predicate">(.*?)</td>', html, re.S)
    assert cells
    for cell in cells:
        assert re.search(r">[^<]+</a> <code class=\"curie\">", cell), (
            cell
        )  # a label, then the CURIE
    assert ">holds</a>" in html


def test_claims_come_first_and_provenance_is_folded(client):
    html = page(client, "/id/igor-rogov")
    assert html.index('id="claims"') < html.index('id="facts"') < html.index('id="incoming"')
    claims = re.search(r'<section id="claims">(.*?)</section>', html, re.S).group(1)
    assert claims.count('<li class="claim">') >= 13
    incoming = re.search(r'<section id="incoming">(.*?)</section>', html, re.S).group(1)
    assert "prov:wasAttributedTo" not in incoming  # folded into the passages
    assert 'href="/id/claim-' not in incoming  # listed among the claims
    assert incoming.count('<tr class="fact">') < 15
    passages = re.search(r'<section id="passages">(.*?)</section>', html, re.S).group(1)
    assert re.search(r"is the claimant of \d+ passages", passages)


def test_curators_notes_are_shown_with_the_evidence(client):
    html = page(client, "/id/decree-597-amendment")
    assert "Curators' note:</strong>" in html
    assert "the signing is that of 13 April 2022" in html


def test_number_changes_are_stated_plainly(client):
    html = page(client, "/id/lower-party-registration-threshold")
    change = re.search(r'<section id="changes">(.*?)</section>', html, re.S)
    assert change
    line = re.sub(r"<[^>]+>", "", change.group(1))
    wanted = r"members required to register a new political party:\s*20,000\s*→\s*5,000 members"
    assert re.search(wanted, line)
    facts = re.search(r'<section id="facts">(.*?)</section>', html, re.S).group(1)
    assert "kz:oldValue" not in facts and "kz:newValue" not in facts


def test_alternate_formats_are_working_links_and_link_headers(client):
    response = client.get("/id/igor-rogov", headers=HTML)
    assert 'rel="alternate"; type="text/turtle"' in response.headers["link"]
    hrefs = [h for h in parse(response.text).hrefs if "?format=" in h]
    assert {h.split("=")[1] for h in hrefs} >= {"ttl", "jsonld", "nt", "rdf"}
    parsers = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt", "rdf": "xml"}
    for href in sorted(set(hrefs)):
        got = client.get(href, headers=HTML)  # a link followed from the page, as a browser does
        assert got.status_code == 200, href
        g = Graph().parse(data=got.content, format=parsers[href.split("=")[1]])
        assert (URIRef("https://w3id.org/kzgraph/id/igor-rogov"), None, None) in g
        assert 'rel="alternate"; type="text/html"' in got.headers["link"]
    assert client.get("/id/igor-rogov?format=pdf").status_code == 406


def test_source_pages_state_url_and_date_or_not_recorded(client, dataset):
    html = page(client, "/id/article-new-human-rights-amendment")
    url = re.search(r'<dd id="source-url">(.*?)</dd>', html, re.S).group(1)
    date = re.search(r'<dd id="source-date">(.*?)</dd>', html, re.S).group(1)
    article = URIRef("https://w3id.org/kzgraph/id/article-new-human-rights-amendment")
    recorded_url = dataset.value(article, URIRef("https://schema.org/url"), any=True)
    recorded_date = dataset.value(article, URIRef("https://schema.org/datePublished"), any=True)
    assert (str(recorded_url) in url) if recorded_url else ("not recorded" in url)
    assert (str(recorded_date) in date) if recorded_date else ("not recorded" in date)
    # the opinion piece has no recorded date: the page says so, with the window its content implies
    html = page(client, "/id/article-regional-crisis-opportunity")
    date = re.search(r'<dd id="source-date">(.*?)</dd>', html, re.S).group(1)
    assert "not recorded" in date and "2022-04-13" in date


def test_external_links_have_their_place(client):
    html = page(client, "/id/kassym-jomart-tokayev")
    section = re.search(r'<section id="external-links".*?</section>', html, re.S).group(0)
    assert "wikidata.org/entity/Q200881" in section


# -- The query page --


def test_query_page_examples_skip_what_the_server_cannot_run():
    catalogue = catalogue_entries()
    shown = {q["name"] for q in example_queries(catalogue, ())}
    assert "federated-treaty-adoption-dates" not in shown
    assert "amendment-changes" in shown
    allowed = example_queries(catalogue, ("https://query.wikidata.org/sparql",))
    assert "federated-treaty-adoption-dates" in {q["name"] for q in allowed}
    first = example_queries(catalogue, ())[0]["query"]
    assert not first.startswith("#")  # the page shows the title and description instead
    assert without_header("# title: x\n# description: y\n\nSELECT * {}\n") == "SELECT * {}\n"


def test_query_page_config(client):
    html = page(client, "/")
    config = json.loads(re.search(r'id="kzgraph-config">(.*?)</script>', html, re.S).group(1))
    assert config["base"] == "https://w3id.org/kzgraph/"
    assert config["examples"][0]["name"] == "amendment-changes"
    assert "SERVICE" not in " ".join(q["query"] for q in config["examples"])
    assert '<script src="/static/result-views.js"></script>' in html


# -- Escaping --


def test_search_index_and_suggestions_escape_labels(hostile_client):
    for path in (
        "/search?q=evil",
        "/search?q=img",
        "/index",
        "/id/evil-thing",
        "/search?q=<script>",
    ):
        html = hostile_client.get(path, headers=HTML).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; evil"
        in hostile_client.get("/search?q=evil", headers=HTML).text
    )
    data = hostile_client.get("/search?format=json&q=evil").json()
    assert data["results"][0]["label"] == "<script>alert(1)</script> evil"  # JSON, set as text


# -- Labels in other languages (kzgraph enrich puts Kazakh and Russian names in the graph) --


def test_search_finds_kazakh_and_russian_names(multilingual_client):
    html = multilingual_client.get("/search?q=Пример", headers=HTML).text
    results = re.search(r'<ol class="results" id="results">(.*?)</ol>', html, re.S)
    assert results and 'href="/id/jane-example"' in results.group(1)
    assert "Джейн Пример" in results.group(1)  # the name that matched, shown
    data = multilingual_client.get("/search?format=json&q=мысал").json()
    assert data["results"][0]["href"] == "/id/jane-example"
    assert data["results"][0]["matched"] == "Джейн Мысал"


def test_entity_pages_say_how_each_link_out_stands(client):
    """Issue 16: every link out shows exact or close, verified or reconciled, when it was last
    checked and the public record it was verified against; missing links say they were sought."""
    page = client.get("/id/iccpr", headers=HTML).text
    section = page[page.index('id="external-links"') :]
    section = section[: section.index("</section>")]
    assert 'href="http://www.wikidata.org/entity/Q392119"' in section
    assert re.search(r"exact match, verified, last checked \d{4}-\d{2}-\d{2}", section)
    assert "Verified against:" in section and 'href="https://github.com/' in section
    rogov = client.get("/id/igor-rogov", headers=HTML).text
    assert re.search(r"Not yet linked: <span[^>]*>Wikidata \(searched \d{4}-", rogov)
