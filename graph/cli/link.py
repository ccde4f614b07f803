"""``kzgraph link``: reconcile entities with Wikidata (or DBpedia) and record the matches."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from graph.cli.options import add_input_options, add_subcommand, emit
from graph.terminal import printable

NAME = "link"


def add_client_options(parser: argparse.ArgumentParser) -> None:
    """Endpoint and politeness options shared by ``link`` and ``enrich``."""
    group = parser.add_argument_group("endpoint")
    group.add_argument(
        "--endpoint",
        metavar="URL",
        help="SPARQL endpoint (default: the target's, e.g. https://query.wikidata.org/sparql)",
    )
    group.add_argument(
        "--user-agent",
        metavar="TEXT",
        default=os.environ.get("KZGRAPH_USER_AGENT"),
        help="User-Agent sent with each request (default: kzgraph/VERSION (+project URL); "
        "env KZGRAPH_USER_AGENT)",
    )
    group.add_argument(
        "--rate",
        type=float,
        default=1.0,
        metavar="N",
        help="at most N requests per second to the endpoint (default: 1)",
    )
    group.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="connect and read timeout (default: 60)",
    )
    group.add_argument(
        "--retries",
        type=int,
        default=4,
        metavar="N",
        help="retries with exponential backoff on 429, 5xx and dropped connections (default: 4)",
    )
    group.add_argument(
        "--backoff",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="backoff factor between retries; Retry-After wins (default: 2)",
    )
    group.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="on-disk answer cache (default: $KZGRAPH_CACHE or ~/.cache/kzgraph)",
    )
    group.add_argument(
        "--no-cache", action="store_true", help="do not read or write the answer cache"
    )
    group.add_argument(
        "--refresh",
        action="store_true",
        help="ask the endpoint again even when an answer is cached",
    )


def client_settings(args: argparse.Namespace, default_endpoint: str) -> Any:
    from graph.linking.client import ClientSettings, default_cache_dir
    from graph.linking.targets import USER_AGENT

    cache: Path | None
    if args.no_cache:
        cache = None
    else:
        cache = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    from graph.errors import InputError

    if args.rate <= 0 or args.timeout <= 0 or args.retries < 0 or args.backoff < 0:
        raise InputError("--rate and --timeout must be positive, --retries and --backoff >= 0")
    return ClientSettings(
        endpoint=args.endpoint or default_endpoint,
        user_agent=args.user_agent or USER_AGENT,
        rate=args.rate,
        timeout=args.timeout,
        retries=args.retries,
        backoff=args.backoff,
        cache_dir=cache,
        refresh=args.refresh,
    )


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "link entities to Wikidata or DBpedia by reconciliation",
        "Query a SPARQL endpoint (Wikidata's by default) for each entity by its label and\n"
        "alternative labels, rank the candidates by label, type and country, and write the\n"
        "matches scoring at least --threshold (with no close rival) to data/alignments.ttl as\n"
        "reconciled alignments, replacing pending ones. The rest are shown for review.\n"
        "Without --entity: every linkable entity that has no verified alignment yet.\n"
        "With --recheck: confirm the verified Wikidata links still resolve and refresh their\n"
        "last-checked date. A network failure changes no file (exit 2).",
        "kzgraph link --entity igor-rogov --entity venice-commission --dry-run",
    )
    parser.add_argument(
        "--target",
        choices=["wikidata", "dbpedia"],
        default="wikidata",
        help="dataset to link to (default: wikidata)",
    )
    parser.add_argument(
        "--entity",
        action="append",
        default=[],
        metavar="NAME",
        help="entity slug (kazakhstan), kzr:/kzt: name or IRI; repeatable",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=0.75,
        metavar="SCORE",
        help="accept a match at or above this score, 0..1 (default: 0.75)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the matches, write nothing")
    parser.add_argument(
        "--recheck",
        action="store_true",
        help="re-verify the existing Wikidata links instead of reconciling",
    )
    parser.add_argument(
        "--format", choices=["table", "json"], default="table", help="output format"
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", default="-", help="write the report here ('-': stdout)"
    )
    add_client_options(parser)
    add_input_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from graph.errors import InputError
    from graph.inputs.reading import load_graph
    from graph.linking.client import SparqlClient
    from graph.linking.reconcile import (
        alignments_path,
        apply_matches,
        entities_to_reconcile,
        format_report,
        recheck,
        reconcile,
        report_as_json,
    )
    from graph.linking.targets import DEFAULT_ENDPOINT

    if not 0 <= args.threshold <= 1:
        raise InputError("--threshold must be between 0 and 1")
    default = DEFAULT_ENDPOINT if args.target == "wikidata" else "https://dbpedia.org/sparql"
    settings = client_settings(args, default)
    ds = load_graph(args.ontology, args.data)
    path = alignments_path(args.data)
    today = dt.date.today()
    with SparqlClient(settings) as client:
        if args.recheck:
            confirmed, problems = recheck(ds, client, path, today, apply=not args.dry_run)
            lines = [f"confirmed {len(confirmed)} link(s)"]
            lines += [f"PROBLEM {a}: {why}" for a, why in problems]
            if not args.dry_run and confirmed:
                lines.append(f"refreshed kz:lastChecked in {path}")
            emit("\n".join(lines) + "\n", args.output)
            return 1 if problems else 0
        entities = entities_to_reconcile(ds, args.target, args.entity)
        report = reconcile(ds, client, entities, args.target, args.threshold)
        requests_note = (
            f"{client.network_requests} request(s) to the endpoint, "
            f"{client.cache_hits} answered from the cache"
        )
    if args.format == "json":
        text = (
            json.dumps(
                {**report_as_json(report), "requests": requests_note}, indent=2, ensure_ascii=False
            )
            + "\n"
        )
    else:
        text = printable(format_report(report), newlines=True) + requests_note + "\n"
    if not args.dry_run and report.accepted:
        written = apply_matches(
            path, report.accepted, args.target, settings.endpoint, today, labels=ds
        )
        if args.format == "table":
            text += f"wrote {len(written)} alignment(s) to {path}\n"
    elif args.dry_run and args.format == "table":
        text += "dry run: nothing written\n"
    emit(text, args.output)
    return 0
