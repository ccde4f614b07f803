"""``kzgraph build``: validate and write every output into a directory, atomically."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from graph.cli.options import add_input_options, add_source_text_options, add_subcommand
from graph.terminal import printable

NAME = "build"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "validate and write every output into dist/",
        "Load ontology/ and data/, validate them (SHACL shapes and quality checks), optionally\n"
        "add entailed triples in kzg:inferred, and write N-Quads, TriG, Turtle, N-Triples,\n"
        "JSON-LD, the summary and the validation report. The output directory is replaced\n"
        "atomically: if anything fails (or the build is killed), the previous one is left\n"
        "whole. It must be new, empty, or an earlier build's output (marked by a .kzgraph-build\n"
        "file): any other directory is refused, never overwritten.",
        "kzgraph build -o dist --infer rdfs",
    )
    parser.add_argument(
        "-o",
        "--out",
        metavar="DIR",
        default="dist",
        help="output directory: new, empty or an earlier build's (default: dist)",
    )
    parser.add_argument(
        "--infer",
        choices=["none", "rdfs", "owlrl"],
        default="none",
        help="add RDFS or OWL 2 RL entailments in kzg:inferred (default: none)",
    )
    parser.add_argument(
        "--base",
        metavar="IRI",
        help="publish under this base IRI instead of https://w3id.org/kzgraph/",
    )
    add_input_options(parser)
    add_source_text_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from graph.pipeline.build import build
    from graph.pipeline.statistics import format_table

    result = build(
        args.out,
        infer=args.infer,
        base=args.base,
        ontology_dir=args.ontology,
        data_dir=args.data,
        seeds_dir=args.seeds,
        allow_missing_texts=args.without_source_texts,
    )
    if result.unchecked_texts:
        print(
            f"kzgraph: {result.unchecked_texts} source text(s) not found: their quotes were not"
            f" checked (see {result.out_dir / 'validation.txt'})",
            file=sys.stderr,
        )
    print(f"Wrote {len(result.files)} files to {result.out_dir}/:")
    for name in result.files:
        print(f"  {name}")
    if result.inferred:
        print(f"Inferred {result.inferred} triples into kzg:inferred ({args.infer}).")
    print()
    print(printable(format_table(result.summary, sections=2), newlines=True), end="")
    print(f"Counts by class and predicate: {result.out_dir / 'summary.md'}")
    return 0
