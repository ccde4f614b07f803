"""Reconciliation: rank candidates in a target dataset (Wikidata by default) for the entities
of this graph by label, alternative labels, expected type and country.

:func:`reconcile` ranks; :func:`apply_matches` writes the accepted ones to
``data/alignments.ttl`` (graph ``kzg:alignments``); :func:`recheck` checks them again.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from graph.errors import InputError
from graph.linking.alignments import (
    alignment_iri,
    alignments,
    entity_label,
    entity_slug,
    wikidata_links,
)
from graph.linking.client import SparqlClient, progress
from graph.linking.targets import (
    ADMS,
    ALIGNMENTS_FILE,
    DEFAULT_ENDPOINT,
    FOAF,
    ORG,
    TARGET_DATASETS,
    TARGET_NAMES,
    VOID,
    WIKIDATA_PREFIXES,
    compact_target,
)
from graph.linking.turtle import format_turtle, turtle_term, write_text_atomic
from graph.namespaces import KZ, KZR, PREFIXES, WD

# -- Reconciliation --


@dataclass(frozen=True)
class Kind:
    """What kind of thing an entity is, for ranking candidates."""

    name: str
    keywords: tuple[str, ...]  # matched against the English labels of the candidate's types
    expects_country: bool  # the candidate should be in (or a citizen of) Kazakhstan
    concept: bool = False  # linked with skos:exactMatch/closeMatch, never owl:sameAs


#: Our classes that have counterparts elsewhere, most specific first.
KINDS: list[tuple[URIRef, Kind]] = [
    (KZ.State, Kind("state", ("country", "sovereign state", "state"), False)),
    (KZ.Treaty, Kind("treaty", ("treaty", "convention", "covenant"), False)),
    (KZ.Constitution, Kind("constitution", ("constitution",), True)),
    (
        KZ.InternationalOrganization,
        Kind(
            "international organisation",
            ("organization", "organisation", "commission", "agency", "council", "body"),
            False,
        ),
    ),
    (
        KZ.StateBody,
        Kind(
            "state body",
            ("ministry", "government", "agency", "commission", "body", "organization", "cabinet"),
            True,
        ),
    ),
    (FOAF.Person, Kind("person", ("human",), True)),
    (ORG.Post, Kind("post", ("position", "office", "post"), True)),
    (KZ.Unrest, Kind("unrest", ("protest", "unrest", "riot", "demonstration"), True)),
    (KZ.ArmedConflict, Kind("armed conflict", ("war", "conflict", "invasion"), False)),
    (KZ.NewsOutlet, Kind("news outlet", ("website", "news", "newspaper", "media"), False)),
    (SKOS.Concept, Kind("topic", (), False, concept=True)),
]

WEIGHTS = {"label": 0.5, "type": 0.3, "country": 0.2}
AMBIGUITY_MARGIN = 0.05


@dataclass(frozen=True)
class EntityInfo:
    """An entity of this graph as the reconciler sees it."""

    iri: URIRef
    label: str
    alt_labels: tuple[str, ...]
    kind: Kind
    country: URIRef | None


@dataclass(frozen=True)
class Candidate:
    """A resource of the target dataset that may be the entity, with score and evidence."""

    entity: EntityInfo
    target: URIRef
    label: str
    score: float
    evidence: tuple[str, ...]


@dataclass
class ReconcileReport:
    """What :func:`reconcile` found: accepted matches, candidates to review, no candidates."""

    accepted: list[Candidate] = field(default_factory=list)
    review: list[Candidate] = field(default_factory=list)
    unmatched: list[EntityInfo] = field(default_factory=list)
    target: str = "wikidata"
    endpoint: str = DEFAULT_ENDPOINT


def _kind_of(ds: Dataset | Graph, entity: URIRef) -> Kind | None:
    types = set(ds.objects(entity, RDF.type))
    for cls, kind in KINDS:
        if cls in types:
            return kind
    # subclasses declared in the ontology (kz:Decree is a kz:LegalAct, ...)
    for cls, kind in KINDS:
        if any((t, RDFS.subClassOf, cls) in ds for t in types):
            return kind
    return None


def entity_info(ds: Dataset | Graph, entity: URIRef) -> EntityInfo | None:
    """The labels, kind and expected country of ``entity``, or None if it is not linkable."""
    kind = _kind_of(ds, entity)
    if kind is None:
        return None
    labels = [
        str(o)
        for p in (RDFS.label, SKOS.prefLabel)
        for o in ds.objects(entity, p)
        if isinstance(o, Literal) and (o.language or "").lower().startswith("en")
    ]
    if not labels:
        return None
    alts = sorted(
        {
            str(o)
            for o in ds.objects(entity, SKOS.altLabel)
            if isinstance(o, Literal) and (o.language or "").lower().startswith("en")
        }
        - {labels[0]}
    )
    links = wikidata_links(ds)
    country = links.get(KZR["kazakhstan"]) if kind.expects_country else None
    return EntityInfo(entity, sorted(labels)[0], tuple(alts), kind, country)


def linkable_entities(ds: Dataset | Graph) -> list[URIRef]:
    """Entities of this graph whose kind has counterparts elsewhere, sorted."""
    found = set()
    for cls, _kind in KINDS:
        for s in ds.subjects(RDF.type, cls):
            if isinstance(s, URIRef) and s.startswith(str(KZR)):
                found.add(s)
    # only the rights topics, not our controlled values (statuses, claim kinds, ...)
    return sorted(s for s in found if entity_info(ds, s) is not None)


def resolve_entity(ds: Dataset | Graph, name: str) -> URIRef:
    """``kazakhstan``, ``kzr:kazakhstan``, ``topic/human-rights`` or a full IRI -> the IRI."""
    if name.startswith(("http://", "https://")):
        iri = URIRef(name)
    elif name.startswith("kzr:"):
        iri = KZR[name[4:]]
    elif name.startswith("kzt:"):
        iri = KZR["topic/" + name[4:]]
    else:
        iri = KZR[name]
    if (iri, None, None) not in ds:
        raise InputError(f"no entity {name!r} in the graph (expected a slug such as 'kazakhstan')")
    return iri


def entities_to_reconcile(
    ds: Dataset | Graph, target: str = "wikidata", names: Sequence[str] = ()
) -> list[URIRef]:
    """The named entities, or else every linkable entity without a verified alignment."""
    if names:
        return [resolve_entity(ds, n) for n in names]
    dataset = TARGET_DATASETS[target]
    verified = {
        r.source for r in alignments(ds) if r.dataset == dataset and r.status == KZ.Verified
    }
    return [e for e in linkable_entities(ds) if e not in verified]


def _literal_list(texts: Iterable[str]) -> str:
    return " ".join(Literal(t, lang="en").n3() for t in texts)


def label_variants(texts: Iterable[str]) -> list[str]:
    """Each text as written, then with a lower-case first letter: Wikidata writes the labels of
    concepts and classes in lower case ("human rights"), this graph in sentence case ("Human
    rights"). Exact literals keep the query an index lookup, unlike LCASE()."""
    out: dict[str, None] = {}
    for text in texts:
        out[text] = None
        if text[:1].isupper() and not text[1:2].isupper():  # "ICCPR" and "OECD" stay as they are
            out[text[0].lower() + text[1:]] = None
    return list(out)


def _wikidata_candidates_query(info: EntityInfo) -> str:
    texts = _literal_list(label_variants([info.label, *info.alt_labels]))
    return f"""PREFIX rdfs: <{RDFS}>
PREFIX skos: <{SKOS}>
PREFIX wdt: <{WIKIDATA_PREFIXES["wdt"]}>
SELECT ?item ?how ?matched ?label ?type ?typeLabel ?country WHERE {{
  VALUES ?text {{ {texts} }}
  {{ ?item rdfs:label ?text . BIND("label" AS ?how) }}
  UNION
  {{ ?item skos:altLabel ?text . BIND("alias" AS ?how) }}
  BIND(STR(?text) AS ?matched)
  OPTIONAL {{ ?item rdfs:label ?label . FILTER(LANG(?label) = "en") }}
  OPTIONAL {{ ?item wdt:P31 ?type .
             OPTIONAL {{ ?type rdfs:label ?typeLabel . FILTER(LANG(?typeLabel) = "en") }} }}
  OPTIONAL {{ ?item wdt:P17|wdt:P27 ?country }}
}}
LIMIT 1000"""


def _dbpedia_candidates_query(info: EntityInfo, wikidata_item: URIRef | None) -> str:
    texts = _literal_list([info.label, *info.alt_labels])
    same = (
        f'UNION {{ ?item <{OWL.sameAs}> <{wikidata_item}> . BIND("sameAs" AS ?how) '
        f'BIND("{wikidata_item}" AS ?matched) }}'
        if wikidata_item is not None
        else ""
    )
    return f"""SELECT ?item ?how ?matched ?label ?type ?typeLabel ?country WHERE {{
  {{ VALUES ?text {{ {texts} }} ?item <{RDFS.label}> ?text . BIND("label" AS ?how)
     BIND(STR(?text) AS ?matched) }}
  {same}
  FILTER(STRSTARTS(STR(?item), "http://dbpedia.org/resource/"))
  OPTIONAL {{ ?item <{RDFS.label}> ?label . FILTER(LANG(?label) = "en") }}
  OPTIONAL {{ ?item <{RDF.type}> ?type . FILTER(STRSTARTS(STR(?type), "http://dbpedia.org/ontology/"))
             BIND(REPLACE(STR(?type), "^.*/", "") AS ?typeLabel) }}
}}
LIMIT 1000"""


def _score(
    info: EntityInfo, rows: list[dict[str, Node]], wikidata_item: URIRef | None
) -> list[Candidate]:
    by_item: dict[URIRef, list[dict[str, Node]]] = defaultdict(list)
    for row in rows:
        item = row.get("item")
        if isinstance(item, URIRef):
            by_item[item].append(row)
    candidates = []
    for item, item_rows in by_item.items():
        hows = {str(r["how"]) for r in item_rows if "how" in r}
        matched = sorted({str(r["matched"]) for r in item_rows if "matched" in r})
        labels = sorted({str(r["label"]) for r in item_rows if "label" in r})
        type_labels = sorted(
            {str(r["typeLabel"]).replace("_", " ") for r in item_rows if "typeLabel" in r}
        )
        has_types = any("type" in r for r in item_rows)
        countries: list[URIRef] = sorted(
            {c for r in item_rows if isinstance(c := r.get("country"), URIRef)}
        )
        evidence: list[str] = []

        if "sameAs" in hows:
            label_score = 1.0
            evidence.append(f"states owl:sameAs {compact_target(wikidata_item)}")  # type: ignore[arg-type]
        elif "label" in hows and info.label.casefold() in {m.casefold() for m in matched}:
            label_score = 1.0
            evidence.append(f"label {info.label!r}")
        elif "label" in hows:
            label_score = 0.9
            evidence.append(f"label {matched[0]!r} = our alternative label")
        else:
            label_score = 0.8
            evidence.append(f"alias {matched[0]!r}")
        parts = {"label": label_score}

        if info.kind.keywords:
            hits = [t for t in type_labels if any(k in t.lower() for k in info.kind.keywords)]
            if hits:
                parts["type"] = 1.0
                evidence.append(f"type {hits[0]!r}")
            elif has_types:
                parts["type"] = 0.0
                evidence.append(
                    "type "
                    + (", ".join(repr(t) for t in type_labels[:3]) or "unlabelled")
                    + f" does not fit ({info.kind.name})"
                )
            else:
                parts["type"] = 0.3
                evidence.append("no type stated")
        if info.country is not None:
            if info.country in countries:
                parts["country"] = 1.0
                evidence.append(f"country {compact_target(info.country)}")
            elif countries:
                parts["country"] = 0.0
                evidence.append("country " + ", ".join(compact_target(c) for c in countries[:2]))
            else:
                parts["country"] = 0.5
                evidence.append("no country stated")
        total_weight = sum(WEIGHTS[k] for k in parts)
        score = sum(WEIGHTS[k] * v for k, v in parts.items()) / total_weight
        score = float(Decimal(str(score)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))
        candidates.append(
            Candidate(info, item, labels[0] if labels else "", score, tuple(evidence))
        )
    return sorted(candidates, key=lambda c: (-c.score, str(c.target)))


def reconcile(
    ds: Dataset | Graph,
    client: SparqlClient,
    entities: Sequence[URIRef],
    target: str = "wikidata",
    threshold: float = 0.75,
) -> ReconcileReport:
    """Rank candidates for each entity and split them into accepted and to-review.

    A candidate is accepted when its score reaches ``threshold`` and no other candidate for
    the same entity comes within :data:`AMBIGUITY_MARGIN` of it; otherwise the candidates at
    or above half the threshold go to review.
    """
    if target not in TARGET_DATASETS:
        raise InputError(f"unknown target {target!r} (choose from {', '.join(TARGET_DATASETS)})")
    report = ReconcileReport(target=target, endpoint=client.settings.endpoint)
    links = wikidata_links(ds)
    infos = []
    for e in entities:
        info = entity_info(ds, e)
        if info is None:
            raise InputError(f"{e} has no kind that reconciliation knows (or no English label)")
        infos.append(info)
    for info in progress(infos, f"reconciling with {target}"):
        if target == "wikidata":
            query = _wikidata_candidates_query(info)
            wd_item = None
        else:
            wd_item = links.get(info.iri)
            query = _dbpedia_candidates_query(info, wd_item)
        candidates = _score(info, client.select(query), wd_item)
        if not candidates:
            report.unmatched.append(info)
            continue
        best = candidates[0]
        rivals = [c for c in candidates[1:] if best.score - c.score < AMBIGUITY_MARGIN]
        if best.score >= threshold and not rivals:
            report.accepted.append(best)
            report.review.extend(c for c in candidates[1:] if c.score >= threshold / 2)
        else:
            report.review.extend(c for c in candidates if c.score >= threshold / 2)
            if not any(c.score >= threshold / 2 for c in candidates):
                report.unmatched.append(info)
    return report


def format_report(report: ReconcileReport) -> str:
    """The accepted matches and the candidates to review, as a plain-text table."""
    rows = [("", "entity", "candidate", "label", "score", "evidence")]
    for mark, group in (("accept", report.accepted), ("review", report.review)):
        for c in group:
            rows.append(
                (
                    mark,
                    entity_slug(c.entity.iri),
                    compact_target(c.target),
                    c.label,
                    f"{c.score:.3f}",
                    "; ".join(c.evidence),
                )
            )
    for info in report.unmatched:
        if not any(c.entity.iri == info.iri for c in report.review):
            rows.append(("none", entity_slug(info.iri), "-", "", "", "no candidate found"))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:5])) + "  " + r[5] for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 8)
    summary = (
        f"{len(report.accepted)} accepted, {len(report.review)} to review, "
        f"{len(report.unmatched)} without candidates ({report.target}, {report.endpoint})"
    )
    return "\n".join(lines).rstrip() + "\n" + summary + "\n"


def report_as_json(report: ReconcileReport) -> dict[str, Any]:
    def one(c: Candidate, decision: str) -> dict[str, Any]:
        return {
            "decision": decision,
            "entity": str(c.entity.iri),
            "candidate": str(c.target),
            "label": c.label,
            "score": c.score,
            "evidence": list(c.evidence),
        }

    return {
        "target": report.target,
        "endpoint": report.endpoint,
        "accepted": [one(c, "accept") for c in report.accepted],
        "review": [one(c, "review") for c in report.review],
        "unmatched": [str(i.iri) for i in report.unmatched],
    }


# -- Writing data/alignments.ttl --

ALIGNMENTS_HEADER = """\
Alignments of kzgraph entities with Wikidata, DBpedia and treaty registries (graph
kzg:alignments). Each link triple (owl:sameAs for individuals, skos:exactMatch or
skos:closeMatch for topics, rdfs:seeAlso and adms:identifier for treaty registries) is
described by a kz:Alignment: match kind, how it was obtained (curated, or reconciled with a
score), when it was last checked, and where the identifier was verified (prov:wasDerivedFrom).
Entities whose identifier could not be verified offline are listed as pending reconciliation.
Edit by hand or with `kzgraph link`, which rewrites this file in this canonical layout
(comments included); see docs/linking.md."""


def alignments_path(data_dir: str | os.PathLike[str] | None = None) -> Path:
    from graph.inputs.locations import resolve_dir

    return resolve_dir("data", data_dir) / ALIGNMENTS_FILE


def read_alignments(path: Path) -> Graph:
    """The triples of an alignments file (empty when the file does not exist)."""
    from graph.inputs.reading import parse_file

    graph = Graph(bind_namespaces="none")
    if path.exists():
        parse_file(graph, path, "turtle")
    return graph


def alignments_text(graph: Graph, labels: Graph | Dataset | None = None) -> str:
    """``graph`` (the kzg:alignments triples) as canonical, commented Turtle."""
    lookup = labels if labels is not None else graph
    datasets = sorted(s for s in graph.subjects(RDF.type, VOID.Dataset) if isinstance(s, URIRef))
    documents = sorted(s for s in graph.subjects(RDF.type, FOAF.Document) if isinstance(s, URIRef))
    placed = set(datasets) | set(documents)
    by_entity: dict[URIRef, list[URIRef]] = defaultdict(list)
    for a in graph.subjects(RDF.type, KZ.Alignment):
        source = graph.value(a, OWL.annotatedSource)
        if isinstance(a, URIRef) and isinstance(source, URIRef):
            by_entity[source].append(a)
    for s in graph.subjects(ADMS.identifier, None):
        if isinstance(s, URIRef):
            by_entity.setdefault(s, [])
    for s, _p, _o in graph.triples((None, None, None)):
        if isinstance(s, URIRef) and s not in placed and graph.value(s, RDF.type) is None:
            by_entity.setdefault(s, [])  # an entity's link triples
    sections: list[tuple[str, list[URIRef]]] = [
        ("-- Target datasets --", datasets),
        ("-- Where identifiers were verified --", documents),
    ]
    for entity in sorted(by_entity, key=lambda e: entity_slug(e)):
        label = entity_label(lookup, entity)
        members = [entity] if (entity, None, None) in graph else []
        ids = sorted(o for o in graph.objects(entity, ADMS.identifier) if isinstance(o, URIRef))
        members += sorted(by_entity[entity]) + ids
        comment = f"{label} ({turtle_term(entity)})"
        sections.append((comment, members))
        placed.update(members)
    rest = sorted(s for s in set(graph.subjects()) if isinstance(s, URIRef) and s not in placed)
    sections.append(("-- Other --", rest))
    prefixes = {**PREFIXES, "adms": str(ADMS)}
    return format_turtle(graph, ALIGNMENTS_HEADER, sections, prefixes)


def apply_matches(
    path: Path,
    candidates: Sequence[Candidate],
    target: str,
    endpoint: str,
    today: dt.date,
    labels: Dataset | Graph | None = None,
) -> list[URIRef]:
    """Write accepted candidates into the alignments file; return the alignments written.

    A pending alignment of the same entity into the same dataset is replaced; a verified one
    is never overwritten (the candidate is skipped).
    """
    graph = read_alignments(path)
    dataset = TARGET_DATASETS[target]
    written = []
    for c in candidates:
        iri = alignment_iri(c.entity.iri, target)
        existing = [
            r for r in alignments(graph) if r.source == c.entity.iri and r.dataset == dataset
        ]
        if any(r.status == KZ.Verified for r in existing):
            continue
        for r in existing:
            graph.remove((r.iri, None, None))
        prop = SKOS.exactMatch if c.entity.kind.concept else OWL.sameAs
        graph.add((c.entity.iri, prop, c.target))
        for p, o in (
            (RDF.type, KZ.Alignment),
            (
                RDFS.label,
                Literal(
                    f"{c.entity.label} → {TARGET_NAMES[target]} {compact_target(c.target)}",
                    lang="en",
                ),
            ),
            (OWL.annotatedSource, c.entity.iri),
            (OWL.annotatedProperty, prop),
            (OWL.annotatedTarget, c.target),
            (KZ.alignmentStatus, KZ.Verified),
            (KZ.matchKind, KZ.Exact),
            (KZ.mappingMethod, KZ.Reconciled),
            (
                KZ.confidence,
                Literal(Decimal(str(c.score)).quantize(Decimal("0.001")), datatype=XSD.decimal),
            ),
            (KZ.lastChecked, Literal(today.isoformat(), datatype=XSD.date)),
            (KZ.targetDataset, dataset),
            (PROV.wasDerivedFrom, URIRef(endpoint)),
            (PROV.wasAttributedTo, KZR["kzgraph-project"]),
            (
                SKOS.editorialNote,
                Literal(
                    f"Reconciled by `kzgraph link` against {endpoint} on {today.isoformat()}: "
                    + "; ".join(c.evidence)
                    + ".",
                    lang="en",
                ),
            ),
        ):
            graph.add((iri, p, o))
        written.append(iri)
    if written:
        write_text_atomic(path, alignments_text(graph, labels))
    return written


def recheck(
    ds: Dataset | Graph, client: SparqlClient, path: Path, today: dt.date, apply: bool = True
) -> tuple[list[URIRef], list[tuple[URIRef, str]]]:
    """Ask the endpoint about every verified Wikidata alignment; refresh kz:lastChecked.

    Returns the alignments confirmed and ``(alignment, problem)`` for those the endpoint
    no longer confirms (missing, or redirected to another item); only confirmed ones get a
    new date, and only when ``apply``.
    """
    records = [
        r
        for r in alignments(ds)
        if r.status == KZ.Verified and r.target is not None and r.target.startswith(str(WD))
    ]
    if not records:
        return [], []
    values = " ".join(f"<{r.target}>" for r in records)
    rows = client.select(
        f"""SELECT ?item ?label ?redirect WHERE {{
  VALUES ?item {{ {values} }}
  OPTIONAL {{ ?item <{RDFS.label}> ?label . FILTER(LANG(?label) = "en") }}
  OPTIONAL {{ ?item <{OWL.sameAs}> ?redirect }}
}}"""
    )
    labelled = {r["item"] for r in rows if "label" in r}
    redirected = {r["item"]: r["redirect"] for r in rows if "redirect" in r}
    confirmed, problems = [], []
    for r in records:
        if r.target in redirected:
            problems.append((r.iri, f"<{r.target}> now redirects to {redirected[r.target]}"))
        elif r.target in labelled:
            confirmed.append(r.iri)
        else:
            problems.append((r.iri, f"<{r.target}> has no English label at the endpoint"))
    if apply and confirmed:
        graph = read_alignments(path)
        for iri in confirmed:
            if (iri, RDF.type, KZ.Alignment) in graph:
                graph.set((iri, KZ.lastChecked, Literal(today.isoformat(), datatype=XSD.date)))
        write_text_atomic(path, alignments_text(graph, ds))
    return confirmed, problems
