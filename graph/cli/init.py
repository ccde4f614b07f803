"""``kzgraph init DIR``: start a new project from the packaged ontology and data."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from graph.cli.options import add_subcommand

NAME = "init"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "start a new project from the packaged ontology and data",
        "Copy the ontology/ and data/ shipped with kzgraph into DIR (created if absent; an\n"
        "existing DIR must be empty), so that you can edit them. Run kzgraph commands inside\n"
        "DIR (or below it), or point $KZGRAPH_HOME at it: the working copy is read, not the\n"
        "packaged one.",
        "kzgraph init my-graph && cd my-graph && kzgraph build",
    )
    parser.add_argument("directory", metavar="DIR", help="the new project's directory")
    return parser


def run(args: argparse.Namespace) -> int:
    from graph.errors import display_path
    from graph.inputs.locations import init_project, packaged_root

    source = packaged_root()
    files = init_project(args.directory)
    where = display_path(args.directory)
    print(f"kzgraph: copied {source.origin} from {source.path}", file=sys.stderr)
    print(f"Started a project in {where}/ with {len(files)} files:")
    for name in files:
        print(f"  {name}")
    return 0
