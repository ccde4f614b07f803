"""The query page and an entity page in headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.browser import CHROMIUM
from tests.support.servers import kzgraph_serve

pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install -y chromium"
    ),
]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with kzgraph_serve() as served:
        yield served.base


def watched_page(browser, problems: list[str]):  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.on("requestfailed", lambda r: problems.append(f"failed {r.url}"))
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    page.on(
        "console", lambda m: problems.append(f"console {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: problems.append(f"error {e}"))
    return page


def test_query_page_runs_an_example(server, browser):
    problems: list[str] = []
    requests: list[str] = []
    page = watched_page(browser, problems)
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{server}/")
    page.wait_for_selector(".yasqe .CodeMirror")
    button = page.locator("button.example", has_text="Who chairs the Commission")
    button.click()
    table = page.locator(".yasr table.dataTable")
    table.wait_for(timeout=15000)
    page.wait_for_selector(".yasr td:has-text('igor-rogov')", timeout=15000)
    assert "Commission on Human Rights" in table.inner_text()
    assert problems == []
    assert requests and all(url.startswith(server) for url in requests), requests  # offline
    assert any(url.startswith(f"{server}/sparql") for url in requests)
    page.close()


def test_entity_page_shows_posts_with_sources(server, browser):
    problems: list[str] = []
    page = watched_page(browser, problems)
    page.goto(f"{server}/id/igor-rogov")
    assert page.locator("h1#label").inner_text() == "Igor Rogov"
    holds = page.locator("tr.fact", has=page.locator("td.predicate", has_text="org:holds"))
    assert holds.count() >= 1
    row = holds.first
    assert "Chair of the Commission on Human Rights" in row.locator("td.object").inner_text()
    evidence = row.locator("td.evidence")
    assert evidence.locator("q.quote").count() >= 1
    assert "Kazakhstan’s New Human Rights Amendment" in evidence.inner_text()
    # the posts he held, reached through his memberships, link back to sources too
    incoming = page.locator("#incoming").inner_text()
    assert "Igor Rogov, former Minister of Justice" in incoming
    row.locator("td.object a").first.click()
    page.wait_for_load_state()
    assert page.url == f"{server}/id/chair-of-the-commission-on-human-rights"
    assert problems == []
    page.close()


def test_entity_page_opens_its_network_view_and_the_query_page_draws_a_result(server, browser):
    from tests.test_view_browser import READY

    rogov = "https://w3id.org/kzgraph/id/igor-rogov"
    problems: list[str] = []
    requests: list[str] = []
    page = watched_page(browser, problems)
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{server}/id/igor-rogov")
    page.locator("a#view-link").click()
    page.wait_for_function(READY, timeout=30000)
    assert page.url.startswith(f"{server}/view?focus=")
    drawn = page.evaluate("() => window.kzView.drawnCounts()")
    assert drawn["nodes"] > 1
    assert page.evaluate(f"() => window.kzView.nodes.get({rogov!r}) !== null")
    # the query page sends its current query to /view in a new tab
    page.goto(f"{server}/")
    page.wait_for_selector(".yasqe .CodeMirror")
    page.evaluate(
        "q => { window.kzgraphYasgui.getTab().setQuery(q); }",
        "CONSTRUCT { kzr:igor-rogov ?p ?o } WHERE { kzr:igor-rogov ?p ?o }",
    )
    with page.context.expect_page() as opened:
        page.locator("#view-button").click()
    view = opened.value
    view.on(
        "console", lambda m: problems.append(f"console {m.text}") if m.type == "error" else None
    )
    view.on("pageerror", lambda e: problems.append(f"error {e}"))
    view.wait_for_function(READY, timeout=30000)
    assert view.url.startswith(f"{server}/view?query=CONSTRUCT")
    assert view.evaluate("() => window.kzView.drawnCounts()")["nodes"] >= 2
    assert problems == []
    assert all(url.startswith(server) for url in requests), requests  # nothing leaves the server
    view.close()
    page.close()


# -- Issue 14: a site a researcher can find their way in --

PHONE = {"width": 390, "height": 844}


def test_crawl_from_home_finds_no_broken_internal_link(server, browser):
    """Every internal link reachable from / answers 200, and every #anchor exists on its page.

    Pages are fetched through the browser's own HTTP stack (its request context, as a click
    would send them); links to the network view are checked on a sample (each draws a graph).
    """
    from urllib.parse import urljoin, urlsplit

    from tests.test_pages import parse

    context = browser.new_context()
    request = context.request
    todo = ["/"]
    pages: dict[str, set[str]] = {}
    anchors: list[tuple[str, str, str]] = []
    broken: list[str] = []
    views = 0
    while todo:
        path = todo.pop()
        if path in pages:
            continue
        response = request.get(server + path, headers={"Accept": "text/html"})
        pages[path] = set()
        if response.status != 200:
            broken.append(f"{response.status} {path}")
            continue
        if "text/html" not in response.headers.get("content-type", "") or path.startswith("/view"):
            continue
        links = parse(response.text())
        pages[path] = links.ids
        for href in links.hrefs:
            url = urlsplit(urljoin(server + path, href))
            if f"{url.scheme}://{url.netloc}" != server:
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if url.fragment:
                anchors.append((path, target, url.fragment))
            if target.startswith("/view"):
                views += 1
                if views > 4:
                    continue
            if target not in pages:
                todo.append(target)
    for source, target, fragment in anchors:
        if target in pages and fragment not in pages[target]:
            broken.append(f"#{fragment} missing on {target} (linked from {source})")
    context.close()
    assert broken == []
    assert len(pages) > 250  # every entity, evidence graph, topic and project graph
    assert any(t.startswith("/ontology") for _s, t, _f in anchors)


def test_search_box_suggests_by_partial_and_alternative_names(server, browser):
    problems: list[str] = []
    page = watched_page(browser, problems)
    page.goto(f"{server}/index")
    page.fill("#site-search", "venice")
    suggestion = page.locator("#search-suggestions a").first
    suggestion.wait_for(timeout=15000)
    assert "European Commission for Democracy through Law" in suggestion.inner_text()
    assert "Venice Commission" in suggestion.inner_text()  # the name that matched
    page.fill("#site-search", "rogo")
    page.wait_for_selector("#search-suggestions a:has-text('Igor Rogov')", timeout=15000)
    page.locator("#site-search").press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server}/id/igor-rogov", timeout=15000)
    # the form works without suggestions too: a results page
    page.fill("#site-search", "human rights commission")
    page.wait_for_selector("#search-suggestions a:has-text('Commission on Human Rights')")
    page.locator(".search-box button[type=submit]").click()
    page.wait_for_selector("#results")
    assert page.locator("#results a", has_text="Commission on Human Rights").count() >= 1
    assert problems == []
    page.close()


def run_example(page, title: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector(".yasqe .CodeMirror")
    page.locator("button.example", has_text=title).click()
    page.wait_for_selector(".yasr table.dataTable tbody tr", timeout=30000)


def test_shared_query_url_restores_the_query(server, browser):
    from urllib.parse import quote

    query = "SELECT ?post WHERE { kzr:igor-rogov org:holds ?post }"
    problems: list[str] = []
    page = watched_page(browser, problems)
    page.goto(f"{server}/#query={quote(query)}")
    page.wait_for_selector(".yasqe .CodeMirror")
    got = page.evaluate("() => window.kzgraphYasgui.getTab().getQuery()")
    assert "kzr:igor-rogov org:holds ?post" in got
    # YASGUI's own share link opens the same query in a fresh browser
    link = page.evaluate(
        "() => { const y = window.kzgraphYasgui.getTab().getYasqe();"
        " return y.config.createShareableLink(y); }"
    )
    fresh = browser.new_context().new_page()
    fresh.goto(link)
    fresh.wait_for_selector(".yasqe .CodeMirror")
    assert "kzr:igor-rogov org:holds ?post" in fresh.evaluate(
        "() => window.kzgraphYasgui.getTab().getQuery()"
    )
    fresh.context.close()
    # an edited query survives a reload: the address follows the editor
    page.evaluate(
        "q => { window.kzgraphYasgui.getTab().setQuery(q); }", query.replace("?post", "?p")
    )
    page.wait_for_function("() => decodeURIComponent(location.hash).includes('?p WHERE')")
    page.reload()
    page.wait_for_selector(".yasqe .CodeMirror")
    assert "SELECT ?p WHERE" in page.evaluate("() => window.kzgraphYasgui.getTab().getQuery()")
    assert problems == []
    page.close()


def test_result_iris_open_local_pages_and_cells_are_readable(server, browser):
    problems: list[str] = []
    page = watched_page(browser, problems)
    page.goto(f"{server}/")
    run_example(page, "Which reforms changed a number")
    hrefs = page.eval_on_selector_all(".yasr td a.iri", "as => as.map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith("/") for h in hrefs if "kzgraph" in h or h.startswith("/"))
    assert page.locator(".yasr a[href^='https://w3id.org/']").count() == 0
    text = page.locator(".yasr table.dataTable").inner_text()
    assert "^^" not in text and "xsd:integer" not in text  # plain numbers, not typed literals
    assert "20000" in text.replace(",", "")
    assert page.locator(".yasr table.ellipseTable").count() == 0  # nothing cut off by default
    page.locator(".yasr td a.iri").first.click()
    page.wait_for_load_state()
    assert page.url.startswith(f"{server}/id/")
    assert problems == []
    page.close()


def test_result_views_timeline_chart_and_network(server, browser):
    from tests.test_view_browser import READY

    problems: list[str] = []
    page = watched_page(browser, problems)
    page.goto(f"{server}/")
    run_example(page, "What did the 2022 amendment change")
    page.locator(".yasr .select_network").click()
    page.wait_for_selector("#kz-network svg .kz-node", timeout=30000)
    assert page.locator("#kz-network .kz-node").count() >= 5
    assert page.locator("#kz-network a.kz-node[href^='/id/']").count() >= 5
    # the same result in the network view: its IRIs and the facts between them
    with page.context.expect_page() as opened:
        page.locator("#view-button").click()
    view = opened.value
    view.wait_for_function(READY, timeout=30000)
    assert view.evaluate("() => window.kzView.drawnCounts()")["nodes"] >= 2
    view.close()
    page.locator(".yasr .select_table").click()
    run_example(page, "Timeline")
    page.locator(".yasr .select_timeline").click()
    page.wait_for_selector("#kz-timeline .kz-timeline-item")
    dates = page.eval_on_selector_all("#kz-timeline time", "ts => ts.map(t => t.dateTime)")
    assert len(dates) >= 3 and dates == sorted(dates)
    page.evaluate(
        "q => { const t = window.kzgraphYasgui.getTab(); t.setQuery(q); t.getYasqe().query(); }",
        "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n"
        "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s rdf:type ?type }"
        " GROUP BY ?type ORDER BY DESC(?n)",
    )
    page.wait_for_function(
        "() => (window.kzgraphYasgui.getTab().getYasr().results || {getVariables: () => []})"
        ".getVariables().includes('type')",
        timeout=30000,
    )
    page.locator(".yasr .select_chart").click()
    page.wait_for_selector("#kz-chart .kz-bar")
    assert page.locator("#kz-chart .kz-bar").count() >= 3
    assert problems == []
    page.close()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/index",
        "/search?q=commission",
        "/id/igor-rogov",
        "/id/decree-597-amendment",
        "/id/article-new-human-rights-amendment",
        "/evidence/eureporter-p04-rogov-posts",
        "/ontology",
        "/void",
        "/id/igor-rogv",
    ],
)
def test_pages_fit_a_phone_without_sideways_scrolling(server, browser, path):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(server + path)
    if path == "/":
        run_example(page, "Who chairs the Commission")
    page.wait_for_load_state("networkidle")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} is {width} px wide"
    context.close()
