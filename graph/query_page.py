"""The query page's examples: the catalogue as a reader first meets it.

Predeclared ``PREFIX`` lines are dropped (the endpoint declares them, so a query's first screen
is the query), and a query that calls ``SERVICE`` on an endpoint this server may not call is
left out rather than offered only to fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_PREFIX_LINE = re.compile(r"^\s*PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>\s*$", re.IGNORECASE)
_SERVICE = re.compile(r"\bSERVICE\s+(?:SILENT\s+)?<([^>]*)>", re.IGNORECASE)


def without_predeclared_prefixes(text: str, prefixes: Mapping[str, str]) -> str:
    """``text`` without the PREFIX lines that declare exactly what the endpoint predeclares."""
    kept = []
    for line in text.splitlines():
        match = _PREFIX_LINE.match(line)
        if match and prefixes.get(match.group(1) or "") == match.group(2):
            continue
        kept.append(line)
    body = "\n".join(kept)
    # the blank line that separated the prefixes from the query goes with them
    return re.sub(r"(\A(?:#[^\n]*\n)*)\n+", r"\1", body) + "\n"


def services(text: str) -> list[str]:
    """The endpoints a query calls with SERVICE."""
    return _SERVICE.findall(text)


def example_queries(
    catalogue: Iterable[Mapping[str, str]],
    allowed_services: Iterable[str],
    prefixes: Mapping[str, str],
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
                "query": without_predeclared_prefixes(q["text"], prefixes),
            }
        )
    return out
