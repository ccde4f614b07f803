"""``kzgraph paths``: how two entities are connected, every shortest path with its sources."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from graph.cli.options import (
    add_format_option,
    add_input_options,
    add_output_option,
    add_subcommand,
    emit_formatted,
)
from graph.terminal import printable

NAME = "paths"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "explain how two entities are connected, with sources",
        "Print every shortest path between two entities as a chain of statements, read in\n"
        "either direction (A —holds→ B, or A ←held by— B), each step followed by the\n"
        "evidence passages it rests on. Entities are given by label, prefixed name or IRI;\n"
        "a name that fits several entities is refused with the list of them. Exits 1 when\n"
        "there is no path (of at most --max-length steps).",
        'kzgraph paths "Igor Rogov" HELP\n'
        "kzgraph paths kzr:decree-597 kzr:iccpr --max-length 2 --format json",
    )
    parser.add_argument("source", metavar="A", help="where the path starts")
    parser.add_argument("target", metavar="B", help="where the path ends")
    parser.add_argument("--max-length", metavar="N", type=int, help="only paths of at most N steps")
    parser.add_argument(
        "--limit",
        metavar="N",
        type=int,
        default=20,
        help="show at most N paths (default: 20; 0 for all)",
    )
    parser.add_argument(
        "--no-sources", action="store_true", help="only the chains, without the evidence"
    )
    add_format_option(parser, ["text", "json"], "text")
    add_output_option(parser)
    add_input_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from graph.errors import InputError
    from graph.explore.analysis import format_paths, shortest_paths
    from graph.explore.network import to_networkx
    from graph.explore.resolve import describe, resolve
    from graph.inputs.reading import load_graph

    if args.max_length is not None and args.max_length < 1:
        raise InputError("--max-length must be 1 or more")
    if args.limit < 0:
        raise InputError("--limit must be 0 or more")
    ds = load_graph(args.ontology, args.data)
    graph = to_networkx(ds)
    found = shortest_paths(  # one more than asked: whether the limit cut any off
        graph,
        args.source,
        args.target,
        max_length=args.max_length,
        limit=args.limit + 1 if args.limit else None,
    )
    more = bool(args.limit) and len(found) > args.limit
    found = found[: args.limit] if more else found
    if found or args.format == "json":  # no text at all when there is no path
        emit_formatted(
            args,
            lambda: (
                format_paths(graph, found, sources=not args.no_sources, more=more)
                + _links_section(ds, graph, args.source, args.target, sources=not args.no_sources)
            ),
            lambda: [path.to_dict(graph) for path in found],
        )
    if more:
        print(
            f"kzgraph: showing {args.limit} of more than {args.limit} shortest paths (--limit)",
            file=sys.stderr,
        )
    if not found:
        a, b = resolve(graph, args.source), resolve(graph, args.target)
        within = f" of at most {args.max_length} steps" if args.max_length else ""
        print(printable(f"No path{within} between {describe(graph, a)} and {describe(graph, b)}."))
        return 1
    return 0


def _links_section(ds: Any, graph: Any, source: str, target: str, sources: bool) -> str:
    """The external links of both ends, with their status (exact/close, verified/reconciled/
    pending, last checked); nothing when neither end has any."""
    from graph.explore.resolve import describe, resolve
    from graph.linking.external import external_links, format_external_links
    from graph.terminal import escape_invisible

    blocks = []
    for node in dict.fromkeys((resolve(graph, source), resolve(graph, target))):
        links = external_links(ds, node)
        if links:
            blocks.append(
                f"{escape_invisible(describe(graph, node))}\n"
                + format_external_links(links, sources)
            )
    return "\nExternal links\n" + "".join(blocks) if blocks else ""
