"""networkx -> one standalone, offline HTML page drawn with pyvis (vis-network).

pyvis generates the page from our template (``graph/explore/templates/view.html``); we then inline
vis-network's script and style from the pyvis package, our own script and style, and the page's
data, so the file opens from disk with nothing fetched (a Content-Security-Policy forbids it).
Around pyvis's known pitfalls: its templates link Bootstrap from a CDN even "in line" (ours
links nothing), ``show()`` is broken in 0.3.2 (we call ``generate_html()``), HTML in ``title``
tooltips shows as raw text (our script builds tooltips and panels as DOM from the data, so a
label holding ``<script>`` is shown as text), notebook rendering fails in several front ends
(:meth:`View._repr_html_` uses an ``<iframe srcdoc>``), and ``from_nx``/``add_node`` are
quadratic (we fill the node and edge lists directly).

Graphs up to :data:`PHYSICS_LIMIT` nodes are laid out in the browser by the physics engine,
which is switched off once it has settled; larger ones get their layout computed here
(:func:`layout`) and open with physics off. :data:`MAX_NODES` or more is refused.
"""

from __future__ import annotations

import html as html_lib
import json
import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import Graph, Literal, URIRef

from graph.errors import InputError
from graph.explore.network import Evidence

if TYPE_CHECKING:
    import networkx as nx
    from rdflib import Dataset
    from rdflib.term import Node

    from graph.sparql.guard import CheckedQuery
    from graph.stores.base import Store

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: The page's Content-Security-Policy (also in its <meta>): inline code only, no network at all.
#: A server that serves a view sends it as the header, since a stricter site-wide policy
#: (script-src 'self') would block the inlined scripts.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; base-uri 'none'; form-action 'none'"
)
#: Above this many nodes the layout is computed in Python and physics stays off.
PHYSICS_LIMIT = 1_000
#: Graphs of this many nodes or more are refused: narrow them with a focus or a query.
MAX_NODES = 20_000
#: Pixels per unit of the Python layout (about one edge length).
LAYOUT_SCALE = 90.0
#: Node labels longer than this are cut on the canvas (the panel shows them whole).
LABEL_CHARS = 40

#: Shape and colour per node group (see graph.explore.network.GROUPS): one look per group, so the
# legend
#: reads as a handful of families with clearly different colours (Okabe-Ito and Tol's palettes,
#: which stay apart for colour-blind readers too); the kinds of a group are listed under it.
GROUP_STYLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "legal": ("diamond", ("#7b3294",)),
    "organisation": ("square", ("#0072b2",)),
    "person": ("dot", ("#d55e00",)),
    "event": ("triangle", ("#e69f00",)),
    "programme": ("hexagon", ("#009e73",)),
    "measure": ("triangleDown", ("#56b4e9",)),
    "claim": ("star", ("#c29b00",)),
    "post": ("dot", ("#cc79a7",)),
    "concept": ("square", ("#a0a0a0",)),
    "document": ("square", ("#4d4d4d",)),
    "literal": ("box", ("#eeeeee",)),
    "other": ("dot", ("#999933",)),
}
#: What each group is called in the legend.
GROUP_LABELS = {
    "legal": "Legal acts",
    "organisation": "Organisations",
    "person": "People",
    "event": "Events",
    "programme": "Programmes",
    "measure": "Reform measures",
    "claim": "Claims",
    "post": "Posts and roles",
    "concept": "Topics",
    "document": "Articles and documents",
    "literal": "Values",
    "other": "Other",
}
#: The legend's glyph for each vis-network shape.
GLYPHS = {
    "dot": "●",
    "square": "■",
    "diamond": "◆",
    "triangle": "▲",
    "triangleDown": "▼",
    "star": "★",
    "hexagon": "⬢",
    "box": "▭",
}
#: How well a fact is supported, from its evidence passages (see :func:`support`).
SUPPORT_LEVELS = ("several", "one", "curators", "none")

_PLACEHOLDERS = (
    "<!--kz:title-->",
    "<!--kz:vis-css-->",
    "<!--kz:app-css-->",
    "<!--kz:meta-->",
    "<!--kz:vis-js-->",
    "<!--kz:app-js-->",
)


class GraphTooLargeError(InputError):
    """The graph has too many nodes to draw."""


@dataclass(frozen=True)
class View:
    """A rendered page: save it, or let Jupyter show it inline."""

    html: str
    title: str
    nodes: int
    edges: int

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (atomically) and return the path."""
        from graph.inputs.writing import write_atomic

        target = Path(path)
        try:
            write_atomic(target, self.html.encode("utf-8"))
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror or exc}", target) from None
        return target

    def _repr_html_(self) -> str:
        # srcdoc keeps the page in its own document, which is what works across JupyterLab,
        # Notebook 7, VS Code and nbviewer; the sandbox lets its scripts run and its links
        # open in a new tab, nothing more.
        return (
            f'<iframe title="{html_lib.escape(self.title)}" srcdoc="{html_lib.escape(self.html)}"'
            ' style="width: 100%; height: 640px; border: 1px solid #ddd"'
            ' sandbox="allow-scripts allow-popups allow-popups-to-escape-sandbox"></iframe>'
        )

    def __str__(self) -> str:
        return f"{self.title}: {self.nodes} nodes, {self.edges} edges"


def render(
    graph: nx.MultiDiGraph,
    *,
    title: str = "kzgraph",
    entity_url: Callable[[str], str | None] | None = None,
) -> View:
    """Draw ``graph`` (from :func:`graph.explore.network.to_networkx`) as one standalone page.

    Args:
        graph: the graph; node and edge attributes as :mod:`graph.explore.network` makes them.
        title: the page's title and heading.
        entity_url: maps an entity IRI to the page that describes it (the SPARQL server passes
            its entity pages); by default an entity links to its own IRI.

    Raises:
        GraphTooLargeError: the graph has :data:`MAX_NODES` nodes or more.
    """
    from pyvis.network import Network

    n = graph.number_of_nodes()
    if n >= MAX_NODES:
        raise GraphTooLargeError(
            f"the graph has {n:,} nodes, too many to draw (the limit is "
            f"{MAX_NODES - 1:,}): narrow it with --focus ENTITY --depth N or --query FILE.rq"
        )
    large = n > PHYSICS_LIMIT
    positions = layout(graph) if large else {}
    evidence_index: dict[str, int] = {}
    evidence_table: list[dict[str, Any]] = []

    def refs(items: list[Evidence]) -> list[int]:
        out = []
        for ev in items:
            if ev.graph not in evidence_index:
                evidence_index[ev.graph] = len(evidence_table)
                evidence_table.append(_evidence_json(ev))
            out.append(evidence_index[ev.graph])
        return out

    degree = dict(graph.degree())
    link = entity_url or _default_entity_url(graph)
    when = effective_dates(graph)
    nodes: list[dict[str, Any]] = []
    for node, data in graph.nodes(data=True):
        group = data.get("group", "other")
        shape, colours = GROUP_STYLES.get(group, GROUP_STYLES["other"])
        label = str(data.get("label", node))
        short = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
        item: dict[str, Any] = {
            "id": node,
            "shape": shape,
            "color": colours[0],
            "size": round(min(40.0, 9.0 + 4.5 * math.sqrt(degree.get(node, 0))), 1),
            "kz": {
                **_node_json(node, data, refs, link),
                "short": short,
                "group": group,
                "degree": degree.get(node, 0),
                **when.get(node, {"when": None, "basis": None, "shown": None}),
            },
        }
        if shape == "box":
            # a value is drawn as its text in a box; other shapes get their label from the page
            item["label"] = short
            item["color"] = {"background": colours[0], "border": "#999999"}
        if large:
            x, y = positions[node]
            item["x"], item["y"] = round(x * LAYOUT_SCALE, 1), round(y * LAYOUT_SCALE, 1)
        nodes.append(item)

    edges: list[dict[str, Any]] = []
    parallel: Counter[frozenset[str]] = Counter()
    for i, (u, v, key, data) in enumerate(graph.edges(keys=True, data=True)):
        pair = frozenset((u, v))
        k = parallel[pair]
        parallel[pair] += 1
        evidence = list(data.get("evidence", []))
        level = support(evidence)
        edge: dict[str, Any] = {
            "id": f"e{i}",
            "from": u,
            "to": v,
            **EDGE_STYLES[level],
            "kz": {
                "p": str(data.get("predicate", key)),
                "name": str(data.get("name", key)),
                "label": str(data.get("label", key)),
                "ev": refs(evidence),
                "support": level,
            },
        }
        if k and not large:
            # parallel edges (both directions, several predicates) curve apart
            edge["smooth"] = {"enabled": True, "type": "curvedCW", "roundness": 0.18 * k}
        edges.append(edge)

    meta = {
        "title": title,
        "evidence": evidence_table,
        "groups": _legend(graph),
        "predicates": _predicates(graph),
        "claimants": _agents(evidence_table, "claimantIri", "claimant"),
        "sources": _agents(evidence_table, "sourceIri", "source"),
        "dates": _date_range(graph, when),
        "counts": {"nodes": n, "edges": graph.number_of_edges()},
        "physics": not large,
        "focus": graph.graph.get("focus"),
    }
    net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line")
    net.set_template_dir(str(TEMPLATES) + os.sep, "view.html")
    net.nodes = nodes
    net.edges = edges
    net.node_ids = [item["id"] for item in nodes]
    net.node_map = {item["id"]: item for item in nodes}
    net.options = _options(n, large)
    page = _inline(net.generate_html(), title, meta)
    return View(page, title, n, graph.number_of_edges())


#: How an edge is drawn for each level of support (the legend shows the same).
EDGE_STYLES: dict[str, dict[str, Any]] = {
    "several": {"width": 3.2, "color": {"color": "#34495e"}},
    "one": {"width": 1.2, "color": {"color": "#8795a3"}},
    "curators": {"width": 1.4, "dashes": [7, 5], "color": {"color": "#a05195"}},
    "none": {"width": 1.0, "dashes": [2, 4], "color": {"color": "#b8c0c8"}},
}


def support(evidence: list[Evidence]) -> str:
    """How a fact is supported: ``several`` sources state it, ``one`` does, only the curators'
    identification (``curators``), or no passage is recorded (``none``)."""
    if not evidence:
        return "none"
    stated = {ev.source or ev.graph for ev in evidence if not ev.curated}
    if not stated:
        return "curators"
    return "several" if len(stated) > 1 else "one"


#: Predicates that put their object inside their subject (an act includes a measure) or, in
#: ``PART_OF``, their subject inside their object: an undated part takes its whole's date.
INCLUDES = ("https://w3id.org/kzgraph/ontology#includesMeasure",)
PART_OF = ("http://purl.org/dc/terms/isPartOf",)
AMENDS = ("http://data.europa.eu/eli/ontology#amends",)


def effective_dates(graph: nx.MultiDiGraph) -> dict[str, dict[str, Any]]:
    """When each node enters the picture, and why: ``{"when": day or None, "basis": text}``.

    A node with a key date of its own (signed, started) has it. An undated reform measure takes
    the earliest date of the acts and programmes that include it (an amending act's, if one
    does: the amendment introduced it); an undated claim the day its
    source article was published at the earliest. Anything else stays undated (the view marks
    it and can hide it).
    """
    when: dict[str, dict[str, Any]] = {}
    for node, data in graph.nodes(data=True):
        if data.get("date"):
            when[node] = {"when": data["date"], "basis": "own", "shown": _as_written(data)}
    wholes: dict[str, list[str]] = defaultdict(list)
    amending: set[str] = set()
    for u, v, k in graph.edges(keys=True):
        if k in INCLUDES:
            wholes[v].append(u)
        elif k in PART_OF:
            wholes[u].append(v)
        elif k in AMENDS:
            amending.add(u)
    for _round in range(3):  # a part of a part of a dated whole
        changed = False
        for node, found in wholes.items():
            if node in when:
                continue
            dated = sorted((when[w]["when"], w) for w in found if w in when)
            # an amending act introduces what it includes; the act it amends holds it only
            # as amended, so the amendment's date wins over the earlier act's
            amended = [(d, w) for d, w in dated if w in amending]
            if dated:
                day, whole = (amended or dated)[0]
                label = graph.nodes[whole].get("label", whole)
                shown = when[whole]["shown"]
                when[node] = {
                    "when": day,
                    "basis": f"the date of {label} ({shown}), which includes it",
                    "shown": shown,
                }
                changed = True
        if not changed:
            break
    for node, data in graph.nodes(data=True):
        if node in when or data.get("group") != "claim":
            continue
        days = sorted(
            (ev.source_date, ev.source_label or ev.name)
            for ev in data.get("evidence", [])
            if ev.source_date
        )
        if days:
            day, source = days[0]
            when[node] = {
                "when": day,
                "basis": f"the earliest publication date of “{source}”, which reports it",
                "shown": day,
            }
    return when


def _as_written(data: Mapping[str, Any]) -> str:
    """A node's key date as precise as the source gives it (``2022``, ``2021-06``, a day)."""
    for d in data.get("dates", []):
        if d.get("key") and d.get("start") == data.get("date"):
            return str(d["value"])[: {"year": 4, "month": 7}.get(d.get("precision", ""), 10)]
    return str(data.get("date"))


def _evidence_json(ev: Evidence) -> dict[str, Any]:
    return {
        "name": ev.name,
        "graph": ev.graph,
        "source": ev.source_label,
        "sourceIri": ev.source,
        "kind": ev.source_kind,
        "claimant": ev.claimant_label,
        "claimantIri": ev.claimant,
        "curated": ev.curated,
        "mode": ev.mode,
        "paragraph": ev.paragraph,
        "quote": ev.quote,
        "note": ev.note,
    }


def _default_entity_url(graph: nx.MultiDiGraph) -> Callable[[str], str | None]:
    prefixes = graph.graph.get("prefixes", {})
    namespaces = tuple(prefixes[p] for p in ("kzr", "kzt") if p in prefixes)

    def url(iri: str) -> str | None:
        return iri if namespaces and iri.startswith(namespaces) else None

    return url


#: Attributes that describe one change of number (old -> new) and are shown as one line.
_CHANGE = {
    "quantity": "https://w3id.org/kzgraph/ontology#changedQuantity",
    "old": "https://w3id.org/kzgraph/ontology#oldValue",
    "new": "https://w3id.org/kzgraph/ontology#newValue",
    "unit": "https://schema.org/unitText",
}
_RULE = {
    "old": "https://w3id.org/kzgraph/ontology#previousRule",
    "new": "https://w3id.org/kzgraph/ontology#newRule",
}


def _number(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    return f"{int(value):,}" if value.is_integer() else f"{value:,}"


def _changes(
    attrs: list[Mapping[str, Any]], refs: Callable[[list[Evidence]], list[int]]
) -> tuple[list[dict[str, Any]], set[int]]:
    """The changes of number and of rule an entity records, as plain lines, and the indices of
    the attributes they replace."""
    by_predicate: dict[str, list[int]] = defaultdict(list)
    for i, a in enumerate(attrs):
        by_predicate[a["predicate"]].append(i)
    out: list[dict[str, Any]] = []
    used: set[int] = set()

    def evidence_of(indices: list[int]) -> list[int]:
        seen: dict[str, Evidence] = {}
        for i in indices:
            for ev in attrs[i].get("evidence", []):
                seen.setdefault(ev.graph, ev)
        return refs(list(seen.values()))

    old, new = by_predicate.get(_CHANGE["old"], []), by_predicate.get(_CHANGE["new"], [])
    if len(old) == 1 and len(new) == 1:
        quantity = by_predicate.get(_CHANGE["quantity"], [])
        unit = by_predicate.get(_CHANGE["unit"], [])
        what = attrs[quantity[0]]["value"] if len(quantity) == 1 else "value"
        unit_text = attrs[unit[0]]["value"] if len(unit) == 1 else ""
        line = f"{_number(attrs[old[0]]['value'])} → {_number(attrs[new[0]]['value'])}"
        if unit_text and unit_text.lower() not in what.lower():
            line += f" {unit_text}"
        parts = old + new
        parts += quantity if len(quantity) == 1 else []
        parts += unit if len(unit) == 1 else []
        out.append({"label": what, "value": line, "ev": evidence_of(parts)})
        used.update(parts)
    before, after = by_predicate.get(_RULE["old"], []), by_predicate.get(_RULE["new"], [])
    if len(before) == 1 and len(after) == 1:
        line = f"{attrs[before[0]]['value']} → {attrs[after[0]]['value']}"
        out.append({"label": "rule", "value": line, "ev": evidence_of(before + after)})
        used.update(before + after)
    return out, used


def _node_json(
    node: str,
    data: Mapping[str, Any],
    refs: Callable[[list[Evidence]], list[int]],
    link: Callable[[str], str | None],
) -> dict[str, Any]:
    iri = data.get("iri")
    attrs = list(data.get("attributes", []))
    changes, used = _changes(attrs, refs)
    return {
        "label": str(data.get("label", node)),
        "alt": list(data.get("alt_labels", [])),
        "name": str(data.get("name", node)),
        "kind": str(data.get("kind", "Untyped")),
        "classes": list(data.get("class_labels", [])),
        "desc": data.get("description"),
        "date": data.get("date"),
        "dates": [
            {"label": d["label"], "value": d["value"], "ev": refs(list(d.get("evidence", [])))}
            for d in data.get("dates", [])
        ],
        "changes": changes,
        "attrs": [
            {"label": a["label"], "value": a["value"], "ev": refs(list(a.get("evidence", [])))}
            for i, a in enumerate(attrs)
            if i not in used
        ],
        "links": [
            {
                "label": x["label"],
                "iri": x["iri"],
                "p": x.get("predicate"),
                "match": f"{x['match']} match" if x.get("match") else None,
                "how": x.get("how") or None,
                "checked": x.get("checked") or None,
            }
            for x in data.get("links", [])
        ],
        "wikidata": data.get("wikidata"),
        "iri": iri,
        "href": link(iri) if iri else None,
        "ev": refs(list(data.get("evidence", []))),
    }


def _legend(graph: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """The legend: each group present, with its look and its kinds (and their counts)."""
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    for _n, d in graph.nodes(data=True):
        kinds[d.get("group", "other")][d.get("kind", "Untyped")] += 1
    order = list(GROUP_STYLES)
    out = []
    for group in sorted(kinds, key=lambda g: order.index(g) if g in order else len(order)):
        shape, colours = GROUP_STYLES.get(group, GROUP_STYLES["other"])
        out.append(
            {
                "group": group,
                "label": GROUP_LABELS.get(group, group.capitalize()),
                "shape": shape,
                "glyph": GLYPHS.get(shape, "●"),
                "color": colours[0],
                "count": sum(kinds[group].values()),
                "kinds": [{"kind": k, "count": c} for k, c in sorted(kinds[group].items())],
            }
        )
    return out


def _agents(evidence: list[dict[str, Any]], key: str, label: str) -> list[dict[str, Any]]:
    """The claimants (or sources) of the passages, with how many passages each has."""
    counts: Counter[str] = Counter()
    labels: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for ev in evidence:
        iri = ev[key] or ""
        counts[iri] += 1
        labels[iri] = ev[label] or iri or "no recorded " + label
        if label == "source" and ev.get("kind"):
            kinds[iri] = ev["kind"]
        if label == "claimant" and ev.get("curated") and iri:
            kinds[iri] = "editorial identifications"
    return [
        {"iri": iri, "label": labels[iri], "count": counts[iri], "kind": kinds.get(iri)}
        for iri in sorted(counts, key=lambda i: (-counts[i], labels[i]))
    ]


def _predicates(graph: nx.MultiDiGraph) -> list[dict[str, Any]]:
    counts: Counter[tuple[str, str, str]] = Counter(
        (str(d.get("label", k)), str(d.get("predicate", k)), str(d.get("name", k)))
        for _u, _v, k, d in graph.edges(keys=True, data=True)
    )
    return [
        {"label": label, "p": p, "name": name, "count": count}
        for (label, p, name), count in sorted(counts.items())
    ]


def _date_range(
    graph: nx.MultiDiGraph, when: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any] | None:
    """The slider's range, its ticks (the nodes dated in their own right) and what is undated."""
    dates = sorted(w["when"] for w in when.values() if w["when"])
    if not dates:
        return None
    ticks = sorted(
        (w["when"], str(graph.nodes[n].get("label", n)), n, w["shown"])
        for n, w in when.items()
        if w["basis"] == "own"
    )
    return {
        "min": dates[0],
        "max": dates[-1],
        "count": len(dates),
        "undated": graph.number_of_nodes() - len(dates),
        "ticks": [
            {"date": d, "shown": shown, "label": label, "id": n}
            for d, label, n, shown in ticks[:400]
        ],
    }


def _options(n: int, large: bool) -> dict[str, Any]:
    return {
        "autoResize": True,
        "nodes": {
            "borderWidth": 1,
            "font": {
                "size": 14,
                "face": "system-ui, -apple-system, Segoe UI, sans-serif",
                "strokeWidth": 3,
                "strokeColor": "#ffffff",
            },
        },
        "edges": {
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.55}},
            "color": {"highlight": "#1d2733", "hover": "#1d2733", "inherit": False},
            "smooth": False if large else {"enabled": True, "type": "continuous"},
            "selectionWidth": 2,
            "hoverWidth": 1.5,
        },
        "interaction": {
            "hover": True,
            "tooltipDelay": 150,
            "keyboard": False,  # the page's own keys (view.js) work when the picture has focus
            "hideEdgesOnDrag": large,
            "hideEdgesOnZoom": large,
        },
        # vis-network's "improved" initial layout (Kamada-Kawai) costs more than it gives here
        "layout": {"improvedLayout": False, "randomSeed": 7},
        "physics": (
            {"enabled": False}
            if large
            else {
                "enabled": True,
                "solver": "barnesHut",
                "barnesHut": {
                    "gravitationalConstant": -9000,
                    "centralGravity": 0.25,
                    "springLength": 150,
                    "springConstant": 0.035,
                    "damping": 0.35,
                    "avoidOverlap": 0.15,
                },
                "minVelocity": 1.0,
                "stabilization": {
                    "enabled": True,
                    "iterations": 200 if n <= 200 else 150,
                    "updateInterval": 20,
                    "fit": True,
                },
            }
        ),
    }


def _script_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element whatever the strings hold."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _asset(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if "</script" in text.lower() or "</style" in text.lower():
        raise RuntimeError(f"{path} cannot be inlined: it closes its own element")
    return text


def _vis_dir() -> Path:
    import pyvis

    return Path(pyvis.__file__).resolve().parent / "templates" / "lib" / "vis-9.1.2"


def _inline(page: str, title: str, meta: Mapping[str, Any]) -> str:
    """Put the title, the assets and the page data in place of the template's placeholders."""
    vis = _vis_dir()
    contents = {
        "<!--kz:title-->": html_lib.escape(title),
        "<!--kz:vis-css-->": _asset(vis / "vis-network.css"),
        "<!--kz:app-css-->": _asset(TEMPLATES / "view.css"),
        "<!--kz:meta-->": _script_json(meta),
        "<!--kz:vis-js-->": _asset(vis / "vis-network.min.js"),
        "<!--kz:app-js-->": _asset(TEMPLATES / "view.js"),
    }
    # Each placeholder sits in the template before the data; replacing the first occurrence
    # cannot touch a label, whose "<" the JSON encoding has escaped anyway.
    pieces = []
    rest = page
    for placeholder in _PLACEHOLDERS:
        head, found, rest = rest.partition(placeholder)
        if not found:
            raise RuntimeError(f"the view template lacks {placeholder}")
        pieces.extend([head, contents[placeholder]])
    pieces.append(rest)
    return "".join(pieces)


# -- Layout for large graphs --


def layout(
    graph: nx.MultiDiGraph, seed: int = 7, iterations: int = 40
) -> dict[str, tuple[float, float]]:
    """Positions for every node, about one unit per edge, computed without a browser.

    Each connected component is laid out by Fruchterman-Reingold in its grid variant
    (repulsion only between nodes closer than 1.5 units, found with a k-d tree), which is
    linear per iteration where networkx's ``spring_layout`` is quadratic (82 s for 5,000
    nodes, against about 1 s here); components are then packed in rows, largest first.
    """
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    names = sorted(graph.nodes, key=str)
    index = {node: i for i, node in enumerate(names)}
    ends = np.array(
        [(index[u], index[v]) for u, v in graph.edges() if u != v], dtype=np.int64
    ).reshape(-1, 2)
    ends = np.unique(np.sort(ends, axis=1), axis=0)  # one undirected pair per linked couple
    n = len(names)
    matrix = coo_matrix((np.ones(len(ends)), (ends[:, 0], ends[:, 1])), shape=(n, n))
    _count, component_of = connected_components(matrix, directed=False)
    groups: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(component_of.tolist()):
        groups[c].append(i)  # members in name order
    components = sorted(groups.values(), key=lambda m: (-len(m), m[0]))
    pair_component = component_of[ends[:, 0]] if len(ends) else np.zeros(0, dtype=np.int64)
    placed: list[tuple[list[str], Any]] = []
    for number, members in enumerate(components):
        if len(members) == 1:
            pos = np.zeros((1, 2))
        else:
            local = np.full(n, -1, dtype=np.int64)
            local[members] = np.arange(len(members))
            pairs = local[ends[pair_component == component_of[members[0]]]]
            pos = _grid_fruchterman_reingold(len(members), pairs, seed + number, iterations)
        placed.append(([names[i] for i in members], pos - pos.min(axis=0)))
    return _pack(placed)


def _grid_fruchterman_reingold(n: int, pairs: Any, seed: int, iterations: int) -> Any:
    import numpy as np
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    side = math.sqrt(n)
    pos = rng.uniform(0.0, side, (n, 2))
    temperature = side / 8.0
    cooling = (0.02 / temperature) ** (1.0 / iterations) if temperature > 0.02 else 1.0
    rows, cols = pairs[:, 0], pairs[:, 1]
    for _ in range(iterations):
        disp = np.zeros((n, 2))
        near = cKDTree(pos).query_pairs(1.5, output_type="ndarray")
        if len(near):
            delta = pos[near[:, 0]] - pos[near[:, 1]]
            push = delta / np.maximum(np.einsum("ij,ij->i", delta, delta), 1e-4)[:, None]  # k²/d
            for axis in (0, 1):
                disp[:, axis] += np.bincount(near[:, 0], push[:, axis], n)
                disp[:, axis] -= np.bincount(near[:, 1], push[:, axis], n)
        if len(rows):
            delta = pos[rows] - pos[cols]
            pull = delta * np.sqrt(np.einsum("ij,ij->i", delta, delta))[:, None]  # d²/k
            for axis in (0, 1):
                disp[:, axis] += np.bincount(cols, pull[:, axis], n)
                disp[:, axis] -= np.bincount(rows, pull[:, axis], n)
        length = np.sqrt(np.maximum(np.einsum("ij,ij->i", disp, disp), 1e-12))
        pos += disp / length[:, None] * np.minimum(length, temperature)[:, None]
        temperature *= cooling
    return pos


def _pack(placed: list[tuple[list[str], Any]]) -> dict[str, tuple[float, float]]:
    """Shelf-pack the components (largest first) into rows about as wide as they are tall."""
    gap = 2.0
    sizes = [pos.max(axis=0) + gap for _m, pos in placed]
    width = max(math.sqrt(sum(float(w * h) for w, h in sizes)), max(float(w) for w, _h in sizes))
    out: dict[str, tuple[float, float]] = {}
    x = y = row = 0.0
    for (members, pos), (w, h) in zip(placed, sizes, strict=True):
        if x > 0 and x + w > width:
            x, y, row = 0.0, y + row, 0.0
        for node, (px, py) in zip(members, pos, strict=True):
            out[node] = (float(px + x), float(py + y))
        x += float(w)
        row = max(row, float(h))
    return out


# -- Views of the dataset: the CLI, the build and the SPARQL server call these --


def view_for(
    ds: Dataset | Graph,
    *,
    focus: str | None = None,
    depth: int = 1,
    query: str | None = None,
    literals: bool = False,
    title: str | None = None,
    entity_url: Callable[[str], str | None] | None = None,
    lang: str = "en",
) -> View:
    """The page for the whole graph, one entity's neighbourhood, or a query's result.

    Args:
        ds: the dataset.
        focus: an entity by label, prefixed name or IRI (see :mod:`graph.resolve`).
        depth: how many steps around ``focus`` to show.
        query: SPARQL text: a CONSTRUCT/DESCRIBE, a SELECT binding ?s ?p ?o, or any other
            SELECT (the entities its rows name, by IRI or exact label, with the facts among
            them). With ``focus`` too, the neighbourhood is taken within the query's graph.
        literals: draw literal values as nodes.
        title: the page title (default: says what is shown).
        entity_url: see :func:`render`.
        lang: the label language to prefer (``kk``, ``ru``...); English is the fallback.

    Raises:
        InputError: unknown or ambiguous entity, bad query (or one reaching a SERVICE), or a
            graph too large to draw.
    """
    from graph.explore.network import query_network, to_networkx
    from graph.sparql.guard import check_query

    if query:
        check_query(query)  # syntax errors with their line; no SERVICE leaves the machine
    graph = (
        query_network(ds, query, literals=literals, lang=lang)
        if query
        else to_networkx(ds, literals=literals, lang=lang)
    )
    return _focused(
        graph, focus, depth, "query result" if query else "whole graph", title, entity_url
    )


def _focused(
    graph: nx.MultiDiGraph,
    focus: str | None,
    depth: int,
    shown: str,
    title: str | None,
    entity_url: Callable[[str], str | None] | None,
) -> View:
    """Render ``graph``, or the neighbourhood of ``focus`` in it."""
    from graph.explore.network import neighbourhood
    from graph.explore.resolve import resolve

    if focus is not None:
        center = resolve(graph, focus)
        graph = neighbourhood(graph, center, depth)
        step = "step" if depth == 1 else "steps"
        shown = f"{graph.nodes[center]['label']} and what lies within {depth} {step}"
    return render(graph, title=title or f"kzgraph: {shown}", entity_url=entity_url)


#: Graphs a served view never reads: entailments (the view draws what was curated).
_SKIPPED_GRAPHS = ("inferred",)
#: IRIs per VALUES block in the queries of a served view.
_BATCH = 500
#: An IRI that can be written between <> in a query as it is.
_PLAIN_IRI = re.compile(r"[^\x00-\x20<>\"{}|^`\\]+")


def _select_quads(store: Store, where: str, max_rows: int | None) -> list[tuple[Node, ...]]:
    """``SELECT ?s ?p ?o ?g WHERE { ... }`` through the store's guard and row cap."""
    from graph.sparql.guard import check_query

    text = f"SELECT ?s ?p ?o ?g WHERE {{ {where} }}"
    rows = store.query(check_query(text), max_rows).rows()
    return [tuple(t for t in r if t is not None) for r in rows if None not in r]


OWL_ANNOTATED_SOURCE = "http://www.w3.org/2002/07/owl#annotatedSource"


class _Gathered:
    """The quads a served view draws from, fetched piece by piece with bounded queries."""

    def __init__(self, store: Store, max_rows: int | None) -> None:
        from graph.inputs.reading import new_dataset
        from graph.namespaces import PREFIXES

        self.store, self.max_rows = store, max_rows
        self.ds = new_dataset()
        self.kzg = PREFIXES["kzg"]
        self.skipped = {self.kzg + g for g in _SKIPPED_GRAPHS}
        self.described: set[str] = set()
        self.context = _empty_context()

    def add(self, rows: list[tuple[Node, ...]]) -> None:
        for s, p, o, g in rows:
            if str(g) not in self.skipped:
                self.ds.add((s, p, o, g))  # type: ignore[arg-type]

    def everything(self) -> None:
        """The whole graph is what is shown: every quad the view reads."""
        self.add(_select_quads(self.store, "GRAPH ?g { ?s ?p ?o }", self.max_rows))

    def _values(self, var: str, iris: list[str]) -> list[str]:
        iris = [i for i in iris if _PLAIN_IRI.fullmatch(i)]
        return [
            f"VALUES ?{var} {{ {' '.join(f'<{i}>' for i in iris[k : k + _BATCH])} }}"
            for k in range(0, len(iris), _BATCH)
        ]

    def describe(self, iris: set[str]) -> list[tuple[Node, ...]]:
        """Every quad about ``iris`` (not yet described), and the evidence of those quads:
        the passages in ``kzg:provenance``, and the labels, types and dates of their sources
        and claimants."""
        from rdflib import URIRef

        rows = self.describe_plain(iris)
        passages = sorted({str(r[3]) for r in rows} - self.described)
        self.described.update(passages)
        prov_rows: list[tuple[Node, ...]] = []
        for values in self._values("s", passages):
            prov_rows += _select_quads(
                self.store,
                f"{values} GRAPH <{self.kzg}provenance> {{ ?s ?p ?o }}"
                f" BIND(<{self.kzg}provenance> AS ?g)",
                self.max_rows,
            )
        self.add(prov_rows)
        # how each link out stands: the kz:Alignment records whose source is one of these
        sources = sorted(i for i in iris if i.startswith(self.kzg.rsplit("graph/", 1)[0]))
        for values in self._values("e", sources):
            self.add(
                _select_quads(
                    self.store,
                    f"{values} GRAPH ?g {{ ?s <{OWL_ANNOTATED_SOURCE}> ?e ; ?p ?o }}",
                    self.max_rows,
                )
            )
        agents = {str(r[2]) for r in prov_rows if isinstance(r[2], URIRef)}
        if agents - self.described:
            agent_rows = self.describe_plain(agents)
            publishers = {str(r[2]) for r in agent_rows if str(r[1]).endswith("publisher")}
            self.describe_plain(publishers)
        return rows

    def describe_plain(self, iris: set[str]) -> list[tuple[Node, ...]]:
        """Every quad about ``iris`` not yet described."""
        todo = sorted(iris - self.described)
        self.described.update(todo)
        rows: list[tuple[Node, ...]] = []
        for values in self._values("s", todo):
            rows += _select_quads(self.store, f"{values} GRAPH ?g {{ ?s ?p ?o }}", self.max_rows)
        self.add(rows)
        return rows

    def vocabulary(self) -> None:
        """The ontology's labels and class tree, which name kinds and relations."""
        self.add(
            _select_quads(
                self.store,
                f"VALUES ?p {{ rdfs:label rdfs:subClassOf }} GRAPH <{self.kzg}ontology>"
                f" {{ ?s ?p ?o }} BIND(<{self.kzg}ontology> AS ?g)",
                self.max_rows,
            )
        )

    def touching(self, iris: set[str]) -> set[str]:
        """The entities one step from ``iris``, either direction, over curated facts."""
        from rdflib.namespace import RDF

        from graph.explore.network import LINK_PREDICATES

        skip = {self.kzg + g for g in ("ontology", "provenance", "sources", "alignments")}
        skip |= self.skipped
        found: set[str] = set()
        for var in ("s", "o"):
            for values in self._values(var, sorted(iris)):
                for s, p, o, g in _select_quads(
                    self.store, f"{values} GRAPH ?g {{ ?s ?p ?o }}", self.max_rows
                ):
                    if not isinstance(o, URIRef) or str(g) in skip or p == RDF.type:
                        continue
                    other = str(o) if var == "s" else str(s)
                    if str(p) in LINK_PREDICATES or self.context.is_vocabulary(other):
                        continue
                    found.add(other)
        return found - iris


def _empty_context() -> Any:
    from graph.explore.network import _Context

    return _Context(Graph())


def _directory(store: Store, focus: str, max_rows: int | None) -> nx.MultiDiGraph:
    """The named entities with their labels that ``focus`` is resolved against: the one entity
    an IRI or a prefixed name names, or else every entity with a label."""
    import networkx as nx

    from graph.explore.network import ALT_LABEL_PREDICATES, LABEL_PREDICATES

    context = _empty_context()
    predicates = " ".join(f"<{p}>" for p in LABEL_PREDICATES + ALT_LABEL_PREDICATES)
    text = focus.strip()
    named = text[1:-1] if text.startswith("<") and text.endswith(">") else text
    match = re.fullmatch(r"([A-Za-z][\w.-]*)?:([\w.-]*)", named)
    if match and (match.group(1) or "") in context.prefixes:
        named = context.prefixes[match.group(1) or ""] + match.group(2)
    if re.match(r"^[a-z][a-z0-9+.-]*:", named, re.IGNORECASE) and _PLAIN_IRI.fullmatch(named):
        where = f"VALUES ?s {{ <{named}> }} GRAPH ?g {{ ?s ?p ?o }}"  # the one entity named
    else:
        where = f"VALUES ?p {{ {predicates} }} GRAPH ?g {{ ?s ?p ?o }}"
    wanted = set(LABEL_PREDICATES + ALT_LABEL_PREDICATES)
    names: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for s, p, o, _g in _select_quads(store, where, max_rows):
        if str(p) not in wanted or not isinstance(s, URIRef) or not isinstance(o, Literal):
            continue
        rank = LABEL_PREDICATES.index(str(p)) if str(p) in LABEL_PREDICATES else 99
        lang = getattr(o, "language", None) or ""
        names[str(s)].append((0 if lang.startswith("en") else 1 if not lang else 2, rank, str(o)))
    directory = nx.MultiDiGraph(prefixes=dict(context.prefixes))
    for iri, found in names.items():
        if context.is_vocabulary(iri):
            continue
        best = min(found)
        directory.add_node(
            iri,
            label=best[2] if best[1] < 99 else context.label(iri),
            alt_labels=sorted({v for _l, _r, v in found} - {best[2]}),
            name=context.curie(iri),
        )
    return directory


def _in_memory(store: Store) -> Dataset | None:
    """The store's own rdflib Dataset when it holds one in this process: drawn from in place,
    with nothing copied or queried (the other stores are queried for what is shown)."""
    from rdflib import Dataset

    dataset = getattr(store, "dataset", None)
    return dataset if isinstance(dataset, Dataset) else None


def _named_entities(store: Store, names: list[str], max_rows: int | None) -> set[str]:
    """The IRIs among ``names`` (see :func:`graph.explore.network.select_entities`), and the
    entities
    labelled as the ``"label"`` ones are."""
    iris = {n for n in names if not n.startswith('"')}
    labels = {n[1:-1] for n in names if n.startswith('"')}
    if labels:
        directory = _directory(store, "", max_rows)
        iris |= {
            n for n, d in directory.nodes(data=True) if {d["label"], *d["alt_labels"]} & labels
        }
    return iris


def served_view(
    store: Store,
    *,
    base: str,
    focus: str | None = None,
    depth: int = 1,
    query: CheckedQuery | None = None,
    max_rows: int | None = None,
    lang: str = "en",
) -> tuple[int, View | str]:
    """The view ``kzgraph serve`` answers ``/view`` with: (200, page) or (status, message).

    A store that holds an rdflib Dataset in this process is drawn from in place. Any other is
    queried for what the page shows, each query under the server's row cap: the focus
    entity's neighbourhood, or the query's result, and then the labels, types, dates, links
    and evidence of the entities shown (never a copy of the whole store, unless the whole
    graph is what is asked for). The query has passed :func:`graph.sparql.guard.check_query`
    (this runs in a query worker, under its time limit). Entities under ``base`` link to the
    server's own entity pages.

    Statuses: 404 unknown entity, 400 ambiguous entity or a query with no graph to show,
    422 a graph too large to draw (or a step over the row cap, raised as the query error).
    """
    from urllib.parse import quote

    from graph.explore.network import (
        entity_network,
        select_entities,
        select_triples,
        to_networkx,
        triples_to_networkx,
    )
    from graph.explore.resolve import UnknownEntityError, resolve
    from graph.sparql.results import QueryError

    def entity_url(iri: str) -> str | None:
        if iri.startswith(base):
            return "/" + quote(iri[len(base) :], safe="/:@!$&'()*+,;=-._~%")
        return None

    local = _in_memory(store)
    gathered = _Gathered(store, max_rows)
    try:
        if query is None and focus is None:
            if local is None:
                gathered.everything()
            graph = to_networkx(local or gathered.ds, lang=lang)
            shown = "whole graph"
        elif query is None:
            assert focus is not None
            if local is None:
                center = resolve(_directory(store, focus, max_rows), focus)
                reached, frontier = {center}, {center}
                for _step in range(depth):
                    frontier = gathered.touching(frontier) - reached
                    reached |= frontier
                    if not frontier:
                        break
                gathered.vocabulary()
                gathered.describe(reached)
                focus = f"<{center}>"
            graph = to_networkx(local or gathered.ds, lang=lang)
            shown = "whole graph"
        else:
            answer = store.query(query, max_rows)
            if local is None:
                gathered.vocabulary()
            source = local or gathered.ds
            if answer.is_graph or answer.form == "SELECT":
                if answer.is_graph:
                    triples = list(answer.graph())
                    names = ["s", "p", "o"]
                else:
                    names = answer.variables()
                    rows = answer.rows()
                if answer.is_graph or {"s", "p", "o"} <= set(names):
                    if not answer.is_graph:
                        triples = select_triples(names, rows)
                    if local is None:
                        gathered.describe(
                            {
                                str(t)
                                for s, _p, o in triples
                                for t in (s, o)
                                if isinstance(t, URIRef)
                            }
                        )
                    graph = triples_to_networkx(triples, source, lang=lang)
                else:
                    entities = select_entities(rows)
                    if local is None:
                        gathered.describe(_named_entities(store, entities, max_rows))
                    graph = entity_network(source, entities, lang=lang)
            else:
                raise InputError(
                    "an ASK query has no graph to show; write a CONSTRUCT or SELECT query"
                )
            shown = "query result"
        return 200, _focused(graph, focus, depth, shown, None, entity_url)
    except UnknownEntityError as exc:
        return 404, exc.message
    except GraphTooLargeError as exc:
        return 422, exc.message
    except InputError as exc:
        if isinstance(exc, QueryError):
            raise
        return 400, exc.message


def write_build_view(ds: Dataset, out_dir: Path) -> None:
    """Build hook: the whole-graph view as ``view.html`` in the output directory."""
    from graph.explore.network import to_networkx

    page = render(to_networkx(ds), title="kzgraph: whole graph")
    (Path(out_dir) / "view.html").write_text(page.html, encoding="utf-8")
