"""``kzgraph load``: bulk-load large RDF files into the persistent Oxigraph store."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from graph.cli.options import add_subcommand
from graph.errors import InputError
from graph.terminal import printable

NAME = "load"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "bulk-load large RDF files into the Oxigraph store",
        "Load large RDF files (millions of triples: N-Quads, N-Triples, Turtle, TriG, RDF/XML,\n"
        "JSON-LD, optionally gzipped) into the persistent Oxigraph store at --location, with\n"
        "Oxigraph's own parser. Named graphs are kept; triples outside a named graph go into\n"
        "--graph (default: kzg:<file name>); every triple is also added to the default graph,\n"
        "which is the merge of all graphs as everywhere in kzgraph. The load is all or nothing:\n"
        "interrupted or killed, the store keeps its previous content. --curated adds the\n"
        "curated graph (ontology/ and data/). A progress bar is shown on a terminal only.\n"
        "Query the result with --store oxigraph --location DIR.",
        "kzgraph load --curated acts.nq treaties.nt.gz --location ./kzgraph-store\n"
        "kzgraph load --replace wikidata.nt --graph kzg:wikidata --location ./kzgraph-store",
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="RDF files to load")
    parser.add_argument(
        "--location", metavar="DIR", required=True, help="the Oxigraph store directory"
    )
    parser.add_argument(
        "--format",
        choices=["nquads", "ntriples", "turtle", "trig", "rdfxml", "jsonld", "n3"],
        help="the files' format (default: from each file's extension)",
    )
    parser.add_argument(
        "--graph",
        metavar="IRI",
        help="named graph for triples outside a named graph (an IRI or kzg:name)",
    )
    parser.add_argument(
        "--replace", action="store_true", help="replace the store's content instead of adding to it"
    )
    parser.add_argument(
        "--curated",
        action="store_true",
        help="also load the curated graph (the ontology and data directories)",
    )
    parser.add_argument("--ontology", metavar="DIR", help="ontology directory for --curated")
    parser.add_argument("--data", metavar="DIR", help="data directory for --curated")
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="draw the progress bar even when standard error is not a terminal",
    )
    progress.add_argument(
        "--no-progress", dest="progress", action="store_false", help="never draw it"
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="print a summary line even when standard error is not a terminal",
    )
    return parser


def expand_graph(name: str | None) -> str | None:
    """``kzg:x``-style prefixed names and full IRIs; anything else is refused."""
    if name is None:
        return None
    import pyoxigraph as ox

    from graph.namespaces import PREFIXES

    prefix, colon, local = name.partition(":")
    if colon and prefix in PREFIXES and not local.startswith("//"):
        iri = PREFIXES[prefix] + local
    elif name.startswith(("http://", "https://", "urn:")):
        iri = name
    else:
        raise InputError(
            f"--graph {printable(name)!r} is not an IRI or a prefixed name such as kzg:imports"
        )
    try:
        ox.NamedNode(iri)  # the store's own IRI check: spaces, brackets, bad escapes
    except ValueError as exc:
        raise InputError(f"--graph {printable(name)!r} is not a valid IRI ({exc})") from None
    return iri


def run(args: argparse.Namespace) -> int:
    from graph.progress import wants_progress
    from graph.stores.bulkload import Source, load, source_for

    if not args.files and not args.curated:
        raise InputError("nothing to load: give FILE arguments or --curated")
    graph = expand_graph(args.graph)
    sources = [source_for(path, args.format, graph) for path in args.files]
    marker: dict[str, Any] = {}
    if args.curated:
        import pyoxigraph as ox

        from graph.inputs.reading import load_graph
        from graph.inputs.writing import export
        from graph.stores.persistent import source_fingerprint

        dataset = load_graph(args.ontology, args.data)
        sources.insert(
            0, Source("curated graph", ox.RdfFormat.N_QUADS, data=export(dataset, "nquads"))
        )
        marker["sha256"] = source_fingerprint(args.ontology, args.data)
    report = load(
        args.location, sources, replace=args.replace, marker=marker, show_progress=args.progress
    )
    if args.verbose or wants_progress(force=args.progress):
        what = "replaced the content of" if report.replaced else "added to"
        print(
            f"kzgraph: loaded {', '.join(report.files)}"
            f" ({report.bytes_read / 1e6:,.1f} MB read) and"
            f" {what} the Oxigraph store in {args.location}: {report.quads:,} quads"
            f" ({report.seconds:.1f} s)",
            file=sys.stderr,
        )
    return 0
