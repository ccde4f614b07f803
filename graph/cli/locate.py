"""``kzgraph locate``: find a quote in a source text and print its provenance block."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from graph.cli.options import add_input_options, add_subcommand
from graph.terminal import printable

NAME = "locate"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "find a quote in a source text for its provenance",
        "Find QUOTE in SOURCE (whitespace layout ignored) and print its paragraph number,\n"
        "start and end offsets (code points, 0-based, end exclusive) and a TriG block for\n"
        "kzg:provenance. SOURCE is a registered source's IRI (kzr:article-..., see\n"
        "`kzgraph add-source`), whose text is found through its kz:localFile, or a file, whose\n"
        "source IRI is then looked up by kz:localFile. A quote found twice, or not at all, is\n"
        "an error.",
        'kzgraph locate kzr:article-new-human-rights-amendment "a few words to quote"\n'
        'kzgraph locate ../shared/seeds/002_16aff84214ee5845.txt "a few words to quote"',
    )
    parser.add_argument(
        "source_file", metavar="SOURCE", help="a registered source's IRI (or CURIE), or a file"
    )
    parser.add_argument("quote", metavar="QUOTE", help="the passage to find (one sentence at most)")
    parser.add_argument(
        "--assertion", metavar="CURIE", help="evidence graph name, e.g. kze:decree-signed"
    )
    parser.add_argument("--source", metavar="CURIE", help="source document (default: looked up)")
    parser.add_argument("--agent", metavar="CURIE", help="who claims the passage's content")
    parser.add_argument(
        "--mode", metavar="CURIE", help="kz:assertionMode, e.g. kz:Narration or kz:DirectQuote"
    )
    parser.add_argument("--seeds", metavar="DIR", help="the folder holding the source texts")
    add_input_options(parser)
    return parser


def _is_iri(text: str) -> bool:
    """A CURIE (``kzr:name``) or an absolute IRI rather than a file name."""
    import re
    from pathlib import Path

    if Path(text).exists():
        return False
    return bool(re.fullmatch(r"<?https?://\S+>?|[A-Za-z][\w.-]*:[^/\s]\S*", text))


def run(args: argparse.Namespace) -> int:
    from graph.errors import KzGraphError
    from graph.inputs.evidence import (
        PLACEHOLDER_AGENT,
        PLACEHOLDER_ASSERTION,
        PLACEHOLDER_MODE,
        PLACEHOLDER_SOURCE,
        locate,
        provenance_block,
        source_for_file,
    )

    source = args.source
    target = args.source_file
    if _is_iri(target):
        from graph.inputs.evidence import source_text_path
        from graph.inputs.locations import source_dirs
        from graph.inputs.reading import load_graph

        ds = load_graph(args.ontology, args.data)
        iri = _expand(ds, target)
        target = source_text_path(ds, iri, source_dirs(args.data, args.seeds))
        source = source or ds.namespace_manager.normalizeUri(iri)
    found = locate(target, args.quote)
    if source is None:
        try:
            from graph.inputs.reading import load_graph

            ds = load_graph(args.ontology, args.data)
            iri = source_for_file(ds, Path(args.source_file).name)
            source = ds.namespace_manager.normalizeUri(iri) if iri is not None else None
        except KzGraphError:
            source = None  # the block is still useful with a placeholder
    print(f"file:       {found.path}")
    print(f"paragraph:  {found.paragraph}")
    print(f"offsets:    {found.start}..{found.end} (start inclusive, end exclusive)")
    print(f"quote:      {printable(found.quote)}")
    print()
    print(
        provenance_block(
            found,
            assertion=args.assertion or PLACEHOLDER_ASSERTION,
            source=source or PLACEHOLDER_SOURCE,
            agent=args.agent or PLACEHOLDER_AGENT,
            mode=args.mode or PLACEHOLDER_MODE,
        ),
        end="",
    )
    return 0


def _expand(ds: Any, text: str) -> Any:
    """The IRI a CURIE or ``<IRI>`` names, with the project's prefixes."""
    from rdflib import URIRef

    from graph.errors import InputError

    if text.startswith("<") or text.startswith(("http://", "https://")):
        return URIRef(text.strip("<>"))
    try:
        return ds.namespace_manager.expand_curie(text)
    except ValueError:
        raise InputError(f"unknown prefix in {text!r} (use kzr:name or a full IRI)") from None
