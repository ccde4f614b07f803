"""Enrichment: chosen facts about the linked entities imported into ``data/enrichment.ttl``
(graph ``kzg:enrichment``), marked with their source and retrieval date;
:func:`drop_enrichment` removes them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, XSD
from rdflib.term import Node

from graph.errors import InputError
from graph.linking.alignments import entity_label, entity_slug, wikidata_links
from graph.linking.client import SparqlClient, progress
from graph.linking.targets import (
    DCT,
    ENRICHMENT_FILE,
    ENRICHMENT_GRAPH,
    FOAF,
    ORG,
    SCHEMA,
    WIKIBASE,
    WIKIDATA_DATASET,
    WIKIDATA_PREFIXES,
)
from graph.linking.turtle import format_turtle
from graph.namespaces import ELI, KZ, KZR, PREFIXES

ENRICHMENT_HEADER = (
    "Facts imported from {endpoint} by `kzgraph enrich` (graph kzg:enrichment), about the "
    "entities that data/alignments.ttl links to Wikidata: labels (schema:name) and "
    "descriptions (schema:disambiguatingDescription) in {languages}, dates of birth, "
    "inception and adoption, and the date each state of this graph became a party to each "
    "treaty (kz:TreatyParty). They never mix with curated facts: drop them with "
    "`kzgraph enrich --drop`, refetch them with `kzgraph enrich --refresh`. Do not edit by hand."
)

#: Wikidata date properties imported, and the property each becomes here (by kind).
DATE_PROPERTIES = {"P569": "birth", "P571": "inception"}
PRECISION_TYPES = {11: XSD.date, 10: XSD.gYearMonth, 9: XSD.gYear}


@dataclass
class EnrichmentResult:
    """The enrichment graph and what went into it."""

    graph: Graph
    entities: int
    labels: int
    descriptions: int
    dates: int
    parties: int


def enrichment_path(data_dir: str | os.PathLike[str] | None = None) -> Path:
    from graph.inputs.locations import resolve_dir

    return resolve_dir("data", data_dir) / ENRICHMENT_FILE


def _wd_date(value: Node, precision: Node | None) -> Literal | None:
    """A Wikidata time value as xsd:date, xsd:gYearMonth or xsd:gYear by its precision."""
    match = re.match(r"^\+?(\d{4})-(\d{2})-(\d{2})", str(value))
    if not match:
        return None  # BCE or malformed: nothing this graph needs
    year, month, day = match.groups()
    try:
        p = int(str(precision)) if precision is not None else 11
    except ValueError:
        p = 11
    datatype = PRECISION_TYPES.get(min(p, 11))
    if datatype is None:
        return None
    text = {XSD.date: f"{year}-{month}-{day}", XSD.gYearMonth: f"{year}-{month}", XSD.gYear: year}
    return Literal(text[datatype], datatype=datatype)


def _best(statements: list[tuple[str, Literal]]) -> Literal | None:
    """The value of the preferred-rank statement, else of the earliest normal-rank one."""
    if not statements:
        return None
    preferred = [v for rank, v in statements if rank.endswith("PreferredRank")]
    pool = preferred or [v for _r, v in statements]
    return sorted(pool, key=str)[0]


def enrich(
    ds: Dataset | Graph,
    client: SparqlClient,
    languages: Sequence[str] = ("kk", "ru"),
    now: dt.datetime | None = None,
) -> EnrichmentResult:
    """Import labels, descriptions, dates and treaty parties for the Wikidata-linked entities."""
    languages = [lang for lang in dict.fromkeys(languages) if lang]
    for lang in languages:
        if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*", lang):
            raise InputError(f"not a language tag: {lang!r}")
    label_langs = [lang for lang in languages if lang != "en"]  # curated English stays
    desc_langs = list(dict.fromkeys(["en", *languages]))
    links = wikidata_links(ds)
    back = {item: entity for entity, item in links.items()}
    moment = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    out = Graph(bind_namespaces="none")
    counts = {"labels": 0, "descriptions": 0, "dates": 0, "parties": 0}
    if links:
        values = " ".join(f"<{item}>" for item in sorted(set(links.values())))
        wp = WIKIDATA_PREFIXES
        lang_list = ", ".join(f'"{lang}"' for lang in sorted(set(label_langs) | set(desc_langs)))
        steps: list[tuple[str, str]] = [
            (
                "labels and descriptions",
                f"""SELECT ?item ?kind ?value WHERE {{
  VALUES ?item {{ {values} }}
  {{ ?item <{RDFS.label}> ?value . BIND("label" AS ?kind) }}
  UNION
  {{ ?item <{wp["wschema"]}description> ?value . BIND("description" AS ?kind) }}
  FILTER(LANG(?value) IN ({lang_list}))
}}""",
            ),
        ]
        for prop in DATE_PROPERTIES:
            steps.append(
                (
                    f"dates {prop}",
                    f"""SELECT ?item ?value ?precision ?rank WHERE {{
  VALUES ?item {{ {values} }}
  ?item <{wp["p"]}{prop}> ?statement .
  ?statement <{wp["psv"]}{prop}> ?node ; <{WIKIBASE}rank> ?rank .
  ?node <{WIKIBASE}timeValue> ?value ; <{WIKIBASE}timePrecision> ?precision .
  FILTER(?rank != <{WIKIBASE}DeprecatedRank>)
}}""",
                )
            )
        states = " ".join(
            f"<{item}>" for entity, item in links.items() if (entity, RDF.type, KZ.State) in ds
        )
        treaties = " ".join(
            f"<{item}>" for entity, item in links.items() if (entity, RDF.type, KZ.Treaty) in ds
        )
        if states and treaties:
            steps.append(
                (
                    "treaty parties",
                    f"""SELECT ?treaty ?state ?statement ?value ?precision ?rank WHERE {{
  VALUES ?treaty {{ {treaties} }}
  VALUES ?state {{ {states} }}
  ?treaty <{wp["p"]}P6193> ?statement .
  ?statement <{wp["ps"]}P6193> ?state ; <{WIKIBASE}rank> ?rank .
  FILTER(?rank != <{WIKIBASE}DeprecatedRank>)
  OPTIONAL {{ ?statement <{wp["pqv"]}P585> ?node .
             ?node <{WIKIBASE}timeValue> ?value ; <{WIKIBASE}timePrecision> ?precision . }}
}}""",
                )
            )
        answers = {name: client.select(query) for name, query in progress(steps, "enriching")}

        for row in answers["labels and descriptions"]:
            entity = _lookup(back, row.get("item"))
            value = row.get("value")
            if entity is None or not isinstance(value, Literal) or not value.language:
                continue
            lang = value.language
            if row.get("kind") == Literal("label") and lang in label_langs:
                out.add((entity, SCHEMA.name, value))
                counts["labels"] += 1
            elif row.get("kind") == Literal("description") and lang in desc_langs:
                out.add((entity, SCHEMA.disambiguatingDescription, value))
                counts["descriptions"] += 1

        for prop in DATE_PROPERTIES:
            grouped: dict[URIRef, list[tuple[str, Literal]]] = defaultdict(list)
            for row in answers[f"dates {prop}"]:
                entity = _lookup(back, row.get("item"))
                value = _wd_date(row.get("value", Literal("")), row.get("precision"))
                if entity is not None and value is not None:
                    grouped[entity].append((str(row.get("rank", "")), value))
            for entity, statements in grouped.items():
                value = _best(statements)
                target = _date_property(ds, entity, prop)
                if value is not None and target is not None:
                    out.add((entity, target, value))
                    counts["dates"] += 1

        parties: dict[tuple[URIRef, URIRef], list[tuple[str, Literal]]] = defaultdict(list)
        sources: dict[tuple[URIRef, URIRef], set[URIRef]] = defaultdict(set)
        for row in answers.get("treaty parties", []):
            treaty = _lookup(back, row.get("treaty"))
            state = _lookup(back, row.get("state"))
            if treaty is None or state is None:
                continue
            key = (state, treaty)
            parties.setdefault(key, [])
            statement = row.get("statement")
            if isinstance(statement, URIRef):
                sources[key].add(statement)
            if "value" in row:
                value = _wd_date(row["value"], row.get("precision"))
                if value is not None:
                    parties[key].append((str(row.get("rank", "")), value))
        for (state, treaty), statements in sorted(parties.items()):
            record = KZR[f"party-{entity_slug(state)}-{entity_slug(treaty)}"]
            out.add((record, RDF.type, KZ.TreatyParty))
            label = f"{entity_label(ds, state)}, party to {entity_label(ds, treaty)} (imported)"
            out.add((record, RDFS.label, Literal(label, lang="en")))
            out.add((record, KZ.partyState, state))
            out.add((record, KZ.partyTreaty, treaty))
            since = _best(statements)
            if since is not None:
                out.add((record, KZ.partySince, since))
            for statement in sorted(sources[(state, treaty)]):
                out.add((record, PROV.wasDerivedFrom, statement))
            counts["parties"] += 1

    endpoint = URIRef(client.settings.endpoint)
    described = ENRICHMENT_GRAPH
    for p, o in (
        (RDF.type, PROV.Entity),
        (RDFS.label, Literal("Facts imported from Wikidata", lang="en")),
        (PROV.wasDerivedFrom, WIKIDATA_DATASET),
        (DCT.source, endpoint),
        (
            PROV.generatedAtTime,
            Literal(moment.isoformat().replace("+00:00", "Z"), datatype=XSD.dateTime),
        ),
        (DCT.language, Literal(" ".join(desc_langs))),
        (DCT.license, URIRef("http://creativecommons.org/publicdomain/zero/1.0/")),
        (PROV.wasAttributedTo, URIRef("https://www.wikidata.org/")),
    ):
        out.add((described, p, o))
    entities = len({s for s in out.subjects() if s != described})
    return EnrichmentResult(
        out, entities, counts["labels"], counts["descriptions"], counts["dates"], counts["parties"]
    )


def _lookup(mapping: Mapping[URIRef, URIRef], key: Node | None) -> URIRef | None:
    return mapping.get(key) if isinstance(key, URIRef) else None


def _date_property(ds: Dataset | Graph, entity: URIRef, prop: str) -> URIRef | None:
    types = set(ds.objects(entity, RDF.type))
    if prop == "P569":
        return SCHEMA.birthDate if FOAF.Person in types else None
    if KZ.Treaty in types:
        return ELI.date_document
    if types & {KZ.State, KZ.StateBody, KZ.InternationalOrganization, ORG.Post, KZ.NewsOutlet}:
        return SCHEMA.foundingDate
    return None


def enrichment_text(result: EnrichmentResult, endpoint: str, languages: Sequence[str]) -> str:
    """The enrichment graph as canonical, commented Turtle."""
    graph = result.graph
    import textwrap

    header = "\n".join(
        textwrap.fill(paragraph, 95)
        for paragraph in ENRICHMENT_HEADER.format(
            endpoint=endpoint, languages=", ".join(dict.fromkeys(["en", *languages]))
        ).split("\n\n")
    )
    subjects = sorted(s for s in set(graph.subjects()) if isinstance(s, URIRef))
    graph_desc = [s for s in subjects if s == ENRICHMENT_GRAPH]
    records = [s for s in subjects if (s, RDF.type, KZ.TreatyParty) in graph]
    entities = [s for s in subjects if s not in graph_desc and s not in records]
    prefixes = {**PREFIXES}
    return format_turtle(
        graph,
        header,
        [
            ("-- Source and retrieval date --", graph_desc),
            ("-- Labels, descriptions and dates of linked entities --", entities),
            ("-- Treaty parties (Wikidata P6193 with its P585 qualifier) --", records),
        ],
        prefixes,
    )


def drop_enrichment(path: Path) -> bool:
    """Delete the enrichment file; True if there was one."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise InputError(f"cannot delete: {exc.strerror or exc}", path) from None
    return True
