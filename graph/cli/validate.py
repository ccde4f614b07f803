"""``kzgraph validate``: SHACL shapes plus quality checks, as a readable report."""

from __future__ import annotations

import argparse
from typing import Any

from graph.cli.options import add_input_options, add_source_text_options, add_subcommand
from graph.terminal import printable

NAME = "validate"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "check the data against the shapes and checks",
        "Validate the union of ontology and data against ontology/shapes.ttl and run the\n"
        "quality checks in ontology/checks/, and re-read every registered source text and every\n"
        "evidence quote at its offsets (a missing source text fails, unless\n"
        "--without-source-texts). Prints one line per\n"
        "problem; exits 1 when the data does not conform, 2 when an input cannot be read.",
        "kzgraph validate",
    )
    add_input_options(parser)
    parser.add_argument(
        "--shapes", metavar="FILE", help="SHACL shapes (default: ONTOLOGY/shapes.ttl)"
    )
    add_source_text_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from graph.inputs.locations import resolve_dir, source_dirs
    from graph.inputs.reading import load_graph
    from graph.pipeline.validation import validate

    ontology = resolve_dir("ontology", args.ontology)
    ds = load_graph(ontology, args.data)
    sources = source_dirs(args.data, args.seeds)
    result = validate(
        ds,
        args.shapes or ontology / "shapes.ttl",
        ontology / "checks",
        sources,
        allow_missing_texts=args.without_source_texts,
    )
    print(printable(result.report_text, newlines=True), end="")
    return 0 if result.conforms else 1
