"""``kzgraph show``: one entity, its facts with their sources, and its links to other datasets."""

from __future__ import annotations

import argparse
import json
from typing import Any

from graph.cli.options import add_input_options, add_output_option, add_subcommand, emit

NAME = "show"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = add_subcommand(
        subparsers,
        NAME,
        "show an entity: kind, facts with sources, external links",
        "Print what the graph says about one entity: its label and kind, every fact with the\n"
        "evidence it rests on (source, paragraph, claimant, quote), what refers to it, and its\n"
        "links to Wikidata, DBpedia and the treaty registries with their status (exact or close;\n"
        "verified against a cited record, reconciled with a score, or pending; last checked)\n"
        "and the addresses they were verified at. The entity is given by label, prefixed name\n"
        "or IRI, as for `kzgraph paths`; a name that fits several entities is refused with the\n"
        "list of them.",
        'kzgraph show "Igor Rogov"\nkzgraph show kzr:iccpr --format json -o iccpr.json',
    )
    parser.add_argument("entity", metavar="ENTITY", help="label, prefixed name or IRI")
    parser.add_argument(
        "--format", choices=["text", "json"], default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--lang",
        default="en",
        metavar="TAG",
        help="language of labels where the data has it, else English (default: en)",
    )
    parser.add_argument(
        "--no-sources", action="store_true", help="facts and links without their evidence"
    )
    add_output_option(parser)
    add_input_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from graph.errors import InputError
    from graph.explore.network import to_networkx
    from graph.explore.resolve import resolve
    from graph.inputs.reading import load_graph
    from graph.linking.external import external_links
    from graph.serving.entity import describe_entity
    from graph.stores.memory import MemoryStore

    ds = load_graph(args.ontology, args.data)
    iri = resolve(to_networkx(ds), args.entity)
    described = describe_entity(MemoryStore(ds), iri, args.lang)
    if described is None:  # pragma: no cover - resolve only returns entities of the graph
        raise InputError(f"nothing is known about {args.entity!r}")
    links = external_links(ds, iri)
    if args.format == "json":
        data = {"entity": described, "external_links": [link.to_dict() for link in links]}
        emit(json.dumps(data, indent=2, ensure_ascii=False) + "\n", args.output)
    else:
        emit(format_entity(described, links, sources=not args.no_sources), args.output)
    return 0


def _name(term: dict[str, Any]) -> str:
    if term.get("kind") == "iri":
        label, short = term.get("label"), term.get("short") or term.get("iri")
        return f"{label} ({short})" if label else str(short)
    text = str(term.get("text", ""))
    if term.get("lang"):
        return f'"{text}"@{term["lang"]}'
    if term.get("datatype"):
        return f'"{text}"^^{term["datatype"]}'
    return f'"{text}"'


def _predicate(term: dict[str, Any]) -> str:
    return str(term.get("label") or term.get("short") or term.get("iri"))


def _source(entry: dict[str, Any]) -> str:
    """``from <source>, ¶6, claimed by <claimant>: “quote”`` (or the graph it is held in)."""
    if "source" not in entry:
        return f"in {entry['graph'].get('short') or entry['graph'].get('iri')}"
    parts = [f"from {_name(entry['source'])}"]
    if "paragraph" in entry:
        parts.append(f"¶{entry['paragraph'].get('text')}")
    if "claimant" in entry:
        parts.append(f"claimed by {_name(entry['claimant'])}")
    line = ", ".join(parts)
    if "quote" in entry:
        line += f": “{entry['quote'].get('text')}”"
    return line


def format_entity(described: dict[str, Any], links: list[Any], sources: bool = True) -> str:
    """The text ``kzgraph show`` prints; every piece of data text made safe for a terminal."""
    from graph.linking.external import format_external_links
    from graph.terminal import escape_invisible

    title = described.get("label") or described["short"]
    kinds = ", ".join(_name(t) for t in described["types"]) or "(no type)"
    out = [title, f"  {described['short']}  <{described['iri']}>", f"  kind: {kinds}"]
    if described.get("description"):
        out.append(f"  {described['description']}")
    out += ["", f"Facts ({len(described['facts'])})"]
    for fact in described["facts"]:
        out.append(f"  {_predicate(fact['predicate'])}: {_name(fact['object'])}")
        if sources:
            out += [f"      {_source(s)}" for s in fact["sources"]]
    if described["incoming"]:
        out += ["", f"Referred to by ({len(described['incoming'])})"]
        for ref in described["incoming"]:
            out.append(f"  {_name(ref['subject'])}  ({_predicate(ref['predicate'])})")
    out += ["", f"External links ({len(links)})"]
    if links:
        out += format_external_links(links, evidence=sources).splitlines()
        if sources:
            pending = [link for link in links if link.status == "pending" and link.note]
            out += [f"  note ({link.dataset_label}): {link.note}" for link in pending]
    else:
        out.append("  none")
    if described.get("truncated"):
        out += ["", "(lists cut short: use `kzgraph query` for everything)"]
    return "\n".join(escape_invisible(line) for line in out) + "\n"
