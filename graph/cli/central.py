"""``kzgraph central``: the entities at the centre of the graph, by three measures."""

from __future__ import annotations

import argparse
from typing import Any

from graph.cli.options import add_input_options, add_subcommand, emit
from graph.terminal import printable

NAME = "central"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "rank entities by degree, betweenness and PageRank",
        "Rank the entities of the graph (literal values, provenance and ontology left out) by\n"
        "PageRank (default), betweenness or degree. Direction is ignored: degree counts\n"
        "distinct neighbours, betweenness is the share of shortest paths that pass through\n"
        "an entity, PageRank weighs each link by the number of statements behind it.",
        "kzgraph central --top 10\nkzgraph central --by betweenness --format csv -o central.csv",
    )
    parser.add_argument(
        "--top", metavar="N", type=int, default=15, help="show the first N (default: 15; 0: all)"
    )
    parser.add_argument(
        "--by",
        choices=["pagerank", "betweenness", "degree"],
        default="pagerank",
        help="the measure to rank by (default: pagerank)",
    )
    parser.add_argument(
        "--format",
        choices=["table", "csv", "json"],
        default="table",
        help="output format (default: table)",
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", default="-", help="write here instead of stdout ('-')"
    )
    add_input_options(parser)
    return parser


def format_table(rows: list[Any]) -> str:
    """Aligned columns: rank, entity, kind and the three measures."""
    header = ("#", "entity", "kind", "degree", "betweenness", "pagerank")
    body = [
        (
            str(i),
            row.label if len(row.label) <= 60 else row.label[:59] + "…",
            row.kind,
            str(row.degree),
            f"{row.betweenness:.3f}",
            f"{row.pagerank:.4f}",
        )
        for i, row in enumerate(rows, 1)
    ]
    widths = [max(len(r[c]) for r in [header, *body]) for c in range(len(header))]
    right = {0, 3, 4, 5}
    lines = [
        "  ".join(
            cell.rjust(widths[c]) if c in right else cell.ljust(widths[c])
            for c, cell in enumerate(r)
        ).rstrip()
        for r in [header, *body]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from graph.errors import InputError
    from graph.explore.analysis import centrality, to_csv, to_json
    from graph.explore.network import to_networkx
    from graph.inputs.reading import load_graph

    if args.top < 0:
        raise InputError("--top must be 0 or more")
    graph = to_networkx(load_graph(args.ontology, args.data))
    rows = centrality(graph, top=args.top or None, by=args.by)
    if args.format == "table":
        emit(printable(format_table(rows), newlines=True), args.output)
    elif args.format == "csv":
        emit(to_csv([row.to_dict() for row in rows]), args.output)
    else:
        emit(to_json([row.to_dict() for row in rows]), args.output)
    return 0
