"""Take the network view's screenshots for the docs: ``python docs/screenshots/view.py``.

Renders the project's own graph, opens it in Debian's Chromium (headless, through Playwright)
at a laptop's width (1440 px) and a phone's (390 px), and writes:

- ``docs/img/view.png``: the whole graph as it opens, with Decree 597's amendment selected;
- ``docs/img/view-measure.png``: the party-threshold measure, its connections and sources;
- ``docs/img/view-phone.png`` and ``docs/img/view-phone-panel.png``: the same on a phone, the
  picture and then the panel below it.

Nothing is fetched; the pages are written to a temporary directory.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "img"
READY = "() => window.kzView && window.kzView.state.ready"
AMENDMENT = "https://w3id.org/kzgraph/id/decree-597-amendment"
MEASURE = "https://w3id.org/kzgraph/id/lower-party-registration-threshold"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write (default {OUT})")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from graph.explore.view import view_for
    from graph.inputs.reading import load_graph
    from tests.support.browser import chromium

    ds = load_graph()
    whole = view_for(ds)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, chromium() as browser:
        page_file = whole.save(Path(tmp) / "view.html")
        laptop = browser.new_page(viewport={"width": 1440, "height": 900})
        laptop.goto(page_file.as_uri())
        laptop.wait_for_function(READY, timeout=60_000)
        laptop.evaluate("id => window.kzView.select(id, false)", AMENDMENT)
        laptop.wait_for_timeout(300)
        laptop.screenshot(path=str(args.out / "view.png"))
        laptop.evaluate("id => window.kzView.select(id, true)", MEASURE)
        laptop.wait_for_function(f"() => window.kzView.state.focused === {MEASURE!r}")
        laptop.screenshot(path=str(args.out / "view-measure.png"))

        phone = browser.new_page(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
        )
        phone.goto(page_file.as_uri())
        phone.wait_for_function(READY, timeout=60_000)
        phone.screenshot(path=str(args.out / "view-phone.png"))
        phone.evaluate("id => window.kzView.select(id, true)", MEASURE)
        phone.wait_for_function(f"() => window.kzView.state.focused === {MEASURE!r}")
        phone.evaluate("() => document.getElementById('kz-side').scrollIntoView()")
        phone.screenshot(path=str(args.out / "view-phone-panel.png"))
    for name in ("view.png", "view-measure.png", "view-phone.png", "view-phone-panel.png"):
        print(args.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
