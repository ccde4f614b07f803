"""``kzgraph add-source``: register a source text so evidence can cite it by its IRI."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from graph.cli.options import add_input_options, add_subcommand

NAME = "add-source"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "register a source text (SHA-256, place, metadata)",
        "Register the plain-text copy FILE of an article in data/sources.trig (graph\n"
        "kzg:sources): its IRI, title, URL, outlet, publication date, language, SHA-256 and\n"
        "where it lives (kz:localFile, relative to the source folder that holds it: --seeds or\n"
        "$KZGRAPH_SEEDS, the project's ../shared/seeds, or the project itself). Afterwards\n"
        "`kzgraph locate IRI QUOTE` and the evidence checks find the text by its IRI.\n"
        "Refuses a text already registered, an IRI already used, or a file outside the\n"
        "source folders; nothing is written then. Prints the new source's IRI.",
        "kzgraph add-source ../shared/seeds/003.txt --title 'A New Law' --outlet 'Example News'"
        " --url https://example.org/a-new-law --published 2022-05-01",
    )
    parser.add_argument("file", metavar="FILE", help="the source text (UTF-8 plain text)")
    parser.add_argument("--title", required=True, help="the article's title")
    parser.add_argument("--url", required=True, help="where the article is published")
    parser.add_argument("--outlet", required=True, help="the outlet that published it")
    parser.add_argument(
        "--published", required=True, metavar="DATE", help="publication date, YYYY-MM-DD"
    )
    parser.add_argument(
        "--id", metavar="SLUG", help="IRI slug under kzr: (default: article-<slug of the title>)"
    )
    parser.add_argument("--language", default="en", help="language tag of the text (default: en)")
    parser.add_argument(
        "--opinion", action="store_true", help="an opinion piece (schema:OpinionNewsArticle)"
    )
    parser.add_argument("--seeds", metavar="DIR", help="the folder holding the source texts")
    add_input_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from graph.errors import display_path
    from graph.inputs.evidence import register_source

    found = register_source(
        args.file,
        args.title,
        args.url,
        args.outlet,
        args.published,
        ontology_dir=args.ontology,
        data_dir=args.data,
        seeds=args.seeds,
        slug=args.id,
        language=args.language,
        opinion=args.opinion,
    )
    print(f"kzr:{found.iri.rsplit('/', 1)[-1]}")
    print(
        f"kzgraph: registered {found.local_file} (sha256 {found.sha256[:12]}…)"
        f" in {display_path(found.written)}",
        file=sys.stderr,
    )
    return 0
