"""``kzgraph stats``: counts by class, predicate and kind of named graph."""

from __future__ import annotations

import argparse
import json
from typing import Any

from graph.cli.options import add_input_options, add_output_option, add_subcommand, emit
from graph.terminal import printable

NAME = "stats"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "count resources, predicates and graphs",
        "Count resources by class, triples by predicate and named graphs by kind (evidence,\n"
        "provenance, sources, ontology, inferred), with totals, and the links to other\n"
        "datasets by state: verified (curated against a cited record), reconciled (accepted\n"
        "by `kzgraph link` with a score) and pending, per target dataset.",
        "kzgraph stats --format markdown -o stats.md",
    )
    parser.add_argument(
        "--format",
        choices=["table", "json", "markdown"],
        default="table",
        help="output format (default: table)",
    )
    add_output_option(parser)
    add_input_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from graph.inputs.reading import load_graph
    from graph.pipeline.statistics import format_markdown, format_table, stats

    summary = stats(load_graph(args.ontology, args.data))
    if args.format == "json":
        text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    elif args.format == "markdown":
        text = printable(format_markdown(summary), newlines=True)
    else:
        text = printable(format_table(summary), newlines=True)
    emit(text, args.output)
    return 0
