"""Rows written out as text: aligned columns for a reader, CSV and JSON for other programs.

The commands that answer with a table (``kzgraph central``, ``timeline``, ``paths``, ``stats``,
``query``) and the libraries behind them render through these, so a table looks the same
wherever it is printed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any


def aligned_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: Collection[int] = ()
) -> str:
    """Columns padded to their widest cell, two spaces apart, with a rule under the header.

    Args:
        header: the column titles.
        rows: the cells, as text, one sequence per row (as long as the header).
        right: the indexes of the columns aligned to the right (numbers); the others are
            aligned to the left. Trailing spaces are dropped from every line.
    """
    widths = [len(title) for title in header]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(w) if c in right else cell.ljust(w)
            for c, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    lines = [line(header), "  ".join("-" * w for w in widths), *(line(row) for row in rows)]
    return "\n".join(lines) + "\n"


def to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows of flat dicts as CSV, the keys of the first as the header (lists joined with " | ");
    empty when there are no rows."""
    if not rows:
        return ""
    import csv  # here, not at the top: a table on a terminal (the fast query path) needs neither
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: " | ".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()}
        )
    return out.getvalue()


def to_json(data: Any) -> str:
    """``data`` as indented JSON, non-ASCII characters kept as they are, ending in a newline."""
    import json

    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
