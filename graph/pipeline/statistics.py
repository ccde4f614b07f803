"""Counts that describe the dataset: by class, by predicate, by kind of named graph, totals.

One :func:`stats` computes a plain dict (JSON-ready, prefixed names, deterministic order);
:func:`format_table` and :func:`format_markdown` render it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from rdflib import Dataset, URIRef
from rdflib.namespace import RDF, NamespaceManager
from rdflib.term import Node

from graph.inputs.reading import new_dataset, quads
from graph.namespaces import prefixes_for
from graph.tables import aligned_table

#: Kinds of named graph, in report order.
GRAPH_KINDS = (
    "evidence",
    "provenance",
    "sources",
    "ontology",
    "alignments",
    "enrichment",
    "inferred",
    "other",
)


def graph_kind(name: Node, prefixes: Mapping[str, str] | None = None) -> str:
    """``evidence`` for ``kze:`` graphs, the local name for the special ``kzg:`` ones, or other."""
    ns = prefixes or prefixes_for()
    text = str(name)
    if text.startswith(ns["kze"]):
        return "evidence"
    local = text[len(ns["kzg"]) :] if text.startswith(ns["kzg"]) else ""
    return local if local in GRAPH_KINDS else "other"


def _ranked(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def stats(ds: Dataset, prefixes: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Counts of ``ds`` as a dict: ``totals``, ``graphs``, ``classes``, ``predicates``.

    ``classes`` counts distinct typed resources per class and ``predicates`` distinct triples
    per predicate, both over the union of the curated graphs (``kzg:inferred`` excluded, so
    the figures do not depend on the inference mode); ``graphs`` counts graphs and quads per
    kind of named graph.
    """
    ns = dict(prefixes or prefixes_for())
    names = NamespaceManager(new_dataset(ns), bind_namespaces="none")
    for prefix, iri in ns.items():
        names.bind(prefix, iri, override=True, replace=True)

    def short(term: Node) -> str:
        if isinstance(term, URIRef):
            try:
                return names.normalizeUri(term)
            except Exception:
                return term.n3()
        return term.n3()

    graph_count: Counter[str] = Counter()
    graph_quads: Counter[str] = Counter()
    seen_graphs: set[Node] = set()
    curated: set[tuple[Node, Node, Node]] = set()
    total_quads = 0
    for s, p, o, g in quads(ds):
        kind = graph_kind(g, ns)
        total_quads += 1
        graph_quads[kind] += 1
        if g not in seen_graphs:
            seen_graphs.add(g)
            graph_count[kind] += 1
        if kind != "inferred":
            curated.add((s, p, o))

    classes: Counter[str] = Counter()
    predicates: Counter[str] = Counter()
    typed: set[tuple[Node, Node]] = set()
    subjects: set[Node] = set()
    for s, p, o in curated:
        predicates[short(p)] += 1
        subjects.add(s)
        if p == RDF.type and (s, o) not in typed:
            typed.add((s, o))
            classes[short(o)] += 1

    alignments = _alignment_counts(curated, ns)
    entities = {
        s
        for s in subjects
        if isinstance(s, URIRef) and s.startswith(ns["kzr"]) and not s.startswith(ns["kzt"])
    }
    return {
        "totals": {
            "quads": total_quads,
            "curated_triples": len(curated),
            "named_graphs": len(seen_graphs),
            "evidence_graphs": graph_count["evidence"],
            "entities": len(entities),
            "classes": len(classes),
            "predicates": len(predicates),
        },
        "graphs": {
            kind: {"graphs": graph_count[kind], "quads": graph_quads[kind]}
            for kind in GRAPH_KINDS
            if graph_count[kind]
        },
        "classes": _ranked(classes),
        "predicates": _ranked(predicates),
        "alignments": alignments,
    }


#: How an alignment counts: verified by a curator against a cited record, reconciled by
#: `kzgraph link` with a score, or pending (no identifier yet).
ALIGNMENT_STATES = ("verified", "reconciled", "pending")


def _alignment_counts(
    triples: set[tuple[Node, Node, Node]], ns: Mapping[str, str]
) -> dict[str, Any]:
    """Alignments (``kz:Alignment``) by state, in all and per target dataset (by its label)."""
    kz = ns["kz"]
    rdfs_label = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
    by_subject: dict[Node, dict[Node, Node]] = {}
    labels: dict[Node, str] = {}
    for s, p, o in triples:
        if p == rdfs_label and getattr(o, "language", None) in (None, "en"):
            labels.setdefault(s, str(o))
        if str(p).startswith(kz) and p != URIRef(kz + "confidence"):
            by_subject.setdefault(s, {})[p] = o
    found = {s for s, p, o in triples if p == RDF.type and o == URIRef(kz + "Alignment")}
    total: Counter[str] = Counter()
    per_dataset: dict[str, Counter[str]] = {}
    for a in found:
        props = by_subject.get(a, {})
        if props.get(URIRef(kz + "alignmentStatus")) == URIRef(kz + "Verified"):
            reconciled = props.get(URIRef(kz + "mappingMethod")) == URIRef(kz + "Reconciled")
            state = "reconciled" if reconciled else "verified"
        else:
            state = "pending"
        dataset = props.get(URIRef(kz + "targetDataset"))
        name = labels.get(dataset, str(dataset)) if dataset is not None else "(no dataset)"
        total[state] += 1
        per_dataset.setdefault(name, Counter())[state] += 1
    return {
        **{state: total[state] for state in ALIGNMENT_STATES},
        "by_dataset": {
            name: {state: counts[state] for state in ALIGNMENT_STATES}
            for name, counts in sorted(per_dataset.items())
        },
    }


def _sections(summary: Mapping[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    totals = [[k.replace("_", " "), str(v)] for k, v in summary["totals"].items()]
    graphs = [[k, str(v["graphs"]), str(v["quads"])] for k, v in summary["graphs"].items()]
    classes = [[k, str(v)] for k, v in summary["classes"].items()]
    predicates = [[k, str(v)] for k, v in summary["predicates"].items()]
    found = summary.get("alignments") or {"by_dataset": {}}
    links = [
        [name, *(str(counts[s]) for s in ALIGNMENT_STATES)]
        for name, counts in found["by_dataset"].items()
    ]
    if links:
        links.append(["all", *(str(found[s]) for s in ALIGNMENT_STATES)])
    sections = [
        ("Totals", ["measure", "count"], totals),
        ("Named graphs by kind", ["kind", "graphs", "quads"], graphs),
        ("Links to other datasets (alignments)", ["dataset", *ALIGNMENT_STATES], links),
        ("Resources by class", ["class", "resources"], classes),
        ("Triples by predicate", ["predicate", "triples"], predicates),
    ]
    return [section for section in sections if section[2] or not section[0].startswith("Links")]


def format_table(summary: Mapping[str, Any], sections: int | None = None) -> str:
    """Plain-text tables, numbers right-aligned; only the first ``sections`` when given."""
    return "\n".join(
        f"{title}\n" + aligned_table(header, rows, right=range(1, len(header)))
        for title, header, rows in _sections(summary)[:sections]
    )


def format_markdown(summary: Mapping[str, Any]) -> str:
    """GitHub-flavoured Markdown: one heading and table per section."""
    out = ["# kzgraph summary", ""]
    for title, header, rows in _sections(summary):
        out += [f"## {title}", ""]
        out.append("| " + " | ".join(header) + " |")
        out.append("| " + " | ".join(["---"] + ["---:"] * (len(header) - 1)) + " |")
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
        out.append("")
    return "\n".join(out)
