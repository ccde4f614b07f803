"""Finding entities by name on the web pages: suggestions, results, an index by kind, and
did-you-mean for unknown addresses.

Names are the labels and alternative labels the dataset has (``rdfs:label``, ``skos:prefLabel``,
``schema:name``, ``dct:title``, ``skos:altLabel``, ``schema:alternateName``) in every language,
so a Kazakh or Russian label added by ``kzgraph enrich`` finds its entity too. Matching follows
:mod:`graph.resolve` (the command line's rule: case and spacing ignored, IRIs and prefixed names
accepted) and widens it for a search box: a name that starts with the text, a word that does, the
text anywhere in a name, every word of it in any order. When nothing matches, the resolver's
spelling suggestions answer "did you mean". Everything runs as SPARQL through a
:class:`graph.stores.base.Store`.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from typing import Any

from rdflib import Literal
from rdflib.term import Node

from graph.explore.resolve import SHOWN, candidates, closest, normalise, words
from graph.namespaces import BASE, PREFIXES
from graph.serving.labels import FALLBACK
from graph.serving.term_labels import external_label
from graph.sparql.results import shorten
from graph.stores.base import Store

KZ = PREFIXES["kz"]
NAME_PROPERTIES = {
    PREFIXES["rdfs"] + "label": 0,
    PREFIXES["skos"] + "prefLabel": 1,
    PREFIXES["schema"] + "name": 2,
    PREFIXES["dct"] + "title": 3,
    PREFIXES["skos"] + "altLabel": 4,
    PREFIXES["schema"] + "alternateName": 5,
}
#: Kinds listed after everything else: records about links and the dataset, not things.
DEMOTED = {KZ + "Alignment", PREFIXES["void"] + "Dataset", PREFIXES["adms"] + "Identifier"}
#: How many results a search page and the suggestion box show.
LIMIT = 50
SUGGESTIONS = 8


def _select(store: Store, text: str) -> list[tuple[Node | None, ...]]:
    from graph.sparql.guard import check_query

    return store.query(check_query(text), None).rows()


#: Per store and language: (the dataset's size when read, the entries). A suggestion box asks
#: on every keystroke; the size check notices an update.
_CACHE: weakref.WeakKeyDictionary[Store, dict[str, tuple[int, dict[str, dict[str, Any]]]]] = (
    weakref.WeakKeyDictionary()
)


def entries(store: Store, lang: str = FALLBACK) -> dict[str, dict[str, Any]]:
    """Every named resource under the project's base: IRI -> label, names, kind."""
    ((size,),) = _select(store, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    count = int(size.toPython()) if isinstance(size, Literal) else -1
    cached = _CACHE.setdefault(store, {}).get(lang)
    if cached is not None and cached[0] == count:
        return cached[1]
    found = _read_entries(store, lang)
    _CACHE[store][lang] = (count, found)
    return found


def _read_entries(store: Store, lang: str) -> dict[str, dict[str, Any]]:
    props = " ".join(f"<{p}>" for p in NAME_PROPERTIES)
    rows = _select(
        store,
        f"SELECT DISTINCT ?s ?p ?name WHERE {{ VALUES ?p {{ {props} }} ?s ?p ?name"
        f' FILTER(isIRI(?s) && isLiteral(?name) && STRSTARTS(STR(?s), "{BASE}")) }}',
    )
    found: dict[str, dict[str, Any]] = {}
    ranked: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for s, p, name in rows:
        if not isinstance(name, Literal):
            continue
        iri = str(s)
        tag = (name.language or "").split("-")[0].lower()
        language_rank = 0 if tag == lang else 1 if tag in (FALLBACK, "") else 2
        ranked[iri].append((NAME_PROPERTIES[str(p)] >= 4, language_rank, str(name)))
    for iri, names in ranked.items():
        names.sort()
        found[iri] = {
            "iri": iri,
            "short": shorten(iri),
            "label": names[0][2],
            "names": sorted({n for _alt, _r, n in names}),
            "kind": None,
        }
    _add_kinds(store, found, lang)
    return found


def _add_kinds(store: Store, found: dict[str, dict[str, Any]], lang: str) -> None:
    """The most specific type of each entry, by label (own classes before reused ones)."""
    rows = _select(
        store,
        f'SELECT ?s ?t WHERE {{ ?s a ?t FILTER(STRSTARTS(STR(?s), "{BASE}") && isIRI(?t)) }}',
    )
    parents = {
        (str(a), str(b)) for a, b in _select(store, "SELECT ?a ?b WHERE { ?a rdfs:subClassOf ?b }")
    }
    types: dict[str, set[str]] = defaultdict(set)
    for s, t in rows:
        types[str(s)].add(str(t))
    class_labels = {
        str(c): str(label)
        for c, label in _select(
            store,
            "SELECT ?c ?label WHERE { ?c rdfs:label ?label"
            ' FILTER(LANGMATCHES(LANG(?label), "en")) }',
        )
    }
    for iri, entry in found.items():
        candidates = types.get(iri, set())
        specific = [t for t in candidates if not any((other, t) in parents for other in candidates)]
        specific.sort(key=lambda t: (not t.startswith(KZ), t))
        if iri.startswith(KZ):
            kind, label = KZ, "Ontology term"
        elif iri.startswith(PREFIXES["kzt"]):
            kind, label = PREFIXES["skos"] + "Concept", "Topic"
        elif specific:
            kind = specific[0]
            label = class_labels.get(kind) or external_label(kind) or shorten(kind)
        elif iri.startswith(PREFIXES["kzt"]):
            kind, label = PREFIXES["skos"] + "Concept", "Topic"
        else:
            kind, label = "", "Other"
        entry["kind"] = {"iri": kind, "label": label}


def _graph(found: dict[str, dict[str, Any]]) -> Any:
    """The entries as the resolver's graph: nodes with ``label``, ``alt_labels`` and ``name``."""
    import networkx as nx

    graph = nx.MultiDiGraph()
    graph.graph["prefixes"] = dict(PREFIXES)
    for iri, entry in found.items():
        graph.add_node(
            iri,
            label=entry["label"],
            alt_labels=[n for n in entry["names"] if n != entry["label"]],
            name=entry["short"],
        )
    return graph


def _score(text: str, entry: dict[str, Any]) -> tuple[int, str] | None:
    """How well ``text`` matches one of the entry's names (lower is better), and that name."""
    wanted = normalise(text)
    wanted_words = words(text)
    slug = entry["short"].split(":", 1)[-1]
    best: tuple[int, str] | None = None
    for name in entry["names"]:
        norm = normalise(name)
        name_words = words(name)
        if norm == wanted:
            score = 0
        elif norm.startswith(wanted):
            score = 2
        elif any(w.startswith(wanted) for w in norm.split()):
            score = 3
        elif wanted in norm:
            score = 4
        elif wanted_words and wanted_words <= name_words:
            score = 5
        elif wanted_words and all(any(n.startswith(w) for n in name_words) for w in wanted_words):
            score = 6
        else:
            continue
        if best is None or score < best[0]:
            best = (score, name)
    if slug == text.strip() or slug == wanted.replace(" ", "-"):
        best = (1, entry["label"]) if best is None or best[0] > 1 else best
    return best


def search(store: Store, text: str, lang: str = FALLBACK, limit: int = LIMIT) -> dict[str, Any]:
    """Entities whose names match ``text``, best first, and spelling suggestions if none do."""
    found = entries(store, lang)
    text = text.strip()[:200]
    results: list[tuple[int, int, str, dict[str, Any]]] = []
    if text:
        exact = set(candidates(_graph(found), text)) if ":" in text else set()
        for iri, entry in found.items():
            scored = (-1, entry["label"]) if iri in exact else _score(text, entry)
            if scored is not None and entry["kind"]["iri"] in DEMOTED:
                scored = (scored[0] + 10, scored[1])  # bookkeeping after the things themselves
            if scored is not None:
                matched = scored[1] if scored[1] != entry["label"] else None
                results.append(
                    (
                        scored[0],
                        len(entry["label"]),
                        entry["label"].lower(),
                        {**entry, "matched": matched},
                    )
                )
    results.sort(key=lambda r: r[:3])
    suggestions: list[dict[str, Any]] = []
    if text and not results:
        near = [found[i] for i in closest(_graph(found), text) if i in found]
        suggestions = sorted(near, key=lambda e: e["kind"]["iri"] in DEMOTED)
    return {
        "query": text,
        "total": len(results),
        "results": [r[3] for r in results[:limit]],
        "suggestions": suggestions,
    }


def did_you_mean(store: Store, path: str, lang: str = FALLBACK) -> list[dict[str, Any]]:
    """Entities an unknown address may have meant: its last segment read as a name."""
    name = path.rstrip("/").rsplit("/", 1)[-1].replace("-", " ").replace("_", " ")
    answer = search(store, name, lang, limit=SHOWN)
    found = answer["results"] or answer["suggestions"]
    return sorted(found, key=lambda e: e["kind"]["iri"] in DEMOTED)


def index(store: Store, lang: str = FALLBACK) -> list[dict[str, Any]]:
    """Every named entity (not ontology terms: /ontology lists those), grouped by kind."""
    groups: dict[str, dict[str, Any]] = {}
    for entry in entries(store, lang).values():
        if entry["iri"].startswith(KZ):
            continue
        kind = entry["kind"]
        group = groups.setdefault(kind["label"], {**kind, "entries": []})
        group["entries"].append(entry)
    out = sorted(
        groups.values(), key=lambda g: (g["iri"] in DEMOTED or not g["iri"], g["label"].lower())
    )
    for i, group in enumerate(out):
        group["entries"].sort(key=lambda e: e["label"].lower())
        group["anchor"] = "kind-" + "-".join(normalise(group["label"]).split()) or str(i)
    return out
