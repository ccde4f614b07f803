"""``kzgraph view``: write the interactive network view as one standalone HTML file."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from graph.cli.options import add_input_options, add_subcommand, emit
from graph.errors import InputError

NAME = "view"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "write the interactive network view as one HTML file",
        "Write the graph as one standalone HTML page (works offline: nothing is fetched).\n"
        "Nodes are entities coloured and shaped by class and sized by degree; edges are facts.\n"
        "Click a node or an edge for its details and the evidence quotes it rests on; search\n"
        "by name; filter by kind, relation and date. Provenance, ontology and inferred triples\n"
        "are left out. --focus shows one entity's neighbourhood; --query the graph a CONSTRUCT\n"
        "query returns, the ?s ?p ?o rows of a SELECT, or else the entities a SELECT's rows\n"
        "name with the facts among them (with --focus, the neighbourhood within it); a\n"
        "catalogue name works as in `kzgraph query`. ENTITY is a label, a prefixed name\n"
        "(kzr:igor-rogov) or an IRI.",
        'kzgraph view --focus "Igor Rogov" --depth 2 -o rogov.html\n'
        "kzgraph view --query treaty-to-measures -o treaties.html",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default="view.html",
        help="where to write the page (default: view.html; '-' for stdout)",
    )
    parser.add_argument("--focus", metavar="ENTITY", help="show the neighbourhood of this entity")
    parser.add_argument(
        "--depth",
        metavar="N",
        type=int,
        default=None,
        help="steps around --focus to include (default: 1)",
    )
    parser.add_argument(
        "--query",
        metavar="FILE.rq|NAME",
        help="draw the result of this SPARQL file or catalogue query (`kzgraph query --list`;"
        " '-': stdin)",
    )
    parser.add_argument(
        "--literals", action="store_true", help="draw literal values (dates, numbers) as nodes"
    )
    parser.add_argument("--title", help="the page title (default: says what is shown)")
    parser.add_argument(
        "--lang",
        metavar="TAG",
        default="en",
        help="label language to prefer, e.g. kk or ru (labels from `kzgraph enrich`;"
        " English where there is none; default: en)",
    )
    add_input_options(parser)
    return parser


def read_query_file(name: str) -> str:
    """The SPARQL text of a file, of a catalogue query (``kzgraph query --list``), or of
    standard input for ``-``."""
    from graph.sparql.catalogue import list_queries

    if name == "-":
        return sys.stdin.read()
    path = Path(name)
    if not path.exists():
        wanted = name.removesuffix(".rq")
        for entry in list_queries():
            if entry.name == wanted:
                return entry.text
        if "/" not in name and "\\" not in name:
            known = ", ".join(q.name for q in list_queries()) or "none"
            raise InputError(
                f"no such file, and no catalogue query named {wanted!r} (known: {known})", name
            )
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputError(f"cannot read query: {reason}", name) from None


def run(args: argparse.Namespace) -> int:
    from graph.explore.view import view_for
    from graph.inputs.reading import load_graph

    if args.depth is not None and args.focus is None:
        raise InputError("--depth needs --focus ENTITY")
    depth = 1 if args.depth is None else args.depth
    if depth < 0:
        raise InputError("--depth must be 0 or more")
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", args.lang):
        raise InputError(f"--lang wants a language tag such as kk or ru, not {args.lang!r}")
    sparql = read_query_file(args.query) if args.query else None
    ds = load_graph(args.ontology, args.data)
    page = view_for(
        ds,
        focus=args.focus,
        depth=depth,
        query=sparql,
        literals=args.literals,
        title=args.title,
        lang=args.lang,
    )
    emit(page.html, args.output)
    if args.output not in (None, "-"):
        print(f"Wrote {args.output}: {page.nodes} nodes, {page.edges} edges ({page.title}).")
    return 0
