"""``kzgraph publish``: load the graph into a SPARQL store through the Graph Store Protocol."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from graph.cli.options import add_input_options, add_subcommand, check_url

NAME = "publish"
PASSWORD_VARIABLE = "KZGRAPH_ENDPOINT_PASSWORD"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "load the graph into a SPARQL store (Graph Store Protocol)",
        "PUT every named graph to a SPARQL 1.1 Graph Store Protocol service (graph names kept,\n"
        "each graph replaced), plus the merge of all graphs as the default graph, then check\n"
        "through the query endpoint that every triple arrived. With a SPARQL Update endpoint\n"
        "(--update; by default the query endpoint's URL with /query changed to /update, as\n"
        "Oxigraph and Fuseki name it) the graphs are staged under temporary names and switched\n"
        "in by one update request, so readers never see a mix of old and new graphs; without\n"
        "one they are replaced one by one. The password for --user comes from\n"
        f"${PASSWORD_VARIABLE}.",
        "kzgraph publish --endpoint http://127.0.0.1:7878/query --graph-store http://127.0.0.1:7878/store",
    )
    parser.add_argument(
        "--endpoint", metavar="URL", required=True, help="the SPARQL query endpoint"
    )
    parser.add_argument(
        "--graph-store",
        metavar="URL",
        help="the Graph Store Protocol endpoint (default: the query endpoint)",
    )
    parser.add_argument(
        "--update",
        metavar="URL",
        help="the SPARQL Update endpoint that switches the staged graphs in (default: the query"
        " endpoint with /query changed to /update, when it ends so)",
    )
    parser.add_argument(
        "--no-staging",
        action="store_true",
        help="replace graphs one by one, without staging and one switch",
    )
    parser.add_argument("--user", help="user name for HTTP authentication of the writes")
    parser.add_argument(
        "--auth", choices=["digest", "basic"], default="digest", help="HTTP authentication scheme"
    )
    parser.add_argument(
        "--no-default-graph",
        action="store_true",
        help="do not write the merge of all graphs into the default graph",
    )
    add_input_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from graph.errors import ValidationFailed
    from graph.inputs.reading import load_graph, named_graphs, quads
    from graph.sparql.guard import check_query
    from graph.stores.endpoint import EndpointStore
    from graph.stores.publish import publish

    check_url(args.endpoint, "--endpoint")
    if args.graph_store:
        check_url(args.graph_store, "--graph-store")
    if args.update:
        check_url(args.update, "--update")
    update = None if args.no_staging else args.update or update_endpoint_for(args.endpoint)
    dataset = load_graph(args.ontology, args.data)
    report = publish(
        dataset,
        args.graph_store or args.endpoint,
        user=args.user,
        password=os.environ.get(PASSWORD_VARIABLE),
        auth=args.auth,
        default_graph=not args.no_default_graph,
        update=update,
    )
    # read back through the query endpoint: every graph with its number of triples
    names = named_graphs(dataset)
    values = " ".join(f"<{n}>" for n in names)
    answer = EndpointStore(args.endpoint).query(
        check_query(
            f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }}"
            " GRAPH ?g { ?s ?p ?o } }"
            " GROUP BY ?g"
        )
    )
    found = {str(g): int(n) for g, n in answer.rows()}  # type: ignore[call-overload]
    expected: dict[str, int] = {}
    for _s, _p, _o, g in quads(dataset):
        expected[str(g)] = expected.get(str(g), 0) + 1
    missing = sorted(g for g, n in expected.items() if found.get(g) != n)
    if missing:
        raise ValidationFailed(
            f"{len(missing)} graph(s) differ at {args.endpoint} after publishing,"
            f" e.g. <{missing[0]}>"
            f" has {found.get(missing[0], 0)} triples, expected {expected[missing[0]]}"
        )
    how = f", switched in at once by {update}" if report.atomic else ", one by one"
    print(
        f"kzgraph: published {report.graphs} graphs ({report.triples} triples) to"
        f" {report.graph_store}{how}; {args.endpoint} returns all of them",
        file=sys.stderr,
    )
    return 0


def update_endpoint_for(endpoint: str) -> str | None:
    """``.../query`` -> ``.../update`` (Oxigraph's and Fuseki's names); else None."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(endpoint)
    if not parts.path.endswith("/query"):
        return None
    return urlunsplit(parts._replace(path=parts.path[: -len("query")] + "update", query=""))
