"""``kzgraph serve``: the SPARQL endpoint, the query page and the entity pages."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from graph.commands import add_subcommand, port_number
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
        f"--allow-update and a token in ${TOKEN_VARIABLE}. Every query runs sandboxed (no\n"
        "network, no file writes), under a time limit and a row cap. A read-only Oxigraph\n"
        "store is served directly: --workers server processes share the port and answer\n"
        "queries in-process, a thread per connection. Other stores (and updates) use a pool\n"
        "of --workers query worker processes behind one web server. --mode chooses.",
        "kzgraph serve --port 8000\nkzgraph serve --store oxigraph --location ./kzgraph-store",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=port_number, default=8000, help="port (default: 8000)")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server processes in direct mode (default: CPU cores + 1) or query worker"
        " processes in pooled mode (default: 2)",
    )
    parser.add_argument(
        "--mode",
        choices=("auto", "direct", "pooled"),
        default="auto",
        help="direct: server processes answer queries themselves (read-only Oxigraph store"
        " only); pooled: one web server hands queries to worker processes; auto (default):"
        " direct where possible",
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
        "--log-level",
        default="warning",
        help="uvicorn log level in pooled mode (default: warning); direct mode logs only errors",
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
    if (args.workers is not None and args.workers < 1) or args.timeout <= 0 or args.max_rows < 1:
        raise InputError("--workers, --timeout and --max-rows must be positive")
    spec = store_spec(args, read_only=not args.allow_update)
    direct = spec.kind == "oxigraph" and not args.allow_update
    if args.mode == "direct" and not direct:
        raise InputError("--mode direct needs a read-only Oxigraph store (--store oxigraph)")
    direct = direct and args.mode != "pooled"
    # direct: Python work is spread over processes (one GIL each) while Oxigraph runs without
    # the GIL; one more process than cores measured best (docs/performance.md)
    workers = args.workers or ((os.cpu_count() or 1) + 1 if direct else 2)
    if args.allow_update and spec.kind == "oxigraph":
        workers = 1  # one process may hold an Oxigraph store open for writing
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
    shown = f"[{args.host}]" if ":" in args.host else args.host
    plural = "es" if workers != 1 else ""

    def announce(what: str, isolated: bool) -> None:
        print(
            f"kzgraph: serving the {spec.describe()} at http://{shown}:{args.port}/"
            f" (SPARQL endpoint /sparql, {what}, network isolation {'on' if isolated else 'off'})",
            file=sys.stderr,
            flush=True,
        )

    if direct:
        from graph.direct import serve_direct

        serve_direct(
            spec,
            policy,
            config,
            host=args.host,
            port=args.port,
            workers=workers,
            announce=lambda s: announce(
                f"{workers} server process{plural} answering directly", s.isolated
            ),
        )
        return 0
    pool = WorkerPool(spec, policy, size=workers, timeout=args.timeout).start()
    announce(f"{workers} query worker{'s' if workers != 1 else ''}", pool.isolated)
    serve(pool, config, host=args.host, port=args.port, log_level=args.log_level)
    return 0
