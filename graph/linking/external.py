"""External links of one entity, with their status, for ``kzgraph show``, ``kzgraph paths`` and
the pages; and all of them as Markdown for docs/linking.md.

:func:`external_links` reads one entity's alignments with their status (exact/close;
verified, reconciled or pending; last checked; evidence); :func:`links_markdown` writes them all.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.term import Node

from graph.linking.alignments import alignments, entity_label, entity_slug
from graph.linking.federated import is_project_iri
from graph.linking.targets import compact_target
from graph.linking.turtle import turtle_term
from graph.namespaces import KZ
from graph.terminal import escape_invisible


@dataclass(frozen=True)
class EvidenceRef:
    """Where an identifier was verified: a public address (or project record) and its label."""

    iri: URIRef
    label: str | None


@dataclass(frozen=True)
class ExternalLink:
    """One alignment of an entity with another dataset, as a reader needs it.

    Attributes:
        alignment: the kz:Alignment that describes the link.
        dataset: the target dataset (kzr:dataset-wikidata, ...) and ``dataset_label`` its name.
        target: the resource linked to; None while the alignment is pending.
        prop: the linking property (owl:sameAs, skos:exactMatch, skos:closeMatch, rdfs:seeAlso).
        match: ``"exact"`` or ``"close"`` (None while pending).
        status: ``"verified"`` (curated against a cited record), ``"reconciled"`` (accepted by
            `kzgraph link` with a score) or ``"pending"``.
        confidence: the reconciler's score, for reconciled links.
        last_checked: when the link was last checked (or, pending, last looked for).
        evidence: where the identifier was verified, in IRI order.
        note: the editorial note (why, or what was searched).
    """

    alignment: URIRef
    dataset: URIRef | None
    dataset_label: str
    target: URIRef | None
    prop: URIRef | None
    match: str | None
    status: str
    confidence: float | None
    last_checked: dt.date | None
    evidence: tuple[EvidenceRef, ...]
    note: str | None

    @property
    def short_target(self) -> str:
        """``wd:Q232``, ``dbr:Kazakhstan`` or the full IRI; ``-`` while pending."""
        if self.target is None:
            return "-"
        short = compact_target(self.target)
        return str(self.target) if short.startswith("<") else short

    def status_text(self) -> str:
        """``exact, verified, checked 2026-12-02``: the words a page or a terminal shows."""
        parts = [self.match] if self.match else []
        parts.append(
            self.status if self.confidence is None else f"{self.status} {self.confidence:.3f}"
        )
        if self.last_checked is not None:
            parts.append(f"checked {self.last_checked.isoformat()}")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: every IRI as a string, the date in ISO form."""
        return {
            "alignment": str(self.alignment),
            "dataset": str(self.dataset) if self.dataset is not None else None,
            "dataset_label": self.dataset_label,
            "target": str(self.target) if self.target is not None else None,
            "property": str(self.prop) if self.prop is not None else None,
            "match": self.match,
            "status": self.status,
            "confidence": self.confidence,
            "last_checked": self.last_checked.isoformat() if self.last_checked else None,
            "evidence": [{"iri": str(e.iri), "label": e.label} for e in self.evidence],
            "note": self.note,
        }


_STATUS_ORDER = {"verified": 0, "reconciled": 1, "pending": 2}

_EXTERNAL_LINKS_QUERY = """PREFIX kz: <https://w3id.org/kzgraph/ontology#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?a ?dataset ?datasetLabel ?target ?prop ?kind ?status ?method ?confidence ?checked
       ?note ?evidence ?evidenceLabel
WHERE {
  GRAPH ?g {
    ?a a kz:Alignment ; owl:annotatedSource %s .
    OPTIONAL { ?a kz:targetDataset ?dataset .
               OPTIONAL { ?dataset rdfs:label ?datasetLabel } }
    OPTIONAL { ?a owl:annotatedTarget ?target }
    OPTIONAL { ?a owl:annotatedProperty ?prop }
    OPTIONAL { ?a kz:matchKind ?kind }
    OPTIONAL { ?a kz:alignmentStatus ?status }
    OPTIONAL { ?a kz:mappingMethod ?method }
    OPTIONAL { ?a kz:confidence ?confidence }
    OPTIONAL { ?a kz:lastChecked ?checked }
    OPTIONAL { ?a skos:editorialNote ?note }
    OPTIONAL { ?a prov:wasDerivedFrom ?evidence .
               OPTIONAL { ?evidence rdfs:label ?evidenceLabel } }
  }
}"""


def _rows(source: Any, text: str) -> list[tuple[Node | None, ...]]:
    """SELECT rows as tuples of rdflib terms, from a Dataset, a Graph, a kzgraph Store or a
    pyoxigraph Store: every door answers with the same query text."""
    from graph.stores.base import Store

    if isinstance(source, Store):
        from graph.sparql.guard import check_query

        return source.query(check_query(text)).rows()
    import pyoxigraph as ox

    if isinstance(source, ox.Store):
        from graph.sparql.results import to_rdflib

        solutions = source.query(text)
        if not isinstance(solutions, ox.QuerySolutions):  # pragma: no cover - a SELECT
            raise TypeError("expected SELECT solutions")
        names = [v.value for v in solutions.variables]
        return [
            tuple(to_rdflib(s[n]) if s[n] is not None else None for n in names) for s in solutions
        ]
    from graph.stores.querying import query

    return [tuple(row) for row in query(source, text)]


def external_links(source: Any, iri: str | URIRef) -> list[ExternalLink]:
    """Every alignment of the entity ``iri`` with another dataset, verified ones first.

    Args:
        source: the data: an rdflib Dataset or Graph, a :class:`graph.stores.base.Store`, or a
            pyoxigraph Store holding the ``kzg:alignments`` graph.
        iri: the entity (``https://w3id.org/kzgraph/id/...``).

    Returns:
        A list of :class:`ExternalLink` (frozen dataclasses; ``to_dict()`` gives JSON),
        sorted verified, reconciled, pending, then by dataset and target. Empty when the entity
        has no alignment.
    """
    from graph.sparql.terms import iri_term

    rows = _rows(source, _EXTERNAL_LINKS_QUERY % iri_term(str(iri)))
    grouped: dict[Node, dict[str, Any]] = {}
    for (a, dataset, dataset_label, target, prop, kind, status, method, confidence, checked,
         note, evidence, evidence_label) in rows:  # fmt: skip
        if a is None:
            continue
        entry = grouped.setdefault(a, {"evidence": {}})
        for key, value in (
            ("dataset", dataset),
            ("dataset_label", dataset_label),
            ("target", target),
            ("prop", prop),
            ("kind", kind),
            ("status", status),
            ("method", method),
            ("confidence", confidence),
            ("checked", checked),
            ("note", note),
        ):
            if value is not None and key not in entry:
                entry[key] = value
        if isinstance(evidence, URIRef):
            known = entry["evidence"].get(evidence)
            entry["evidence"][evidence] = known or (str(evidence_label) if evidence_label else None)
    links = []
    for a, e in grouped.items():
        if not isinstance(a, URIRef):
            continue
        status = e.get("status")
        if status == KZ.PendingReconciliation or status is None:
            word = "pending"
        elif e.get("method") == KZ.Reconciled:
            word = "reconciled"
        else:
            word = "verified"
        checked = e.get("checked")
        confidence = e.get("confidence")
        dataset = e.get("dataset")
        links.append(
            ExternalLink(
                alignment=a,
                dataset=dataset if isinstance(dataset, URIRef) else None,
                dataset_label=str(
                    e.get("dataset_label") or (entity_slug(dataset) if dataset else "")
                ),
                target=e["target"] if isinstance(e.get("target"), URIRef) else None,
                prop=e["prop"] if isinstance(e.get("prop"), URIRef) else None,
                match={KZ.Exact: "exact", KZ.Close: "close"}.get(e.get("kind")),  # type: ignore[arg-type]
                status=word,
                confidence=float(confidence.toPython())
                if isinstance(confidence, Literal)
                else None,
                last_checked=_as_date(checked),
                evidence=tuple(
                    EvidenceRef(i, label) for i, label in sorted(e["evidence"].items(), key=str)
                ),
                note=str(e["note"]) if e.get("note") is not None else None,
            )
        )
    return sorted(
        links,
        key=lambda x: (
            _STATUS_ORDER[x.status],
            x.dataset_label,
            str(x.target or ""),
            str(x.alignment),
        ),
    )


def _as_date(value: Node | None) -> dt.date | None:
    if not isinstance(value, Literal):
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def format_external_links(links: Sequence[ExternalLink], evidence: bool = True) -> str:
    """Plain text, one link a line (``Wikidata  wd:Q232  exact, verified, checked 2026-12-02``),
    each followed by the addresses it was verified at; empty when there are none."""
    if not links:
        return ""
    width = max(len(escape_invisible(link.dataset_label)) for link in links)
    lines = []
    for link in links:
        target = link.short_target if link.target is not None else "(pending)"
        lines.append(
            f"  {escape_invisible(link.dataset_label).ljust(width)}  {escape_invisible(target)}"
            f"  {link.status_text()}"
        )
        if evidence:
            lines.extend(f"      evidence: {escape_invisible(str(e.iri))}" for e in link.evidence)
    return "\n".join(lines) + "\n"


def links_markdown(source: Dataset | Graph) -> str:
    """Every alignment as Markdown for docs/linking.md: the counts, the links with their status
    and evidence (verified and reconciled), then the pending ones with what was searched."""
    from graph.pipeline.statistics import ALIGNMENT_STATES

    rows: list[tuple[str, str, ExternalLink]] = []
    entities = sorted({r.source for r in alignments(source)}, key=entity_slug)
    for entity in entities:
        for link in external_links(source, entity):
            rows.append((entity_label(source, entity), turtle_term(entity), link))
    counts = {
        state: sum(1 for *_x, link in rows if link.status == state) for state in ALIGNMENT_STATES
    }
    per_dataset: dict[str, set[str]] = defaultdict(set)
    for _label_text, short, link in rows:
        if link.status != "pending":
            per_dataset[link.dataset_label].add(short)

    def cell(text: str) -> str:
        return escape_invisible(text).replace("|", "\\|")

    def evidence(link: ExternalLink) -> str:
        return "; ".join(
            f"[{cell(e.label or str(e.iri))}]({e.iri})"
            if str(e.iri).startswith(("http://", "https://")) and not is_project_iri(e.iri)
            else cell(e.label or str(e.iri))
            for e in link.evidence
        )

    out = [
        f"{counts['verified']} verified, {counts['reconciled']} reconciled and "
        f"{counts['pending']} pending alignments; entities linked (verified or reconciled): "
        + ", ".join(f"{name} {len(shorts)}" for name, shorts in sorted(per_dataset.items()))
        + ".",
        "",
        "| Entity | Dataset | Link | Status | Evidence |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label, short, link in rows:
        if link.status == "pending":
            continue
        target = link.short_target
        shown = f"[{cell(target)}]({link.target})" if link.target is not None else "-"
        out.append(
            f"| {cell(label)} (`{short}`) | {cell(link.dataset_label)} | {shown} "
            f"| {link.status_text()} | {evidence(link)} |"
        )
    out += [
        "",
        "Pending, with what was searched:",
        "",
        "| Entity | Dataset | Searched |",
        "| --- | --- | --- |",
    ]
    for label, short, link in rows:
        if link.status == "pending":
            note = cell(link.note or "")
            out.append(f"| {cell(label)} (`{short}`) | {cell(link.dataset_label)} | {note} |")
    return "\n".join(out) + "\n"
