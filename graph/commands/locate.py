"""``kzgraph locate``: find a quote in a source text and print its provenance block."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from graph.commands import add_input_options, add_subcommand
from graph.terminal import printable

NAME = "locate"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "find a quote in a source text for its provenance",
        "Find QUOTE in SOURCE_FILE (whitespace layout ignored) and print its paragraph number,\n"
        "start and end offsets (code points, 0-based, end exclusive) and a TriG block for\n"
        "kzg:provenance. The source IRI is looked up by kz:localFile when the data loads.\n"
        "A quote found twice, or not at all, is an error.",
        'kzgraph locate ../shared/seeds/002_16aff84214ee5845.txt "a few words to quote"',
    )
    parser.add_argument("source_file", metavar="SOURCE_FILE", help="the source text")
    parser.add_argument("quote", metavar="QUOTE", help="the passage to find (one sentence at most)")
    parser.add_argument(
        "--assertion", metavar="CURIE", help="evidence graph name, e.g. kze:decree-signed"
    )
    parser.add_argument("--source", metavar="CURIE", help="source document (default: looked up)")
    parser.add_argument("--agent", metavar="CURIE", help="who claims the passage's content")
    parser.add_argument(
        "--mode", metavar="CURIE", help="kz:assertionMode, e.g. kz:Narration or kz:DirectQuote"
    )
    add_input_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from graph.errors import KzGraphError
    from graph.locate import (
        PLACEHOLDER_AGENT,
        PLACEHOLDER_ASSERTION,
        PLACEHOLDER_MODE,
        PLACEHOLDER_SOURCE,
        locate,
        provenance_block,
        source_for_file,
    )

    found = locate(args.source_file, args.quote)
    source = args.source
    if source is None:
        try:
            from graph.load import load_graph

            ds = load_graph(args.ontology, args.data)
            iri = source_for_file(ds, Path(args.source_file).name)
            source = ds.namespace_manager.normalizeUri(iri) if iri is not None else None
        except KzGraphError:
            source = None  # the block is still useful with a placeholder
    print(f"file:       {found.path}")
    print(f"paragraph:  {found.paragraph}")
    print(f"offsets:    {found.start}..{found.end} (start inclusive, end exclusive)")
    print(f"quote:      {printable(found.quote)}")
    print()
    print(
        provenance_block(
            found,
            assertion=args.assertion or PLACEHOLDER_ASSERTION,
            source=source or PLACEHOLDER_SOURCE,
            agent=args.agent or PLACEHOLDER_AGENT,
            mode=args.mode or PLACEHOLDER_MODE,
        ),
        end="",
    )
    return 0
