"""The view in a real browser: Debian's Chromium driven by Playwright, one browser per session.

Pages are opened from file:// as a user would open them; every request the page makes is
recorded and must stay on file: (or data:). Screenshots and timings are kept in
tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from graph.namespaces import KZR
from graph.network import to_networkx
from graph.view import PHYSICS_LIMIT, View, render, view_for

from .graphs import (
    HOSTILE_DESCRIPTION,
    HOSTILE_LABEL,
    HOSTILE_QUOTE,
    generated_dataset,
    hostile_dataset,
)

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ROGOV = str(KZR["igor-rogov"])
READY = "() => window.kzView && window.kzView.state.ready"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install -y chromium"
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@dataclass
class Opened:
    page: object
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    seconds: float = 0.0


def watch(page: object) -> Opened:
    opened = Opened(page)
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: opened.errors.append(str(e)))
    page.on("request", lambda r: opened.requests.append(r.url))

    def dialog(d: object) -> None:
        opened.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    return opened


@pytest.fixture
def open_view(browser, tmp_path) -> Iterator[object]:
    pages = []

    def open_(view: View, name: str = "view.html", timeout: float = 60_000) -> Opened:
        path = tmp_path / name
        view.save(path)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        pages.append(page)
        opened = watch(page)
        started = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_function(READY, timeout=timeout)
        opened.seconds = time.perf_counter() - started
        return opened

    yield open_
    for page in pages:
        page.close()


def offline(opened: Opened) -> None:
    assert opened.requests, "the page itself is a request"
    leaving = [u for u in opened.requests if not u.startswith(("file:", "data:"))]
    assert leaving == []


def drawn(page: object) -> dict[str, int]:
    return page.evaluate("() => window.kzView.drawnCounts()")


def click_node(page: object, node: str) -> None:
    """Bring the node to the middle, then click it where it is drawn."""
    page.evaluate("id => window.kzView.network.focus(id, {scale: 1.4})", node)
    x, y = page.evaluate(
        """id => {
            const net = window.kzView.network;
            const p = net.canvasToDOM(net.getPositions([id])[id]);
            const box = document.getElementById('kz-network').getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        node,
    )
    page.mouse.click(x, y)


@pytest.fixture(scope="module")
def network(dataset):
    return to_networkx(dataset)


@pytest.fixture(scope="module")
def whole(network):
    return render(network, title="kzgraph: whole graph")


def test_whole_graph_loads_offline_and_draws_every_node_and_edge(open_view, whole, network):
    opened = open_view(whole)
    offline(opened)
    assert opened.errors == []
    assert drawn(opened.page) == {
        "nodes": network.number_of_nodes(),
        "edges": network.number_of_edges(),
    }
    # physics settled, then stopped
    assert opened.page.evaluate("() => window.kzView.network.physics.physicsEnabled") is False
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "view.png"
    opened.page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000


def test_searching_rogov_focuses_igor_rogov(open_view, whole):
    page = open_view(whole).page
    page.fill("#kz-search", "Rogov")
    page.press("#kz-search", "Enter")
    page.wait_for_function(f"() => window.kzView.state.selected === {json.dumps(ROGOV)}")
    assert page.evaluate("() => window.kzView.network.getSelectedNodes()") == [ROGOV]
    assert page.text_content("#kz-details h3") == "Igor Rogov"
    page.wait_for_function(f"() => window.kzView.state.focused === {json.dumps(ROGOV)}")
    gap = page.evaluate(
        """id => {
            const net = window.kzView.network;
            const at = net.getPositions([id])[id], view = net.getViewPosition();
            return Math.hypot(at.x - view.x, at.y - view.y);
        }""",
        ROGOV,
    )
    assert gap < 1  # centred on it
    page.fill("#kz-search", "no such thing at all")
    page.press("#kz-search", "Enter")
    assert "Nothing is called" in page.text_content("#kz-status")


def test_clicking_a_node_shows_its_type_dates_and_sources(open_view, whole, network):
    decree = str(KZR["decree-597"])
    page = open_view(whole).page
    click_node(page, decree)
    page.wait_for_function(f"() => window.kzView.state.selected === {json.dumps(decree)}")
    panel = page.text_content("#kz-details")
    assert "Decree 597" in panel and "Decree" in page.text_content("#kz-details .kz-kind")
    assert "date signed" in panel and "2021-06" in panel
    quotes = page.eval_on_selector_all(
        "#kz-details blockquote", "els => els.map(e => e.textContent)"
    )
    assert quotes == [e.quote for e in network.nodes[decree]["evidence"]]
    assert page.get_attribute("#kz-details .kz-links a", "href") == decree


def test_clicking_an_edge_shows_the_sources_of_that_triple(open_view, whole, network):
    amendment, decree = str(KZR["decree-597-amendment"]), str(KZR["decree-597"])
    amends = "http://data.europa.eu/eli/ontology#amends"
    page = open_view(whole).page
    edge = page.evaluate(
        """([a, b, p]) => window.kzView.edges.get(
            {filter: e => e.from === a && e.to === b && e.kz.p === p})[0].id""",
        [amendment, decree, amends],
    )
    # the label sits half-way along the edge: click it
    x, y = page.evaluate(
        """id => {
            const net = window.kzView.network;
            const mid = net.body.edges[id].edgeType.getPoint(0.5);
            net.moveTo({position: mid, scale: 1.6});
            const p = net.canvasToDOM(mid);
            const box = document.getElementById('kz-network').getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        edge,
    )
    page.mouse.click(x, y)
    page.wait_for_selector("#kz-details h3 >> text=—amends→")
    quotes = page.eval_on_selector_all(
        "#kz-details blockquote", "els => els.map(e => e.textContent)"
    )
    expected = [e.quote for e in network.edges[amendment, decree, amends]["evidence"]]
    assert quotes == expected and len(expected) == 2


def test_kind_relation_and_date_filters(open_view, whole, network):
    page = open_view(whole).page
    total = {"nodes": network.number_of_nodes(), "edges": network.number_of_edges()}

    claims = {n for n, d in network.nodes(data=True) if d["kind"] == "Claim"}
    page.uncheck('#kz-kinds input[value="Claim"]')
    assert drawn(page) == {
        "nodes": total["nodes"] - len(claims),
        "edges": sum(1 for u, v in network.edges() if u not in claims and v not in claims),
    }
    page.check('#kz-kinds input[value="Claim"]')
    assert drawn(page) == total

    author = "https://schema.org/author"
    page.uncheck(f'#kz-predicates input[value="{author}"]')
    assert drawn(page) == {
        "nodes": total["nodes"],
        "edges": sum(1 for _u, _v, k in network.edges(keys=True) if k != author),
    }
    page.check(f'#kz-predicates input[value="{author}"]')

    limit = "2021-12-31"
    later = {n for n, d in network.nodes(data=True) if d["date"] and d["date"] > limit}
    assert later  # the amendment, the address, the unrest... are dated 2022
    day = (date.fromisoformat(limit) - date(1970, 1, 1)).days
    page.eval_on_selector(
        "#kz-date",
        "(el, day) => { el.value = String(day); el.dispatchEvent(new Event('input')); }",
        day,
    )
    assert drawn(page) == {
        "nodes": total["nodes"] - len(later),
        "edges": sum(1 for u, v in network.edges() if u not in later and v not in later),
    }
    assert page.text_content("#kz-date-label").startswith(limit)


def test_script_in_labels_and_quotes_executes_nothing(open_view):
    graph = to_networkx(hostile_dataset())
    opened = open_view(render(graph))
    page = opened.page
    page.fill("#kz-search", "Evil")
    page.press("#kz-search", "Enter")
    page.wait_for_function("() => window.kzView.state.selected !== null")
    assert page.text_content("#kz-details h3") == HOSTILE_LABEL  # shown as text
    assert HOSTILE_DESCRIPTION in page.text_content("#kz-details")
    assert page.text_content("#kz-details blockquote") == HOSTILE_QUOTE
    page.hover("#kz-network")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__pwned") is None
    injected = "#kz-details script, #kz-details img, #kz-details b"
    assert page.evaluate(f"() => document.querySelectorAll({injected!r}).length") == 0
    assert opened.dialogs == [] and opened.errors == []
    offline(opened)


def test_focus_view_opens_with_the_entity_selected(open_view, dataset):
    page = open_view(view_for(dataset, focus="kzr:igor-rogov", depth=1)).page
    assert page.evaluate("() => window.kzView.state.selected") == ROGOV
    assert page.text_content("#kz-details h3") == "Igor Rogov"


def test_notebook_iframe_renders_the_view(browser, whole, network):
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    opened = watch(page)
    try:
        page.set_content(f"<!DOCTYPE html><html><body>{whole._repr_html_()}</body></html>")
        frame = page.frames[1]
        frame.wait_for_function(READY, timeout=60_000)
        counts = frame.evaluate("() => window.kzView.drawnCounts()")
        assert counts == {"nodes": network.number_of_nodes(), "edges": network.number_of_edges()}
        assert opened.errors == []
        assert [u for u in opened.requests if not u.startswith(("about:", "data:"))] == []
    finally:
        page.close()


@pytest.mark.slow
@pytest.mark.parametrize("size", [500, 5000])
def test_generated_graph_finishes_loading(open_view, size):
    ds = generated_dataset(size)
    started = time.perf_counter()
    graph = to_networkx(ds)
    converted = time.perf_counter() - started
    started = time.perf_counter()
    view = render(graph)
    rendered = time.perf_counter() - started
    opened = open_view(view, name=f"generated-{size}.html", timeout=120_000)
    assert opened.errors == []
    offline(opened)
    assert drawn(opened.page) == {"nodes": size, "edges": graph.number_of_edges()}
    physics = opened.page.evaluate("() => window.kzView.network.physics.physicsEnabled")
    assert physics is False
    assert (size > PHYSICS_LIMIT) is (
        opened.page.evaluate("() => window.kzView.meta.physics") is False
    )
    # the page answers at once: no layout still running on the main thread
    started = time.perf_counter()
    assert opened.page.evaluate("() => window.kzView.find('Person 5')") is not None
    answered = time.perf_counter() - started
    assert answered < 2
    ARTIFACTS.mkdir(exist_ok=True)
    opened.page.screenshot(path=str(ARTIFACTS / f"view-{size}.png"))
    timings = ARTIFACTS / "view-timings.json"
    record = json.loads(timings.read_text()) if timings.exists() else {}
    record[str(size)] = {
        "nodes": size,
        "edges": graph.number_of_edges(),
        "convert_s": round(converted, 3),
        "render_s": round(rendered, 3),
        "html_mb": round(len(view.html) / 1e6, 2),
        "open_to_ready_s": round(opened.seconds, 3),
    }
    timings.write_text(json.dumps(record, indent=2) + "\n")
