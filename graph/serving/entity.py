"""One resource described for people and for RDF clients: its facts, each with its evidence."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from graph.namespaces import PREFIXES
from graph.serving.labels import FALLBACK, label_for
from graph.serving.labels import LABEL_PROPERTIES as LANGUAGE_LABELS
from graph.serving.term_labels import external_label
from graph.sparql.results import QueryError, shorten
from graph.sparql.terms import iri_term
from graph.stores.base import Store

#: Properties read as a description, in order of preference.
DESCRIPTION_PROPERTIES = (
    "https://schema.org/description",
    "http://purl.org/dc/terms/description",
    "http://www.w3.org/2004/02/skos/core#definition",
    "http://www.w3.org/2000/01/rdf-schema#comment",
)
LABEL_PROPERTIES = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "https://schema.org/name",
    "http://purl.org/dc/terms/title",
)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PROVENANCE_GRAPH = PREFIXES["kzg"] + "provenance"
EVIDENCE = PREFIXES["kze"]
KZ = PREFIXES["kz"]
SCHEMA = PREFIXES["schema"]
PROV = PREFIXES["prov"]
#: Incoming links from a claim: the entity is its author or what it is about.
CLAIM_ROLES = {SCHEMA + "author": "by", SCHEMA + "about": "about"}
#: Provenance bookkeeping folded into one summary per role on the agent's or source's page.
PROVENANCE_ROLES = {PROV + "wasAttributedTo": "claimant", PROV + "wasDerivedFrom": "source"}
#: Links out of the dataset, shown apart from the facts (issue 16 adds status and checks).
EXTERNAL_LINK_PROPERTIES = (
    PREFIXES["owl"] + "sameAs",
    PREFIXES["skos"] + "exactMatch",
    PREFIXES["skos"] + "closeMatch",
    "http://xmlns.com/foaf/0.1/homepage",
    PREFIXES["rdfs"] + "seeAlso",
)
#: A number that changed: (what, before, after, unit), stated as one line.
NUMBER_CHANGE = (KZ + "changedQuantity", KZ + "oldValue", KZ + "newValue", SCHEMA + "unitText")
RULE_CHANGE = (KZ + "previousRule", KZ + "newRule")
#: Types that mark a source document, whose page states its original URL and date.
SOURCE_TYPES = {SCHEMA + "NewsArticle", SCHEMA + "OpinionNewsArticle", SCHEMA + "Article"}
#: Lists on a page stop here (an entity page is not a data dump: SPARQL is for that).
PAGE_LIMIT = 2000


def _primary(tag: str | None) -> str:
    """The primary subtag of a language tag, lower case (``kk`` for ``kk-Cyrl``)."""
    return (tag or "").split("-")[0].lower()


def _select(store: Store, text: str) -> list[tuple[Node | None, ...]]:
    from graph.sparql.guard import check_query

    return store.query(check_query(text), PAGE_LIMIT + 1).rows()


def _labels(store: Store, iris: set[str], lang: str = FALLBACK) -> dict[str, str]:
    """A label for each IRI that has one: in ``lang``, else English (:func:`label_for`)."""
    from rdflib import Graph

    tagged = Graph()  # what graph.serving.labels reads: picks the language with English as fallback
    titles: dict[str, tuple[int, str]] = {}  # dct:title, only where there is no label
    todo = sorted(iris)
    for start in range(0, len(todo), 200):
        values = " ".join(iri_term(i) for i in todo[start : start + 200])
        # one branch per property: rdflib joins two VALUES blocks slowly
        branches = " UNION ".join(
            f"{{ ?x <{p}> ?label BIND(<{p}> AS ?p) }}" for p in LABEL_PROPERTIES
        )
        rows = _select(
            store, f"SELECT ?x ?p ?label WHERE {{ VALUES ?x {{ {values} }} {branches} }}"
        )
        for x, p, label in rows:
            if not isinstance(label, Literal) or not isinstance(x, URIRef):
                continue
            if URIRef(str(p)) in LANGUAGE_LABELS:
                tagged.add((x, URIRef(str(p)), label))
                continue
            rank = 0 if _primary(label.language) == lang else 1 if label.language == "en" else 2
            if str(x) not in titles or rank < titles[str(x)][0]:
                titles[str(x)] = (rank, str(label))
    found = {k: v for k, (_r, v) in titles.items()}
    for x in set(tagged.subjects()):
        found[str(x)] = label_for(tagged, x, lang)
    for iri in todo:
        if iri not in found and (curated := external_label(iri)):
            found[iri] = curated
    return found


def label_languages(store: Store) -> list[str]:
    """The languages entity labels exist in, English first
    (:func:`graph.serving.labels.languages`)."""
    props = " ".join(f"<{p}>" for p in LANGUAGE_LABELS)
    rows = _select(
        store,
        f"SELECT DISTINCT (LANG(?l) AS ?lang) WHERE {{ VALUES ?p {{ {props} }} ?s ?p ?l }}",
    )
    found = {_primary(str(lang)) for (lang,) in rows if lang is not None and str(lang)}
    return [FALLBACK, *sorted(found - {FALLBACK, ""})]


def _term(node: Node | None, labels: dict[str, str]) -> dict[str, Any]:
    if isinstance(node, URIRef):
        iri = str(node)
        return {"kind": "iri", "iri": iri, "short": shorten(iri), "label": labels.get(iri)}
    if isinstance(node, Literal):
        datatype = str(node.datatype) if node.datatype else None
        return {
            "kind": "literal",
            "text": str(node),
            "lang": node.language,
            "datatype": shorten(datatype) if datatype else None,
        }
    return {"kind": "blank", "text": str(node)}


def describe_entity(store: Store, iri: str, lang: str = FALLBACK) -> dict[str, Any] | None:
    """What an entity page shows, as plain data; None when the dataset does not mention it.

    Labels and the description are in ``lang`` where the dataset has them, else English. Claims
    by and about the entity, number and rule changes, the evidence passages it is the claimant
    or the source of, and its links out of the dataset are gathered apart from the plain facts.
    """
    e = iri_term(iri)
    facts = _select(store, f"SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ {e} ?p ?o }} }}")
    incoming = _select(store, f"SELECT ?s ?p ?g WHERE {{ GRAPH ?g {{ ?s ?p {e} }} }}")
    contents = _select(store, f"SELECT ?s ?p ?o WHERE {{ GRAPH {e} {{ ?s ?p ?o }} }}")
    if not facts and not incoming and not contents:
        return None

    passages = {
        str(s_)
        for s_, p, g in incoming
        if str(p) in PROVENANCE_ROLES and str(g) == PROVENANCE_GRAPH and isinstance(s_, URIRef)
    }
    claim_subjects = {
        str(s_) for s_, p, _g in incoming if str(p) in CLAIM_ROLES and isinstance(s_, URIRef)
    }
    claims = _claims(store, claim_subjects)
    graphs = {str(g) for _p, _o, g in facts} | {str(g) for _s, _p, g in incoming} | passages
    provenance = _provenance(store, graphs)
    iris = {iri} | {
        str(t) for row in facts + incoming + contents for t in row if isinstance(t, URIRef)
    }
    iris |= {
        str(t)
        for sources in provenance.values()
        for s in sources
        for t in s.values()
        if isinstance(t, URIRef)
    }
    iris |= {str(t) for c in claims.values() for t in c.values() if isinstance(t, URIRef)}
    labels = _labels(store, iris, _primary(lang) or FALLBACK)

    grouped: dict[tuple[Node | None, Node | None], set[str]] = defaultdict(set)
    for p, o, g in facts:
        grouped[(p, o)].add(str(g))
    types = sorted({str(o) for (p, o) in grouped if str(p) == RDF_TYPE and isinstance(o, URIRef)})
    description = None
    for prop in DESCRIPTION_PROPERTIES:
        wanted = _primary(lang)
        texts = sorted(
            (0 if _primary(o.language) == wanted else 1 if o.language == "en" else 2, str(o))
            for (p, o) in grouped
            if str(p) == prop and isinstance(o, Literal)
        )
        if texts:
            description = texts[0][1]
            break

    def sources(graph_names: set[str]) -> list[dict[str, Any]]:
        out = []
        for g in sorted(graph_names):
            entries = provenance.get(g) or [{}]
            for entry in entries:
                out.append(
                    {
                        "graph": _term(URIRef(g), labels),
                        **{k: _term(v, labels) for k, v in entry.items() if v is not None},
                    }
                )
        return out

    changes, used = _changes(grouped)
    from graph.linking.external import external_links

    status = {str(x.target): x for x in external_links(store, iri) if x.target is not None}
    external = [
        {
            "predicate": _term(p, labels),
            "object": _term(o, labels),
            "sources": sources(gs),
            "status": _link_status(status.get(str(o))),
        }
        for (p, o), gs in sorted(grouped.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1])))
        if str(p) in EXTERNAL_LINK_PROPERTIES
    ]
    pending = [
        {"dataset": x.dataset_label, "checked": str(x.last_checked or ""), "note": x.note or ""}
        for x in external_links(store, iri)
        if x.status == "pending"
    ]
    fact_list: list[dict[str, Any]] = [
        {"predicate": _term(p, labels), "object": _term(o, labels), "sources": sources(gs)}
        for (p, o), gs in grouped.items()
        if (p, o) not in used and str(p) not in EXTERNAL_LINK_PROPERTIES
    ]
    fact_list.sort(key=lambda f: (_sort_key(f["predicate"]), _sort_key(f["object"])))
    change_list = [
        {
            "what": change["what"],
            "old": change["old"],
            "new": change["new"],
            "unit": change["unit"],
            "kind": change["kind"],
            "sources": sources(change["graphs"]),
        }
        for change in changes
    ]

    in_grouped: dict[tuple[Node | None, Node | None], set[str]] = defaultdict(set)
    claim_roles: dict[str, set[str]] = defaultdict(set)
    claim_graphs: dict[str, set[str]] = defaultdict(set)
    for s_, p, g in incoming:
        if str(p) in CLAIM_ROLES and str(s_) in claims:
            claim_roles[str(s_)].add(CLAIM_ROLES[str(p)])
            claim_graphs[str(s_)].add(str(g))
        elif str(s_) in passages and str(p) in PROVENANCE_ROLES:
            continue
        else:
            in_grouped[(s_, p)].add(str(g))
    in_list: list[dict[str, Any]] = [
        {"subject": _term(s_, labels), "predicate": _term(p, labels), "sources": sources(gs)}
        for (s_, p), gs in in_grouped.items()
    ]
    in_list.sort(key=lambda f: (_sort_key(f["predicate"]), _sort_key(f["subject"])))
    claim_list = [
        {
            "claim": _term(URIRef(c), labels),
            "roles": sorted(claim_roles[c]),
            "text": str(claims[c]["text"]) if claims[c].get("text") is not None else None,
            "kind": _term(claims[c]["kind"], labels) if claims[c].get("kind") else None,
            "author": _term(claims[c]["author"], labels) if claims[c].get("author") else None,
            "sources": sources(claim_graphs[c]),
        }
        for c in sorted(claims, key=lambda c: (labels.get(c) or c).lower())
    ]
    passage_list: dict[str, list[dict[str, Any]]] = {}
    for s_, p, g in incoming:
        role = PROVENANCE_ROLES.get(str(p))
        if role and str(s_) in passages and str(g) == PROVENANCE_GRAPH:
            passage_list.setdefault(role, []).extend(sources({str(s_)}))
    for entries in passage_list.values():
        entries.sort(key=_passage_key)
    graph_list = sorted(
        (
            {"subject": _term(s, labels), "predicate": _term(p, labels), "object": _term(o, labels)}
            for s, p, o in contents
        ),
        key=lambda t: (_sort_key(t["subject"]), _sort_key(t["predicate"]), _sort_key(t["object"])),
    )
    return {
        "iri": iri,
        "short": shorten(iri),
        "label": labels.get(iri),
        "types": [_term(URIRef(t), labels) for t in types],
        "description": description,
        "claims": claim_list,
        "changes": change_list,
        "facts": fact_list,
        "external": external,
        "pending_links": pending,
        "incoming": in_list,
        "passages": passage_list,
        "source_info": _source_info(grouped, types),
        "graph": graph_list,
        # the network view draws the evidence graphs only (graph.explore.network)
        "in_network": any(
            str(g).startswith(EVIDENCE) for _a, _b, g in facts + incoming if g is not None
        ),
        "truncated": any(len(x) > PAGE_LIMIT for x in (facts, incoming, contents)),
    }


def _passage_key(entry: dict[str, Any]) -> tuple[str, int, str]:
    paragraph = entry.get("paragraph", {}).get("text", "")
    return (
        _sort_key(entry.get("source", {}))[0],
        int(paragraph) if str(paragraph).isdigit() else 0,
        entry["graph"]["iri"],
    )


def _claims(store: Store, subjects: set[str]) -> dict[str, dict[str, Node | None]]:
    """For each kz:Claim among ``subjects``: its text, kind and author."""
    out: dict[str, dict[str, Node | None]] = {}
    todo = sorted(subjects)
    for start in range(0, len(todo), 200):
        values = " ".join(iri_term(c) for c in todo[start : start + 200])
        rows = _select(
            store,
            f"SELECT ?c ?text ?kind ?author WHERE {{ VALUES ?c {{ {values} }} ?c a <{KZ}Claim>"
            f" OPTIONAL {{ ?c <{SCHEMA}text> ?text }} OPTIONAL {{ ?c <{KZ}claimKind> ?kind }}"
            f" OPTIONAL {{ ?c <{SCHEMA}author> ?author }} }}",
        )
        for c, text, kind, author in sorted(rows, key=lambda r: tuple(str(t) for t in r)):
            out.setdefault(str(c), {"text": text, "kind": kind, "author": author})
    return out


def _number(node: Node | None) -> str:
    """An integer literal with thousands separators (20,000); anything else as it is."""
    if isinstance(node, Literal) and isinstance(node.toPython(), int):
        return f"{node.toPython():,}"
    return str(node)


def _changes(
    grouped: dict[tuple[Node | None, Node | None], set[str]],
) -> tuple[list[dict[str, Any]], set[tuple[Node | None, Node | None]]]:
    """Number and rule changes stated plainly, and the (predicate, object) pairs they fold.

    Only a single, unconflicting before/after pair is folded; two different old values stay
    separate rows, so a disagreement between sources remains visible.
    """
    by_property: dict[str, list[tuple[Node | None, Node | None]]] = defaultdict(list)
    for key in grouped:
        by_property[str(key[0])].append(key)
    changes: list[dict[str, Any]] = []
    used: set[tuple[Node | None, Node | None]] = set()
    what_p, old_p, new_p, unit_p = NUMBER_CHANGE
    if len(by_property[old_p]) == 1 and len(by_property[new_p]) == 1:
        keys = by_property[old_p] + by_property[new_p]
        for optional in (what_p, unit_p):
            if len(by_property[optional]) == 1:
                keys += by_property[optional]
        graphs = set().union(*(grouped[k] for k in keys))
        what = by_property[what_p][0][1] if len(by_property[what_p]) == 1 else None
        unit = by_property[unit_p][0][1] if len(by_property[unit_p]) == 1 else None
        changes.append(
            {
                "kind": "number",
                "what": str(what) if what is not None else "value",
                "old": _number(by_property[old_p][0][1]),
                "new": _number(by_property[new_p][0][1]),
                "unit": str(unit) if unit is not None else "",
                "graphs": graphs,
            }
        )
        used.update(keys)
    before_p, after_p = RULE_CHANGE
    if len(by_property[before_p]) == 1 and len(by_property[after_p]) == 1:
        keys = by_property[before_p] + by_property[after_p]
        changes.append(
            {
                "kind": "rule",
                "what": "rule",
                "old": str(keys[0][1]),
                "new": str(keys[1][1]),
                "unit": "",
                "graphs": set().union(*(grouped[k] for k in keys)),
            }
        )
        used.update(keys)
    return changes, used


def _source_info(
    grouped: dict[tuple[Node | None, Node | None], set[str]], types: list[str]
) -> dict[str, str | None] | None:
    """For a source document: its original URL and publication date, None where not recorded."""
    values: dict[str, list[str]] = defaultdict(list)
    for p, o in grouped:
        values[str(p)].append(str(o))
    if not SOURCE_TYPES & set(types) and KZ + "localFile" not in values:
        return None

    def first(prop: str) -> str | None:
        return sorted(values[prop])[0] if values.get(prop) else None

    url = first(SCHEMA + "url")
    return {
        "url": url if url and url.startswith(("http://", "https://")) else None,
        "url_text": url,
        "published": first(SCHEMA + "datePublished"),
        "not_before": first(KZ + "publishedNotBefore"),
        "not_after": first(KZ + "publishedNotAfter"),
    }


def _sort_key(term: dict[str, Any]) -> tuple[str, str]:
    return (
        (term.get("label") or term.get("short") or term.get("text") or "").lower(),
        term.get("iri") or term.get("text") or "",
    )


def _provenance(store: Store, graphs: set[str]) -> dict[str, list[dict[str, Node | None]]]:
    """For each evidence graph: source, claimant, assertion mode, paragraph and quote."""
    out: dict[str, list[dict[str, Node | None]]] = defaultdict(list)
    todo = sorted(graphs)
    for start in range(0, len(todo), 200):
        values = " ".join(iri_term(g) for g in todo[start : start + 200])
        rows = _select(
            store,
            "PREFIX prov: <http://www.w3.org/ns/prov#>\n"
            f"SELECT ?g ?source ?claimant ?mode ?paragraph ?quote ?note"
            f" WHERE {{ VALUES ?g {{ {values} }}"
            f" GRAPH <{PROVENANCE_GRAPH}> {{ ?g prov:wasDerivedFrom ?source ."
            " OPTIONAL { ?g prov:wasAttributedTo ?claimant }"
            " OPTIONAL { ?g kz:assertionMode ?mode }"
            " OPTIONAL { ?g kz:paragraph ?paragraph }"
            " OPTIONAL { ?g kz:quote ?quote }"
            " OPTIONAL { ?g skos:editorialNote ?note } } }",
        )
        for g, source, claimant, mode, paragraph, quote, note in rows:
            out[str(g)].append(
                {
                    "source": source,
                    "claimant": claimant,
                    "mode": mode,
                    "paragraph": paragraph,
                    "quote": quote,
                    "note": note,
                }
            )
    for entries in out.values():
        entries.sort(key=lambda d: tuple(str(v) for v in d.values()))
    return out


def entity_rdf(store: Store, iri: str, fmt: str) -> tuple[str, bytes] | None:
    """The triples about ``iri`` (as subject or object) in ``fmt``; None when it is unknown."""
    e = iri_term(iri)
    from graph.sparql.guard import check_query
    from graph.sparql.results import output_format

    # an evidence graph's IRI also brings the graph's own triples
    answer = store.query(
        check_query(
            f"CONSTRUCT {{ {e} ?p ?o . ?s ?q {e} . ?a ?b ?c }} WHERE {{ {{ {e} ?p ?o }}"
            f" UNION {{ ?s ?q {e} }} UNION {{ GRAPH {e} {{ ?a ?b ?c }} }} }}"
        ),
        None,
    )
    if answer.count == 0:
        return None
    out = output_format(fmt, "CONSTRUCT")
    return out.media_type, answer.serialize(out)


__all__ = ["QueryError", "describe_entity", "entity_rdf", "iri_term", "label_languages"]


def _link_status(link: Any) -> dict[str, Any] | None:
    """How a link out stands, for the page: exact or close, verified or reconciled (with the
    score), when it was last checked, and the public records it was verified against."""
    if link is None:
        return None
    return {
        "match": link.match,
        "status": link.status,
        "confidence": link.confidence,
        "checked": str(link.last_checked) if link.last_checked else None,
        "evidence": [{"iri": str(ref.iri), "label": ref.label} for ref in link.evidence],
    }
