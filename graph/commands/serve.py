"""``kzgraph serve``: the SPARQL endpoint, the query page and the entity pages."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from graph.commands import add_subcommand
from graph.commands.query import add_store_options, store_spec
from graph.errors import InputError

NAME = "serve"
TOKEN_VARIABLE = "KZGRAPH_UPDATE_TOKEN"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "serve SPARQL, a query page and linked-data pages over HTTP",
        "Serve the graph: a SPARQL 1.1 Protocol endpoint at /sparql (GET, POST form, POST\n"
        "application/sparql-query; results by Accept), a query page at / , an HTML or RDF\n"
        "page for every IRI under https://w3id.org/kzgraph/ (/id/..., /evidence/..., /graph/...,\n"
        "/ontology), and a VoID description at /void. Read-only unless started with\n"
        f"--allow-update and a token in ${TOKEN_VARIABLE}. Each query runs in a sandboxed worker\n"
        "with a time limit and a row cap.",
        "kzgraph serve --port 8000\nkzgraph serve --store oxigraph --location ./kzgraph-store",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    parser.add_argument(
        "--workers", type=int, default=2, help="query worker processes (default: 2)"
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds a query may run (default: 10)"
    )
    parser.add_argument(
        "--max-rows", type=int, default=10_000, help="result rows/triples cap (default: 10000)"
    )
    parser.add_argument(
        "--max-request-bytes",
        type=int,
        default=100_000,
        help="largest request body or query string (default: 100000)",
    )
    parser.add_argument(
        "--allow-update",
        action="store_true",
        help=f"accept SPARQL Update from clients presenting the token in ${TOKEN_VARIABLE}",
    )
    parser.add_argument(
        "--log-level", default="warning", help="uvicorn log level (default: warning)"
    )
    add_store_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from graph.sandbox import Policy, WorkerPool
    from graph.server import ServerConfig, catalogue_entries
    from graph.server import run as serve

    token = os.environ.get(TOKEN_VARIABLE) or None
    if args.allow_update and not token:
        raise InputError(
            f"--allow-update needs a token in the environment variable {TOKEN_VARIABLE}"
        )
    if args.workers < 1 or args.timeout <= 0 or args.max_rows < 1:
        raise InputError("--workers, --timeout and --max-rows must be positive")
    spec = store_spec(args, read_only=not args.allow_update)
    workers = args.workers
    if args.allow_update and spec.kind == "oxigraph":
        workers = 1  # one process may hold an Oxigraph store open for writing
    policy = Policy(allowed_services=tuple(args.allow_service))
    pool = WorkerPool(spec, policy, size=workers, timeout=args.timeout).start()
    config = ServerConfig(
        timeout=args.timeout,
        max_rows=args.max_rows,
        max_request_bytes=args.max_request_bytes,
        allow_update=args.allow_update,
        update_token=token,
        store_label=spec.describe(),
        catalogue=catalogue_entries(),
    )
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"kzgraph: serving the {spec.describe()} at http://{shown}:{args.port}/"
        f" (SPARQL endpoint /sparql, {workers} worker{'s' if workers != 1 else ''},"
        f" network isolation {'on' if pool.isolated else 'off'})",
        file=sys.stderr,
    )
    serve(pool, config, host=args.host, port=args.port, log_level=args.log_level)
    return 0
