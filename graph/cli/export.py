"""``kzgraph export``: the dataset in one RDF format, on stdout or into a file."""

from __future__ import annotations

import argparse
from typing import Any

from graph.cli.options import add_input_options, add_output_option, add_subcommand, emit

NAME = "export"
FORMAT_NAMES = ["nquads", "trig", "turtle", "ntriples", "jsonld"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "serialise the dataset in one RDF format",
        "Serialise the loaded dataset (without validating it). nquads, trig and jsonld keep the\n"
        "named graphs; turtle and ntriples write their union. Output is deterministic.",
        "kzgraph export --format turtle -o kzgraph.ttl",
    )
    parser.add_argument(
        "--format", choices=FORMAT_NAMES, default="trig", help="RDF format (default: trig)"
    )
    parser.add_argument(
        "--base", metavar="IRI", help="rewrite https://w3id.org/kzgraph/ IRIs to this base"
    )
    add_output_option(parser)
    add_input_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from graph.inputs.reading import load_graph
    from graph.inputs.writing import export
    from graph.namespaces import prefixes_for

    if args.base is not None:
        from graph.pipeline.build import check_base

        check_base(args.base)
    ds = load_graph(args.ontology, args.data, base=args.base)
    emit(export(ds, args.format, prefixes=prefixes_for(args.base)), args.output)
    return 0
