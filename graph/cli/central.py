"""``kzgraph central``: the entities at the centre of the graph, by three measures."""

from __future__ import annotations

import argparse
from typing import Any

from graph.cli.options import (
    add_format_option,
    add_input_options,
    add_output_option,
    add_subcommand,
    emit_formatted,
)

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
    add_format_option(parser, ["table", "csv", "json"], "table")
    add_output_option(parser)
    add_input_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from graph.errors import InputError
    from graph.explore.analysis import centrality, format_centrality
    from graph.explore.network import to_networkx
    from graph.inputs.reading import load_graph

    if args.top < 0:
        raise InputError("--top must be 0 or more")
    graph = to_networkx(load_graph(args.ontology, args.data))
    rows = centrality(graph, top=args.top or None, by=args.by)
    emit_formatted(args, lambda: format_centrality(rows), lambda: [row.to_dict() for row in rows])
    return 0
