"""``kzgraph stats``: counts by class, predicate and kind of named graph."""

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
    add_format_option(parser, ["table", "json", "markdown"], "table")
    add_output_option(parser)
    add_input_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from graph.inputs.reading import load_graph
    from graph.pipeline.statistics import format_markdown, format_table, stats

    summary = stats(load_graph(args.ontology, args.data))
    render = format_markdown if args.format == "markdown" else format_table
    emit_formatted(args, lambda: render(summary), lambda: summary)
    return 0
