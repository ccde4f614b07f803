"""The query page and an entity page in headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sparql_servers import kzgraph_server

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install -y chromium"
    ),
]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with kzgraph_server() as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


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
