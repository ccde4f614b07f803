"""The ``kzgraph`` command: argument parsing and output only; the work lives in the library.

Subcommands are registered in :data:`COMMANDS` as ``(name, module, summary)``. A module exposes
``add_parser(subparsers) -> ArgumentParser`` and ``run(args) -> int`` and is imported only when
its command runs (or its help is asked for), so ``kzgraph --version`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from graph import __version__
from graph.errors import KzGraphError, ValidationFailed
from graph.terminal import printable

#: One line per subcommand: (name, module exposing add_parser/run, one-line summary).
COMMANDS: list[tuple[str, str, str]] = [
    ("build", "graph.cli.build", "validate and write every output into dist/"),
    ("validate", "graph.cli.validate", "check the data against the shapes and checks"),
    ("stats", "graph.cli.stats", "count resources, predicates and graphs"),
    ("export", "graph.cli.export", "serialise the dataset in one RDF format"),
    ("locate", "graph.cli.locate", "find a quote in a source text for its provenance"),
    (
        "add-source",
        "graph.cli.add_source",
        "register a source text (SHA-256, place, metadata)",
    ),
    ("init", "graph.cli.init", "start a new project from the packaged ontology and data"),
    ("link", "graph.cli.link", "link entities to Wikidata or DBpedia by reconciliation"),
    ("enrich", "graph.cli.enrich", "import labels, descriptions and dates of linked entities"),
    ("query", "graph.cli.query", "run a SPARQL query (text, file, stdin or catalogue name)"),
    ("serve", "graph.cli.serve", "serve SPARQL, a query page and linked-data pages over HTTP"),
    (
        "publish",
        "graph.cli.publish",
        "load the graph into a SPARQL store (Graph Store Protocol)",
    ),
    ("load", "graph.cli.load", "bulk-load large RDF files into the Oxigraph store"),
    ("view", "graph.cli.view", "write the interactive network view as one HTML file"),
    ("paths", "graph.cli.paths", "explain how two entities are connected, with sources"),
    ("show", "graph.cli.show", "show an entity: kind, facts with sources, external links"),
    ("central", "graph.cli.central", "rank entities by degree, betweenness and PageRank"),
    ("timeline", "graph.cli.timeline", "list dated acts and events in order (and plot them)"),
]


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error told in one line (the usage itself is a --help away)."""

    def error(self, message: str) -> NoReturn:
        from graph.terminal import printable

        self.exit(2, f"{self.prog}: error: {printable(message)} (see {self.prog} --help)\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``command``, only that subcommand (its module imported), else every
    subcommand listed by its summary."""
    parser = _Parser(
        prog="kzgraph",
        description="kzgraph: an open RDF knowledge graph with sourced facts.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  kzgraph build -o dist\n\n"
        "Run `kzgraph COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"kzgraph {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name, summary in COMMANDS:
        if name == command:
            module = importlib.import_module(module_name)
            sub = module.add_parser(subparsers)
            sub.set_defaults(run=module.run)
        elif command is None:  # the others are listed only where they can be seen
            subparsers.add_parser(name, help=summary, description=summary)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    names = {name for name, _m, _s in COMMANDS}
    for arg in argv:
        if arg in names:
            return arg
        if not arg.startswith("-"):
            return None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kzgraph`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_in(args_list))
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # --help, --version and usage errors (argparse exits 2)
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    if getattr(args, "run", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        from graph.cli.options import announce_inputs, reads_inputs

        if reads_inputs(args):
            announce_inputs(args)
        code: int = args.run(args)
        return code
    except ValidationFailed as exc:
        if exc.report_text:
            sys.stderr.write(printable(exc.report_text, newlines=True))
        print(f"kzgraph: {printable(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KzGraphError as exc:  # messages quote user data: one line, nothing a terminal obeys
        print(f"kzgraph: {printable(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except OSError as exc:  # e.g. an output directory that cannot be written
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"kzgraph: {printable(where + str(exc.strerror or exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
