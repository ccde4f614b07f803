"""Screenshots of the web pages, at 1440 px and at 390 px (a phone), into docs/img/.

Run from the repository root (needs Debian's chromium and the ``test`` extra for Playwright)::

    python docs/screenshots/pages.py

It starts ``kzgraph serve`` on a free loopback port, opens each page in headless Chromium,
and writes ``docs/img/pages-<page>-<width>.png``; the server stops when it is done.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "docs" / "img"
WIDTHS = {1440: 900, 390: 844}
#: name -> (path, what to wait for, script run before the picture)
PAGES: dict[str, tuple[str, str, str | None]] = {
    "query": ("/", ".yasr table.dataTable", "amendment-changes"),
    "query-timeline": ("/", ".kz-timeline", "timeline"),
    "search": ("/search?q=commission", "#results", None),
    "suggestions": ("/index", "#search-suggestions a", "type:venice"),
    "entity": ("/id/igor-rogov", "#claims", None),
    "measure": ("/id/lower-party-registration-threshold", "#changes", None),
    "source": ("/id/article-new-human-rights-amendment", "#source-document", None),
    "index": ("/index", ".kind-group", None),
    "ontology": ("/ontology#alignedWith", "#alignedWith", None),
    "void": ("/void", "#subsets", None),
    "not-found": ("/id/igor-rogv", "#did-you-mean", None),
}


# the server and the browser the tests and benchmarks start, in one home (tests/support)
sys.path.insert(0, str(REPO))
from tests.support.browser import chromium  # noqa: E402
from tests.support.servers import kzgraph_serve  # noqa: E402


def prepare(page: object, step: str | None) -> None:
    """Run an example query or type into the search box before the picture."""
    if step is None:
        return
    if step.startswith("type:"):
        page.fill("#site-search", step[5:])  # type: ignore[attr-defined]
        return
    page.wait_for_selector(".yasqe .CodeMirror")  # type: ignore[attr-defined]
    page.locator(f"button.example[data-name='{step}']").click()  # type: ignore[attr-defined]
    page.wait_for_selector(".yasr table.dataTable")  # type: ignore[attr-defined]
    if step == "timeline":
        page.locator(".yasr .select_timeline").click()  # type: ignore[attr-defined]
    page.locator("#example-description").scroll_into_view_if_needed()  # type: ignore[attr-defined]


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with kzgraph_serve() as server, chromium() as browser:
        for width, height in WIDTHS.items():
            for name, (path, ready, step) in PAGES.items():
                context = browser.new_context(viewport={"width": width, "height": height})
                page = context.new_page()
                page.goto(server.base + path)
                prepare(page, step)
                page.wait_for_selector(ready, timeout=30000)
                target = OUT / f"pages-{name}-{width}.png"
                page.screenshot(path=str(target))
                print(target.relative_to(REPO))
                context.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
