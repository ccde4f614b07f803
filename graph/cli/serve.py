"""``kzgraph serve``: the SPARQL endpoint, the query page and the entity pages."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from graph.cli.options import add_subcommand, port_number
from graph.cli.query import add_store_options, store_spec
from graph.errors import InputError

NAME = "serve"
TOKEN_VARIABLE = "KZGRAPH_UPDATE_TOKEN"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "serve SPARQL, a query page and linked-data pages over HTTP",
        "Serve the graph: a SPARQL 1.1 Protocol endpoint at /sparql (GET, HEAD, POST form, POST\n"
        "application/sparql-query; results by Accept), a query page at / , an HTML or RDF\n"
        "page for every IRI under https://w3id.org/kzgraph/ (/id/..., /evidence/..., /graph/...,\n"
        "/ontology), and a VoID description at /void. Read-only unless started with\n"
        f"--allow-update and a token in ${TOKEN_VARIABLE}. --workers server processes share\n"
        "the port, whatever the store; each opens the store, drops its network (a remote\n"
        "--endpoint store excepted) and file access, and answers queries itself (uvicorn\n"
        "parses HTTP) under a time limit, a row cap, a byte cap and a memory cap. A query past\n"
        "the time limit is answered 503 and its process replaced. Slow clients are cut off\n"
        "(--request-timeout) and each client may hold --max-client-connections per process.",
        "kzgraph serve --port 8000\nkzgraph serve --store oxigraph --location ./kzgraph-store",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=port_number, default=8000, help="port (default: 8000)")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server processes (default: CPU cores + 1; 1 with --allow-update)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=8,
        help="queries each server process answers at once (default: 8)",
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds a query may run (default: 10)"
    )
    parser.add_argument(
        "--max-rows", type=int, default=10_000, help="result rows/triples cap (default: 10000)"
    )
    parser.add_argument(
        "--max-answer-bytes",
        type=int,
        default=64_000_000,
        help="largest serialised answer, in bytes (default: 64000000); larger ones are 422",
    )
    parser.add_argument(
        "--max-request-bytes",
        type=int,
        default=100_000,
        help="largest request body or query string (default: 100000); a GET's request target"
        " is at most 64 KiB (longer ones are 414: POST them)",
    )
    parser.add_argument(
        "--memory-limit",
        type=int,
        default=4096,
        metavar="MB",
        help="data memory each server process may use (RLIMIT_DATA; default: 4096, 0: none)",
    )
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=10.0,
        help="seconds a client has to send a request's head and body (default: 10)",
    )
    parser.add_argument(
        "--max-client-connections",
        type=int,
        default=64,
        help="connections one client address may hold per server process (default: 64)",
    )
    parser.add_argument(
        "--allow-update",
        action="store_true",
        help=f"accept SPARQL Update from clients presenting the token in ${TOKEN_VARIABLE}",
    )
    add_store_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from graph.serving.app import ServerConfig, catalogue_entries
    from graph.serving.processes import MAX_URL_BYTES, Limits, serve
    from graph.sparql.guard import Policy

    token = os.environ.get(TOKEN_VARIABLE) or None
    if args.allow_update and not token:
        raise InputError(
            f"--allow-update needs a token in the environment variable {TOKEN_VARIABLE}"
        )
    positive = (args.timeout, args.max_rows, args.threads, args.max_answer_bytes)
    if (args.workers is not None and args.workers < 1) or min(positive) <= 0:
        raise InputError("--workers, --threads, --timeout and the caps must be positive")
    if args.request_timeout <= 0 or args.max_client_connections < 1 or args.memory_limit < 0:
        raise InputError("--request-timeout and --max-client-connections must be positive")
    spec = store_spec(args, read_only=not args.allow_update)
    # Python work is spread over processes (one GIL each) while Oxigraph runs without the GIL;
    # one more process than cores measured best (docs/performance.md). Updates go to one
    # process: one may hold an Oxigraph store open for writing, and an in-memory store's
    # updates are journalled by the supervisor for the process that replaces it
    workers = 1 if args.allow_update else (args.workers or (os.cpu_count() or 1) + 1)
    policy = Policy(allowed_services=tuple(args.allow_service))
    config = ServerConfig(
        timeout=args.timeout,
        max_rows=args.max_rows,
        max_request_bytes=args.max_request_bytes,
        allow_update=args.allow_update,
        update_token=token,
        store_label=spec.describe(),
        catalogue=catalogue_entries(),
    )
    settings = {
        "threads": args.threads,
        "max_answer_bytes": args.max_answer_bytes,
        "memory_mb": args.memory_limit or None,
        "journal": args.allow_update and spec.kind == "memory",
        "limits": Limits(
            request_seconds=args.request_timeout,
            connections_per_client=args.max_client_connections,
            max_url_bytes=min(args.max_request_bytes + 1024, MAX_URL_BYTES),
        ),
    }
    shown = f"[{args.host}]" if ":" in args.host else args.host
    plural = "es" if workers != 1 else ""

    def announce(supervisor: Any) -> None:
        print(
            f"kzgraph: serving the {spec.describe()} at http://{shown}:{args.port}/"
            f" (SPARQL endpoint /sparql, {workers} server process{plural},"
            f" network isolation {'on' if supervisor.isolated else 'off'})",
            file=sys.stderr,
            flush=True,
        )

    serve(
        spec,
        policy,
        config,
        host=args.host,
        port=args.port,
        workers=workers,
        settings=settings,
        announce=announce,
    )
    return 0
