"""``kzgraph enrich``: import facts about the linked entities into their own graph."""

from __future__ import annotations

import argparse
from typing import Any

from graph.cli.link import add_client_options, client_settings
from graph.cli.options import add_input_options, add_subcommand
from graph.terminal import printable

NAME = "enrich"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "import labels, descriptions and dates of linked entities",
        "For every entity that data/alignments.ttl links to Wikidata, import its labels and\n"
        "descriptions in the chosen languages, its dates of birth, inception or adoption, and\n"
        "for treaties the date each state of this graph became a party (P6193 with P585).\n"
        "The facts go to data/enrichment.ttl (graph kzg:enrichment), marked with the endpoint\n"
        "and the retrieval time, and never mix with curated facts. --drop deletes them;\n"
        "--refresh refetches them. A network failure changes no file (exit 2).",
        "kzgraph enrich --lang kk,ru,de",
    )
    parser.add_argument(
        "--lang",
        default="kk,ru",
        metavar="LANGS",
        help="comma-separated language tags for labels and descriptions (default: kk,ru); "
        "English labels stay curated",
    )
    parser.add_argument("--drop", action="store_true", help="delete the imported facts and exit")
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would be imported, write nothing"
    )
    add_client_options(parser)
    add_input_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from graph.inputs.reading import load_graph
    from graph.linking.client import SparqlClient
    from graph.linking.enrich import drop_enrichment, enrich, enrichment_path, enrichment_text
    from graph.linking.targets import DEFAULT_ENDPOINT, ENRICHMENT_FILE, ENRICHMENT_GRAPH

    path = enrichment_path(args.data)
    if args.drop:
        if drop_enrichment(path):
            print(f"dropped the imported facts ({path})")
        else:
            print(f"no imported facts to drop ({path} does not exist)")
        return 0
    languages = [lang.strip() for lang in args.lang.split(",") if lang.strip()]
    settings = client_settings(args, DEFAULT_ENDPOINT)
    ds = load_graph(args.ontology, args.data)
    # the enrichment file being replaced must not feed the new one
    ds.remove_graph(ENRICHMENT_GRAPH)
    with SparqlClient(settings) as client:
        result = enrich(ds, client, languages)
        note = (
            f"{client.network_requests} request(s) to the endpoint, "
            f"{client.cache_hits} answered from the cache"
        )
    text = enrichment_text(result, settings.endpoint, languages)
    summary = (
        f"{result.entities} entities: {result.labels} labels, {result.descriptions} "
        f"descriptions, {result.dates} dates, {result.parties} treaty-party records ({note})"
    )
    if args.dry_run:
        print(printable(text, newlines=True), end="")
        print(f"dry run: nothing written; {summary}")
        return 0
    from graph.linking.turtle import write_text_atomic

    write_text_atomic(path, text)
    print(f"wrote {path.name if path.name == ENRICHMENT_FILE else path}: {summary}")
    return 0
