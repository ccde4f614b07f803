"""The ``kzgraph`` subcommands, one module each; shared options are defined once here."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from graph.errors import InputError


def add_subcommand(
    subparsers: Any, name: str, summary: str, description: str, example: str
) -> argparse.ArgumentParser:
    """A subparser whose help has a description and ends with an example."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=summary,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n" + "\n".join(f"  {line}" for line in example.splitlines()),
    )
    return parser


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """``--ontology DIR`` and ``--data DIR``: where to read the inputs from."""
    parser.add_argument(
        "--ontology", metavar="DIR", help="ontology directory (default: the project's ontology/)"
    )
    parser.add_argument(
        "--data", metavar="DIR", help="data directory (default: the project's data/)"
    )


def reads_inputs(args: argparse.Namespace) -> bool:
    """Whether the parsed command reads ontology/ and data/ (not when it asks another endpoint,
    lists the catalogue, or bulk-loads without ``--curated``)."""
    if not (hasattr(args, "ontology") and hasattr(args, "data")):
        return False
    if getattr(args, "endpoint", None) or getattr(args, "list", False):
        return False
    return bool(getattr(args, "curated", True))


def announce_inputs(args: argparse.Namespace) -> None:
    """Say on stderr which ontology/ and data/ the command reads (stdout stays for data)."""
    from graph.paths import describe_inputs

    print(describe_inputs(args.ontology, args.data), file=sys.stderr, flush=True)


def add_output_option(parser: argparse.ArgumentParser) -> None:
    """``-o FILE``; ``-`` or nothing means standard output."""
    parser.add_argument(
        "-o", "--output", metavar="FILE", default="-", help="write here instead of stdout ('-')"
    )


def emit(data: bytes | str, output: str | None) -> None:
    """Write to stdout (``-``/None) or atomically to a file."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if output in (None, "-"):
        sys.stdout.flush()
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
        return
    from graph.export import write_atomic

    try:
        write_atomic(output, raw)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", output) from None
