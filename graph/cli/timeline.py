"""``kzgraph timeline``: dated acts and events in order, with their sources; optionally a plot."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from graph.cli.options import (
    add_format_option,
    add_input_options,
    add_output_option,
    add_subcommand,
    emit_formatted,
)

if TYPE_CHECKING:
    from graph.explore.analysis import TimelineEntry

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
    add_format_option(parser, ["text", "csv", "json"], "text")
    add_output_option(parser)
    add_input_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from graph.explore.analysis import format_timeline, plot_timeline, timeline
    from graph.explore.network import to_networkx
    from graph.inputs.reading import load_graph

    entries = timeline(to_networkx(load_graph(args.ontology, args.data)))
    if args.plot:
        plot_timeline(entries, args.plot)
    emit_formatted(
        args,
        lambda: format_timeline(entries, sources=not args.no_sources),
        lambda: [_cited(entry) for entry in entries],
    )
    if args.plot:
        print(f"kzgraph: drew the timeline in {args.plot}", file=sys.stderr)
    return 0


def _cited(entry: TimelineEntry) -> dict[str, Any]:
    """The entry as a CSV or JSON row: its sources as citations (one line each), not records."""
    return {**entry.to_dict(), "sources": [ev.cite() for ev in entry.sources]}
