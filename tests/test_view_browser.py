"""The view in a real browser: Debian's Chromium driven by Playwright, one browser per session.

Pages are opened from file:// as a user would open them; every request the page makes is
recorded and must stay on file: (or data:). Screenshots and timings are kept in
tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from graph.explore.network import to_networkx
from graph.explore.view import PHYSICS_LIMIT, View, effective_dates, render, view_for
from graph.namespaces import KZR

from .graphs import (
    HOSTILE_DESCRIPTION,
    HOSTILE_LABEL,
    HOSTILE_QUOTE,
    generated_dataset,
    hostile_dataset,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ROGOV = str(KZR["igor-rogov"])
READY = "() => window.kzView && window.kzView.state.ready"


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


def on_screen(page: object, node: str) -> tuple[float, float]:
    """Where the node is drawn, in page coordinates."""
    x, y = page.evaluate(
        """id => {
            const net = window.kzView.network;
            const p = net.canvasToDOM(net.getPositions([id])[id]);
            const box = document.getElementById('kz-network').getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        node,
    )
    return x, y


def click_node(page: object, node: str) -> None:
    """Bring the node to the middle, then click it where it is drawn."""
    page.evaluate("id => window.kzView.network.focus(id, {scale: 1.4})", node)
    page.mouse.click(*on_screen(page, node))


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
        "#kz-details details blockquote", "els => els.map(e => e.textContent)"
    )
    assert quotes == [e.quote for e in network.nodes[decree]["evidence"]]
    assert page.get_attribute("#kz-details .kz-links a", "href") == decree
    # each connection is followed by the passages that state it
    amended = page.text_content("#kz-details .kz-connections")
    assert "—amended by→ Amendment to Decree 597" in amended


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
    page.uncheck('#kz-kinds input[data-group="claim"]')
    assert drawn(page) == {
        "nodes": total["nodes"] - len(claims),
        "edges": sum(1 for u, v in network.edges() if u not in claims and v not in claims),
    }
    page.check('#kz-kinds input[data-group="claim"]')
    assert drawn(page) == total

    page.click("#kz-tab-filters")
    author = "https://schema.org/author"
    page.uncheck(f'#kz-predicates input[value="{author}"]')
    assert drawn(page) == {
        "nodes": total["nodes"],
        "edges": sum(1 for _u, _v, k in network.edges(keys=True) if k != author),
    }
    page.check(f'#kz-predicates input[value="{author}"]')

    limit = "2021-12-31"
    when = effective_dates(network)
    later = {n for n, w in when.items() if w["when"] > limit}
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


AMENDMENT = str(KZR["decree-597-amendment"])
THRESHOLD = str(KZR["lower-party-registration-threshold"])
OPINION = str(KZR["article-regional-crisis-opportunity"])
CURATORS = str(KZR["kzgraph-project"])


def camera(page: object) -> dict:
    return page.evaluate(
        "() => ({scale: window.kzView.network.getScale(),"
        " at: window.kzView.network.getViewPosition()})"
    )


def moved(before: dict, after: dict) -> float:
    """The largest distance any node moved, in canvas units."""
    return max(
        abs(before[n]["x"] - after[n]["x"]) + abs(before[n]["y"] - after[n]["y"]) for n in before
    )


def set_slider(page: object, iso: str | None) -> None:
    page.evaluate("iso => window.kzView.setDate(iso)", iso)


def test_filters_and_the_date_hide_and_show_without_moving_anything(open_view, whole):
    page = open_view(whole).page
    positions, view = page.evaluate("() => window.kzView.positions()"), camera(page)
    page.uncheck('#kz-kinds input[data-group="claim"]')
    page.check('#kz-kinds input[data-group="claim"]')
    page.click('#kz-legend-panel [data-none="kinds"]')
    assert drawn(page)["nodes"] == 0
    for group in ("legal", "person", "measure"):
        page.check(f'#kz-kinds input[data-group="{group}"]')
    page.click('#kz-legend-panel [data-all="kinds"]')
    page.click("#kz-tab-filters")
    set_slider(page, "2021-12-31")
    set_slider(page, None)
    page.uncheck(f'#kz-claimants input[value="{CURATORS}"]')
    page.check(f'#kz-claimants input[value="{CURATORS}"]')
    page.uncheck("#kz-undated")
    page.check("#kz-undated")
    after = page.evaluate("() => window.kzView.positions()")
    assert moved(positions, after) < 0.01  # nobody piled up in the centre
    assert camera(page) == view  # and no re-fit nobody asked for
    # Fit re-fits when asked, to what is shown
    page.click("#kz-tab-legend")
    page.click('#kz-legend-panel [data-none="kinds"]')
    page.check('#kz-kinds input[data-group="event"]')
    page.click("#kz-fit")
    assert camera(page) != view
    span = page.evaluate(
        """() => {
            const v = window.kzView, net = v.network, box = net.body.container;
            const pts = Array.from(v.state.shownNodes).map(id => net.canvasToDOM(
                net.getPositions([id])[id]));
            const xs = pts.map(p => p.x), ys = pts.map(p => p.y);
            return {x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys),
                    y1: Math.max(...ys), w: box.clientWidth, h: box.clientHeight};
        }"""
    )
    # the events alone fill the window, and all of them are in it
    assert (
        span["x0"] >= 0 and span["x1"] <= span["w"] and 0 <= span["y0"] <= span["y1"] <= span["h"]
    )
    assert max((span["x1"] - span["x0"]) / span["w"], (span["y1"] - span["y0"]) / span["h"]) > 0.7
    assert moved(positions, page.evaluate("() => window.kzView.positions()")) < 0.01


def test_claimant_and_source_filters(open_view, whole, network):
    page = open_view(whole).page
    page.click("#kz-tab-filters")

    def expected(hidden) -> dict[str, int]:
        """What a filter leaves: facts with no passage, or one it does not hide."""

        def kept(evidence) -> bool:
            return not evidence or any(not hidden(ev) for ev in evidence)

        nodes = {n for n, d in network.nodes(data=True) if kept(d["evidence"])}
        edges = [
            1
            for u, v, d in network.edges(data=True)
            if u in nodes and v in nodes and kept(d["evidence"])
        ]
        return {"nodes": len(nodes), "edges": len(edges)}

    page.uncheck(f'#kz-claimants input[value="{CURATORS}"]')
    assert drawn(page) == expected(lambda ev: ev.curated)
    page.check(f'#kz-claimants input[value="{CURATORS}"]')
    page.uncheck(f'#kz-sources input[value="{OPINION}"]')
    assert drawn(page) == expected(lambda ev: ev.source == OPINION)
    shown = page.evaluate(
        """() => Array.from(window.kzView.state.shownEdges).map(id => {
             const e = window.kzView.edges.get(id); return [e.from, e.kz.p, e.to]; })"""
    )
    includes = "https://w3id.org/kzgraph/ontology#includesMeasure"
    amends = "http://data.europa.eu/eli/ontology#amends"
    assert [AMENDMENT, includes, THRESHOLD] not in shown  # the opinion piece alone says so
    assert [AMENDMENT, amends, str(KZR["decree-597"])] in shown  # both articles say so
    page.click('#kz-filters-panel [data-all="sources"]')
    assert drawn(page) == {"nodes": network.number_of_nodes(), "edges": network.number_of_edges()}


def test_on_the_last_day_of_2021_the_amendment_its_measures_and_claims_are_hidden(
    open_view, whole, network
):
    page = open_view(whole).page
    set_slider(page, "2021-12-31")
    shown = set(page.evaluate("() => Array.from(window.kzView.state.shownNodes)"))
    includes = "https://w3id.org/kzgraph/ontology#includesMeasure"
    measures = {v for _u, v, k in network.out_edges(AMENDMENT, keys=True) if k == includes}
    about = {u for u, _v, k in network.in_edges(AMENDMENT, keys=True) if k.endswith("about")}
    assert measures and about
    assert not (measures | about | {AMENDMENT}) & shown
    assert str(KZR["decree-597"]) in shown and ROGOV in shown  # dated 2021, and undated
    page.click("#kz-tab-filters")
    assert page.locator("#kz-tick-marks span").count() >= 5  # ticks for the dated events
    page.uncheck("#kz-undated")
    assert ROGOV not in page.evaluate("() => Array.from(window.kzView.state.shownNodes)")
    # the list of dated events moves the slider to one
    page.click("#kz-dated-events summary")
    signed = network.nodes[str(KZR["decree-597"])]["date"]
    page.click('#kz-tick-list button:text-is("2021-06 Decree 597")')  # as precise as stated
    assert page.evaluate("() => window.kzView.state.dateLimit") == signed
    assert page.text_content("#kz-date-label").startswith(signed)
    assert AMENDMENT not in page.evaluate("() => Array.from(window.kzView.state.shownNodes)")
    # the panel says where an undated item's date comes from
    set_slider(page, None)
    page.evaluate("id => window.kzView.select(id, false)", THRESHOLD)
    page.click("#kz-tab-filters")
    page.check("#kz-undated")
    page.evaluate("id => window.kzView.select(id, false)", THRESHOLD)
    assert "the date of Amendment to Decree 597" in page.text_content("#kz-details .kz-when")


def test_labels_are_readable_and_never_collide(open_view, whole):
    page = open_view(whole).page
    labels = page.evaluate("() => window.kzView.labels()")
    assert labels["drawn"] >= 20  # the best connected are named at once, at 12 px

    def overlaps(boxes):
        return [
            (a, b)
            for i, a in enumerate(boxes)
            for b in boxes[i + 1 :]
            if a[0] < b[0] + b[2]
            and b[0] < a[0] + a[2]
            and a[1] < b[1] + b[3]
            and b[1] < a[1] + a[3]
        ]

    assert overlaps(labels["boxes"]) == []
    page.click("#kz-zoom-in")
    page.click("#kz-zoom-in")
    page.wait_for_timeout(500)
    closer = page.evaluate("() => window.kzView.labels()")
    assert overlaps(closer["boxes"]) == []


def test_zoom_fit_reset_buttons_and_keyboard(open_view, whole, network):
    page = open_view(whole).page
    start = camera(page)["scale"]
    page.click("#kz-zoom-in")
    page.wait_for_timeout(350)
    assert camera(page)["scale"] > start * 1.2
    page.click("#kz-zoom-out")
    page.click("#kz-zoom-out")
    page.wait_for_timeout(350)
    assert camera(page)["scale"] < start
    page.uncheck('#kz-kinds input[data-group="claim"]')
    page.click("#kz-reset")
    assert drawn(page) == {
        "nodes": network.number_of_nodes(),
        "edges": network.number_of_edges(),
    }
    assert abs(camera(page)["scale"] - start) < 0.02  # fitted again
    # the keyboard: n / p step through the entities shown, + zooms, 0 fits, Escape clears
    page.focus("#kz-network")
    page.keyboard.press("n")
    first = page.evaluate("() => window.kzView.state.selected")
    page.keyboard.press("n")
    second = page.evaluate("() => window.kzView.state.selected")
    assert first and second and first != second
    page.keyboard.press("p")
    assert page.evaluate("() => window.kzView.state.selected") == first
    assert page.text_content("#kz-details h3") == network.nodes[first]["label"]
    page.wait_for_timeout(500)
    page.keyboard.press("0")
    before = camera(page)["scale"]
    page.keyboard.press("+")
    page.wait_for_timeout(350)
    assert camera(page)["scale"] > before
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Escape")
    assert page.evaluate("() => window.kzView.state.selected") is None
    page.keyboard.press("/")
    assert page.evaluate("() => document.activeElement.id") == "kz-search"


def test_the_panel_groups_evidence_by_connection_and_states_number_changes(open_view, whole):
    page = open_view(whole).page
    page.evaluate("id => window.kzView.select(id, true)", THRESHOLD)
    facts = page.text_content("#kz-details dl")
    assert "minimum number of members required to register a new political party" in facts
    assert "20,000 → 5,000" in facts and "old value" not in facts
    items = page.eval_on_selector_all(
        "#kz-details .kz-connections > li", "els => els.map(e => e.textContent)"
    )
    (from_amendment,) = [t for t in items if t.startswith("←includes measure— Amendment")]
    assert "stated by one article only" in from_amendment
    assert "Igor Rogov (author's statement), opinion piece ¶9, the only source" in from_amendment
    # what is not connected to it fades; its neighbours stay bright; nothing moved
    faded = page.evaluate(
        """id => window.kzView.nodes.get().filter(n => n.opacity === 0.2).map(n => n.id)"""
    )
    assert AMENDMENT not in faded and THRESHOLD not in faded and ROGOV in faded
    # links out have their own place (issue 16 adds match and status to each)
    assert page.locator('#kz-details [data-kz-slot="external-links"]').count() == 1
    page.focus("#kz-network")
    page.keyboard.press("Escape")
    assert page.evaluate("() => window.kzView.nodes.get().filter(n => n.opacity < 1).length") == 0


def test_cite_this_fact(open_view, whole):
    page = open_view(whole).page
    page.evaluate("id => window.kzView.select(id, true)", THRESHOLD)
    item = page.locator("#kz-details .kz-connections > li", has_text="←includes measure— Amend")
    item.locator(".kz-cite-button").first.click()
    text = item.locator("textarea").input_value()
    assert "lowering the threshold for new political parties from 20,000 to 5,000" in text
    assert "— Igor Rogov, in “Regional Crisis as an Opportunity" in text
    assert "paragraph 9" in text and f"Article: <{OPINION}>" in text
    assert f"Entity: <{THRESHOLD}>" in text and f"Entity: <{AMENDMENT}>" in text
    assert "Fact: Amendment to Decree 597 —includes measure→ Lower membership" in text
    assert "Evidence: <https://w3id.org/kzgraph/evidence/opinion-p09-party-threshold>" in text


def test_export_png_and_csv_of_what_is_shown(open_view, whole, network, tmp_path):
    opened = open_view(whole)
    page = opened.page
    with page.expect_download() as download:
        page.click("#kz-png")
    png = tmp_path / "view.png"
    download.value.save_as(png)
    assert download.value.suggested_filename == "kzgraph-whole-graph.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000

    page.uncheck('#kz-kinds input[data-group="claim"]')
    with page.expect_download() as download:
        page.click("#kz-csv")
    path = tmp_path / "facts.csv"
    download.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert list(rows[0]) == [
        "subject", "subject_iri", "relation", "relation_iri", "object", "object_iri",
        "support", "claimant", "source", "source_iri", "paragraph", "quote", "evidence",
    ]  # fmt: skip
    claims = {n for n, d in network.nodes(data=True) if d["group"] == "claim"}
    assert not {r["subject_iri"] for r in rows} & claims  # only what is shown
    threshold = [r for r in rows if r["subject_iri"] == AMENDMENT and r["object_iri"] == THRESHOLD]
    assert [(r["claimant"], r["paragraph"], r["support"]) for r in threshold] == [
        ("Igor Rogov", "9", "stated by one article only")
    ]
    assert threshold[0]["quote"].startswith("Simultaneously, they are focused on opening up")
    shown_edges = drawn(page)["edges"]
    edge_rows = {
        (r["subject_iri"], r["relation_iri"], r["object_iri"]) for r in rows if r["relation_iri"]
    }
    assert len(edge_rows) == shown_edges
    assert opened.errors == []
    offline(opened)


PHONE = {"width": 390, "height": 844}


def test_phone_layout(browser, whole, tmp_path):
    path = tmp_path / "view.html"
    whole.save(path)
    page = browser.new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    try:
        opened = watch(page)
        page.goto(path.as_uri())
        page.wait_for_function(READY, timeout=60_000)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        stage = page.locator("#kz-network").bounding_box()
        assert stage["width"] >= 370 and stage["height"] >= 320  # a usable picture
        side = page.locator("#kz-side").bounding_box()
        assert side["y"] >= stage["y"] + stage["height"] - 1  # the panel is below the picture
        assert page.locator("#kz-tab-details").is_visible()
        page.evaluate("id => window.kzView.select(id, true)", THRESHOLD)
        page.wait_for_function(f"() => window.kzView.state.focused === {json.dumps(THRESHOLD)}")
        assert page.locator("#kz-details h3").is_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        size = page.evaluate(
            "() => parseFloat(getComputedStyle(document.querySelector('#kz-details p')).fontSize)"
        )
        assert size >= 13  # readable without zooming
        wide = page.evaluate(
            """w => Array.from(document.querySelectorAll('#kz-side *'))
                 .filter(e => e.getBoundingClientRect().right > w + 1).length""",
            PHONE["width"],
        )
        assert wide == 0
        page.click("#kz-tab-filters")
        assert page.locator("#kz-date").is_visible()
        assert opened.errors == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "view-phone.png"), full_page=True)
    finally:
        page.close()


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
    # the tooltip, built on first hover, shows the label as text
    x, y = on_screen(page, page.evaluate("() => window.kzView.state.selected"))
    page.mouse.move(x + 1, y + 1)
    page.mouse.move(x, y)
    page.wait_for_selector("div.vis-tooltip", state="visible")
    assert HOSTILE_LABEL in page.text_content("div.vis-tooltip")
    assert page.evaluate("() => document.querySelectorAll('div.vis-tooltip *').length") == (
        page.evaluate("() => document.querySelectorAll('div.vis-tooltip .kz-tip *').length") + 1
    )  # our own tip and its parts, nothing the label made
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
