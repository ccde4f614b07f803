"""The query catalogue: ``graph/sparql/queries/*.rq``, each introduced by header comments.

A header is the run of ``#`` lines at the top of the file::

    # title: Decrees and who signed them
    # description: Every decree with its signatory and date,
    #   newest first.

``description`` may continue on the following ``#`` lines (until another ``key:`` line). The
same header format is used by the quality checks in ``ontology/checks/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from graph.errors import InputError
from graph.inputs.locations import queries_dir

_KEY = re.compile(r"#\s*([A-Za-z][\w-]*)\s*:\s?(.*)$")


@dataclass(frozen=True)
class CatalogueQuery:
    """One SPARQL file with its header."""

    name: str
    title: str
    description: str
    text: str
    path: Path


def parse_header(text: str) -> dict[str, str]:
    """The ``key: value`` pairs of the leading comment block (continuation lines joined)."""
    fields: dict[str, list[str]] = {}
    key: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            if fields:
                break  # a blank line ends the header
            continue
        if not line.startswith("#"):
            break
        match = _KEY.match(line)
        if match and match.group(1).lower() not in fields:
            key = match.group(1).lower()
            fields[key] = [match.group(2).strip()]
        elif key is not None:
            rest = line.lstrip("#").strip()
            if rest:
                fields[key].append(rest)
    return {k: " ".join(v for v in vs if v) for k, vs in fields.items()}


def read_query(path: Path) -> CatalogueQuery:
    """Read one ``.rq`` file; the name is the file stem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read query: {exc.strerror or exc}", path) from None
    header = parse_header(text)
    return CatalogueQuery(
        name=path.stem,
        title=header.get("title", ""),
        description=header.get("description", ""),
        text=text,
        path=path,
    )


def list_queries(directory: Path | None = None) -> list[CatalogueQuery]:
    """Every query of the catalogue, sorted by name."""
    folder = directory if directory is not None else queries_dir()
    return [read_query(p) for p in sorted(folder.glob("*.rq"))]


def get_query(name: str, directory: Path | None = None) -> CatalogueQuery:
    """The catalogue query called ``name`` (file stem, ``.rq`` optional)."""
    wanted = name.removesuffix(".rq")
    for query in list_queries(directory):
        if query.name == wanted:
            return query
    known = ", ".join(q.name for q in list_queries(directory)) or "none"
    raise InputError(f"no query named {wanted!r} in the catalogue (known: {known})")
