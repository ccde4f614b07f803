"""The query page's examples: the catalogue as a reader first meets it.

The header comment goes (the page shows the title and description beside the editor; the
editor folds the PREFIX lines), and a query that calls ``SERVICE`` on an endpoint this server
may not call is left out rather than offered only to fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_SERVICE = re.compile(r"\bSERVICE\s+(?:SILENT\s+)?<([^>]*)>", re.IGNORECASE)


def without_header(text: str) -> str:
    """``text`` without its leading ``#`` header (the page shows the title and description)."""
    lines = text.splitlines()
    while lines and (lines[0].lstrip().startswith("#") or not lines[0].strip()):
        lines.pop(0)
    return "\n".join(lines) + "\n"


def services(text: str) -> list[str]:
    """The endpoints a query calls with SERVICE."""
    return _SERVICE.findall(text)


def example_queries(
    catalogue: Iterable[Mapping[str, str]],
    allowed_services: Iterable[str],
) -> list[dict[str, Any]]:
    """The catalogue entries this server can run, as the query page shows them."""
    allowed = set(allowed_services)
    out = []
    for q in catalogue:
        if any(endpoint not in allowed for endpoint in services(q["text"])):
            continue
        out.append(
            {
                "name": q["name"],
                "title": q["title"],
                "description": q["description"],
                "query": without_header(q["text"]),
            }
        )
    return out
