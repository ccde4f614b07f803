"""What the ``kzgraph`` subcommands share, defined once: options, argument types, output."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from graph.errors import InputError
from graph.terminal import printable


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
    from graph.inputs.locations import describe_inputs

    print(describe_inputs(args.ontology, args.data), file=sys.stderr, flush=True)


def add_source_text_options(parser: argparse.ArgumentParser) -> None:
    """``--seeds DIR`` and ``--without-source-texts``: where the articles' texts are, and
    whether their absence may be tolerated (they are cited, never redistributed)."""
    parser.add_argument(
        "--seeds",
        metavar="DIR",
        help="the folder holding the source texts (default: ../shared/seeds of the project)",
    )
    parser.add_argument(
        "--without-source-texts",
        action="store_true",
        help="when a registered source text is not found, report that its quotes were not"
        " checked instead of failing (a text that is found must still match)",
    )


def add_output_option(parser: argparse.ArgumentParser) -> None:
    """``-o FILE``; ``-`` or nothing means standard output."""
    parser.add_argument(
        "-o", "--output", metavar="FILE", default="-", help="write here instead of stdout ('-')"
    )


def add_format_option(
    parser: argparse.ArgumentParser, choices: Sequence[str], default: str
) -> None:
    """``--format``, one of ``choices``, with its default named in the help."""
    parser.add_argument(
        "--format",
        choices=list(choices),
        default=default,
        help=f"output format (default: {default})",
    )


def emit_formatted(
    args: argparse.Namespace, text: Callable[[], str], data: Callable[[], Any]
) -> None:
    """Write a command's answer in its ``--format`` to ``-o`` (see :func:`emit`).

    ``csv`` and ``json`` are written from ``data()`` (rows of flat dicts for CSV), every other
    format (table, text, markdown) is ``text()`` with control characters made visible (see
    :func:`graph.terminal.printable`). Only the one asked for is computed.
    """
    from graph.tables import to_csv, to_json

    if args.format == "csv":
        emit(to_csv(data()), args.output)
    elif args.format == "json":
        emit(to_json(data()), args.output)
    else:
        emit(printable(text(), newlines=True), args.output)


def positive_seconds(text: str) -> float:
    """An argparse type: a finite number of seconds greater than zero (not nan, inf or -1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number of seconds above 0")
    return value


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 1 to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (1 to 65535)")
    return value


def check_url(url: str, option: str) -> str:
    """``url`` when it is an absolute http(s) URL with a host; else a one-line InputError."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port out of range or not a number
    except ValueError as exc:
        raise InputError(f"{option} {printable(url)!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise InputError(
            f"{option} {printable(url)!r} is not an http:// or https:// URL"
            " (e.g. http://127.0.0.1:7878/query)"
        )
    return url


def emit(data: bytes | str, output: str | None) -> None:
    """Write to stdout (``-``/None) or to a file (see :func:`graph.atomic.write_file`).

    On a terminal, control characters are shown as escapes, never obeyed (data written by others
    may hold terminal escape sequences); into a pipe or a file the bytes go unchanged.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if output in (None, "-"):
        sys.stdout.flush()
        if sys.stdout.isatty():
            raw = printable(raw.decode("utf-8", "replace"), newlines=True).encode("utf-8")
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
        return
    from graph.inputs.writing import write_atomic

    try:
        write_atomic(output, raw)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", output) from None
