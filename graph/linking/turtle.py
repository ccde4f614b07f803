"""Canonical Turtle for the files kzgraph writes (alignments, enrichment): grouped by subject,
sorted, diff-friendly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, NamespaceManager
from rdflib.term import Node

from graph.errors import InputError
from graph.namespaces import PREFIXES


def _namespace_manager(prefixes: Mapping[str, str]) -> NamespaceManager:
    nm = NamespaceManager(Graph(bind_namespaces="none"), bind_namespaces="none")
    for prefix, iri in prefixes.items():
        nm.bind(prefix, iri, override=True, replace=True)
    return nm


def _short(term: Node, nm: NamespaceManager) -> str:
    if isinstance(term, URIRef):
        for prefix, ns in sorted(nm.namespaces(), key=lambda pn: -len(pn[1])):
            local = term[len(ns) :]
            if term.startswith(ns) and re.fullmatch(r"[A-Za-z_][\w-]*(?:\.[\w-]+)*", local):
                return f"{prefix}:{local}"
        return f"<{term}>"
    return term.n3(nm)


def turtle_term(term: Node, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """``term`` as the files kzgraph writes show it: ``kzr:kazakhstan`` where a prefix fits,
    else ``<IRI>`` (a literal in its Turtle form); for comments and tables beside them."""
    return _short(term, _namespace_manager(prefixes))


def format_turtle(
    graph: Graph,
    header: str,
    sections: Sequence[tuple[str, Sequence[URIRef]]],
    prefixes: Mapping[str, str] | None = None,
) -> str:
    """Turtle grouped by subject, in the given sections, with stable ordering.

    Args:
        graph: the triples to write (every subject must be listed in some section).
        header: comment text for the top of the file (without ``#``).
        sections: ``(comment, subjects)`` pairs; each becomes a commented block.
        prefixes: prefix map; default the canonical one. Only used prefixes are written.
    """
    nm = _namespace_manager(prefixes or PREFIXES)
    listed = [s for _c, subjects in sections for s in subjects]
    missing = {s for s in graph.subjects() if s not in set(listed)}
    if missing:
        raise ValueError(f"subjects not in any section: {sorted(map(str, missing))}")
    body: list[str] = []
    for comment, subjects in sections:
        if not subjects:
            continue
        body.append("")
        body.extend(f"# {line}".rstrip() for line in comment.splitlines())
        blocks = [_subject_block(graph, subject, nm) for subject in subjects]
        body.append("\n\n".join(b for b in blocks if b))
    text = "\n".join(body)
    used = sorted(
        {p for p, ns in nm.namespaces() if re.search(rf"(?<![\w:/#<\"-]){re.escape(p)}:[\w]", text)}
    )
    lines = [f"# {line}".rstrip() for line in header.strip().splitlines()]
    lines.append("")
    width = max((len(p) for p in used), default=0) + 1
    ns_map = dict(nm.namespaces())
    lines.extend(f"@prefix {(p + ':').ljust(width)} <{ns_map[p]}> ." for p in used)
    return "\n".join(lines) + "\n" + text + "\n"


def _subject_block(graph: Graph, subject: URIRef, nm: NamespaceManager) -> str:
    def order(p: Node) -> tuple[int, str]:
        rank = {RDF.type: 0, RDFS.label: 1}.get(p, 2)  # type: ignore[call-overload]
        return rank, _short(p, nm)

    predicates = sorted(set(graph.predicates(subject)), key=order)
    parts = []
    for p in predicates:
        objects = sorted(_short(o, nm) for o in graph.objects(subject, p))
        name = "a" if p == RDF.type else _short(p, nm)
        parts.append(f"    {name} " + " ,\n        ".join(objects))
    if not parts:
        return ""
    return _short(subject, nm) + " " + " ;\n".join(parts)[4:] + " ."


def write_text_atomic(path: Path, text: str) -> None:
    from graph.inputs.writing import write_atomic

    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", path) from None
