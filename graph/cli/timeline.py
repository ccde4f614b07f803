"""``kzgraph timeline``: dated acts and events in order, with their sources; optionally a plot."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from graph.cli.options import add_input_options, add_subcommand, emit
from graph.terminal import printable

NAME = "timeline"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "list dated acts and events in order (and plot them)",
        "List the dated acts (kz:dateSigned) and events and programmes (schema:startDate) in\n"
        "order: the date as the data gives it (a day, a month or a year), what happened and\n"
        "who took part, and the evidence passages that date it. --plot draws the timeline as\n"
        "PNG or SVG (needs matplotlib: pip install 'kzgraph[analysis]').",
        "kzgraph timeline --plot timeline.svg\nkzgraph timeline --format csv -o timeline.csv",
    )
    parser.add_argument("--plot", metavar="FILE", help="also draw the timeline to FILE.png or .svg")
    parser.add_argument(
        "--no-sources", action="store_true", help="leave the evidence out of the text"
    )
    parser.add_argument(
        "--format",
        choices=["text", "csv", "json"],
        default="text",
        help="output format (default: text)",
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", default="-", help="write here instead of stdout ('-')"
    )
    add_input_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from graph.explore.analysis import format_timeline, plot_timeline, timeline, to_csv, to_json
    from graph.explore.network import to_networkx
    from graph.inputs.reading import load_graph

    entries = timeline(to_networkx(load_graph(args.ontology, args.data)))
    if args.plot:
        plot_timeline(entries, args.plot)
    if args.format == "text":
        text = format_timeline(entries, sources=not args.no_sources)
        emit(printable(text, newlines=True), args.output)
    else:
        rows = []
        for entry in entries:
            row = entry.to_dict()
            row["sources"] = [ev.cite() for ev in entry.sources]
            rows.append(row)
        emit(to_csv(rows) if args.format == "csv" else to_json(rows), args.output)
    if args.plot:
        print(f"kzgraph: drew the timeline in {args.plot}", file=sys.stderr)
    return 0
