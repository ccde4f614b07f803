"""``kzgraph query``: run SPARQL (text, file, stdin or a catalogue name) on any store."""

from __future__ import annotations

import argparse
import sys
from typing import Any, cast

from graph.cli.options import (
    add_input_options,
    add_output_option,
    add_subcommand,
    check_url,
    emit,
    positive_seconds,
)
from graph.errors import InputError

NAME = "query"
FORMAT_CHOICES = [
    "table",
    "csv",
    "tsv",
    "json",
    "xml",
    "turtle",
    "ntriples",
    "jsonld",
    "trig",
    "rdfxml",
]


def add_store_options(parser: argparse.ArgumentParser) -> None:
    """``--store``, ``--location``, ``--endpoint``, ``--reload`` and the input directories."""
    group = parser.add_argument_group("store")
    group.add_argument(
        "--store",
        choices=["memory", "oxigraph", "endpoint"],
        help="where the graph is queried (default: memory; implied by --location/--endpoint)",
    )
    group.add_argument("--location", metavar="DIR", help="directory of the embedded Oxigraph store")
    group.add_argument("--endpoint", metavar="URL", help="a remote SPARQL 1.1 query endpoint")
    group.add_argument(
        "--reload",
        action="store_true",
        help="reload the Oxigraph store from the curated files even if it is current",
    )
    group.add_argument(
        "--allow-service",
        metavar="URL",
        action="append",
        default=[],
        help="let SERVICE call this endpoint (repeatable; SERVICE is refused otherwise)",
    )
    add_input_options(parser)


def store_spec(args: argparse.Namespace, read_only: bool = True) -> Any:
    """The StoreSpec the store options describe; the Oxigraph store is loaded if stale."""
    from graph.stores.base import StoreKind
    from graph.stores.spec import StoreSpec, prepare_store

    kind = args.store or (
        "endpoint" if args.endpoint else "oxigraph" if args.location else "memory"
    )
    if kind == "oxigraph" and not args.location:
        raise InputError("--store oxigraph needs --location DIR")
    if kind == "endpoint" and not args.endpoint:
        raise InputError("--store endpoint needs --endpoint URL")
    if args.endpoint:
        check_url(args.endpoint, "--endpoint")
    spec = StoreSpec(
        kind=cast(StoreKind, kind),
        location=args.location,
        endpoint=args.endpoint,
        ontology_dir=args.ontology,
        data_dir=args.data,
        read_only=read_only,
    )
    if prepare_store(spec, reload=args.reload):
        print(f"kzgraph: loaded the graph into {spec.describe()}", file=sys.stderr)
    return spec


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "run a SPARQL query (text, file, stdin or catalogue name)",
        "Run a SPARQL 1.1 query on the graph. The query is the QUERY argument (SPARQL text or\n"
        "the name of a catalogue query), a file (-f), or standard input. The project's prefixes\n"
        "(kz:, kzr:, kze:, kzg:, org:, eli:, schema:, prov:, skos:, rdfs:, ...) are predeclared,\n"
        "and the default graph is the union of all named graphs. SELECT/ASK print as a table or\n"
        "csv|tsv|json|xml; CONSTRUCT/DESCRIBE as turtle|ntriples|jsonld|trig|rdfxml or a table.\n"
        "SERVICE, LOAD, and FROM of IRIs outside the dataset are refused.",
        'kzgraph query "SELECT ?post WHERE { kzr:igor-rogov org:holds ?post }"\n'
        "kzgraph query -f my.rq --format csv -o out.csv",
    )
    parser.add_argument(
        "query", nargs="?", metavar="QUERY", help="SPARQL text or catalogue name ('-': stdin)"
    )
    parser.add_argument("-f", "--file", metavar="FILE", help="read the query from this file")
    parser.add_argument("--list", action="store_true", help="list the catalogue queries and exit")
    parser.add_argument(
        "--format",
        choices=FORMAT_CHOICES,
        help="output format (default: table; turtle for CONSTRUCT/DESCRIBE)",
    )
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        metavar="SECONDS",
        help="stop the query after this long (runs it in a sandboxed worker process)",
    )
    add_output_option(parser)
    add_store_options(parser)
    return parser


def read_query_text(args: argparse.Namespace) -> str:
    """The query from -f, the argument (a catalogue name or SPARQL text) or stdin."""
    from graph.sparql.catalogue import list_queries

    if args.file and args.query:
        raise InputError("give the query either as an argument or with -f, not both")
    if args.file:
        if args.file == "-":
            return sys.stdin.read()
        try:
            with open(args.file, encoding="utf-8") as handle:
                return handle.read()
        except OSError as exc:
            raise InputError(f"cannot read query: {exc.strerror or exc}", args.file) from None
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text ({exc.reason})", args.file) from None
    if args.query and args.query != "-":
        name = args.query.removesuffix(".rq")
        for entry in list_queries():
            if entry.name == name:
                return entry.text
        if "{" not in args.query and " " not in args.query.strip():
            known = ", ".join(q.name for q in list_queries()) or "none"
            raise InputError(f"no query named {name!r} in the catalogue (known: {known})")
        return str(args.query)
    if sys.stdin is None or sys.stdin.isatty():
        raise InputError("no query: give SPARQL text, a catalogue name, -f FILE, or pipe it in")
    return sys.stdin.read()


def list_catalogue() -> str:
    """The catalogue queries as a table: name, title and what each answers."""
    from graph.sparql.catalogue import list_queries
    from graph.tables import aligned_table

    rows = [[q.name, q.title, q.description] for q in list_queries()]
    return aligned_table(["name", "title", "description"], rows)


def run(args: argparse.Namespace) -> int:
    from graph.serving.sandbox import run_isolated
    from graph.sparql.guard import Policy, check_query
    from graph.sparql.results import answer_from_media, answer_table, output_format
    from graph.stores.spec import open_store

    if args.list:
        emit(list_catalogue(), args.output)
        return 0
    text = read_query_text(args)
    policy = Policy(allowed_services=tuple(args.allow_service))
    checked = check_query(text, policy)  # syntax and policy errors before any store is opened
    if args.format and args.format != "table":
        output_format(args.format, checked.form)
    spec = store_spec(args)
    if args.timeout is not None:
        answer = answer_from_media(
            *run_isolated(spec, policy, "answer", (text, None), args.timeout)
        )
    else:
        store = open_store(spec)
        try:
            answer = store.query(checked)
        finally:
            store.close()
    fmt = args.format or ("turtle" if answer.is_graph else "table")
    if fmt == "table":
        emit(answer_table(answer), args.output)
    else:
        emit(answer.serialize(fmt), args.output)
    return 0
