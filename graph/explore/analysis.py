"""How things connect, who is central, what happened when: answers over the entity graph.

All three work on the graph of :func:`graph.explore.network.to_networkx` (literals and
provenance left out) and keep the evidence: every step of a path and every dated entry cites the
passages it rests on. :func:`format_paths`, :func:`format_centrality` and :func:`format_timeline`
write the answers as text for a reader.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph.errors import InputError
from graph.explore.network import Evidence
from graph.explore.resolve import describe, resolve
from graph.tables import aligned_table

if TYPE_CHECKING:
    import networkx as nx

#: Centrality measures, as ``central --by`` names them.
MEASURES = ("pagerank", "betweenness", "degree")
#: Out-going relations not worth repeating in a timeline entry (they say what it is about).
_CONTEXT_SKIP = ("http://purl.org/dc/terms/subject",)


# -- Paths --


@dataclass(frozen=True)
class Link:
    """One statement between two neighbouring entities of a path."""

    subject: str
    predicate: str
    label: str
    object: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Step:
    """From one entity of a path to the next, with every statement linking the two."""

    start: str
    end: str
    links: tuple[Link, ...]  # those pointing start -> end first

    def text(self, graph: nx.MultiDiGraph, link: Link | None = None) -> str:
        """``A —holds→ B`` when the statement points along the path, ``A ←held by— B`` if not."""
        chosen = link or self.links[0]
        start, end = _label(graph, self.start), _label(graph, self.end)
        if chosen.subject == self.start:
            return f"{start} —{chosen.label}→ {end}"
        return f"{start} ←{chosen.label}— {end}"

    def evidence(self) -> list[Evidence]:
        """The passages behind the step's statements, each once."""
        seen: dict[str, Evidence] = {}
        for link in self.links:
            for ev in link.evidence:
                seen.setdefault(ev.graph, ev)
        return list(seen.values())


@dataclass(frozen=True)
class Chain:
    """A path from one entity to another: the entities on it and the steps between them."""

    nodes: tuple[str, ...]
    steps: tuple[Step, ...]

    def sentence(self, graph: nx.MultiDiGraph) -> str:
        """The chain in one line: ``A —p→ B ←q— C``."""
        parts = [_label(graph, self.nodes[0])]
        for step in self.steps:
            link = step.links[0]
            arrow = f"—{link.label}→" if link.subject == step.start else f"←{link.label}—"
            parts.append(f"{arrow} {_label(graph, step.end)}")
        return " ".join(parts)

    def to_dict(self, graph: nx.MultiDiGraph) -> dict[str, Any]:
        return {
            "sentence": self.sentence(graph),
            "nodes": [{"iri": n, "label": _label(graph, n)} for n in self.nodes],
            "steps": [
                {
                    "text": step.text(graph),
                    "statements": [
                        {
                            "subject": link.subject,
                            "predicate": link.predicate,
                            "label": link.label,
                            "object": link.object,
                            "sources": [ev.to_dict() for ev in link.evidence],
                        }
                        for link in step.links
                    ],
                }
                for step in self.steps
            ],
        }


def _label(graph: nx.MultiDiGraph, node: str) -> str:
    return str(graph.nodes[node].get("label", node))


def _entity_graph(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """``graph`` without literal nodes (when it was made with ``literals=True``)."""
    literals = [n for n, d in graph.nodes(data=True) if d.get("literal")]
    if not literals:
        return graph
    view: nx.MultiDiGraph = graph.subgraph(n for n in graph if n not in set(literals))
    return view


def _links(graph: nx.MultiDiGraph, start: str, end: str) -> tuple[Link, ...]:
    found = []
    for u, v in ((start, end), (end, start)):
        for key, data in sorted((graph.get_edge_data(u, v) or {}).items()):
            found.append(
                Link(
                    u,
                    str(data.get("predicate", key)),
                    str(data.get("label", key)),
                    v,
                    tuple(data.get("evidence", ())),
                )
            )
    return tuple(found)


def shortest_paths(
    graph: nx.MultiDiGraph,
    source: str,
    target: str,
    *,
    max_length: int | None = None,
    limit: int | None = 100,
) -> list[Chain]:
    """Every shortest path between two entities, whichever way its statements point.

    Args:
        graph: the entity graph.
        source, target: entities by label, prefixed name or IRI (see :mod:`graph.resolve`).
        max_length: only paths of at most this many steps (none found: an empty list).
        limit: return at most this many paths (None: all of them).

    Raises:
        InputError: an entity is unknown or ambiguous, or source and target are the same.
    """
    import networkx as nx

    entities = _entity_graph(graph)
    a, b = resolve(entities, source), resolve(entities, target)
    if a == b:
        raise InputError(f"{describe(graph, a)} is both ends of the path: name two entities")
    undirected = nx.Graph(entities.to_undirected(as_view=True))
    try:
        distance = nx.shortest_path_length(undirected, a, b)
    except nx.NetworkXNoPath:
        return []
    if max_length is not None and distance > max_length:
        return []
    paths = []
    for nodes in nx.all_shortest_paths(undirected, a, b):
        steps = tuple(Step(u, v, _links(entities, u, v)) for u, v in pairwise(nodes))
        paths.append(Chain(tuple(nodes), steps))
        if limit is not None and len(paths) >= limit:
            break
    return sorted(paths, key=lambda p: p.sentence(graph))


def format_paths(
    graph: nx.MultiDiGraph, paths: list[Chain], sources: bool = True, more: bool = False
) -> str:
    """The paths as numbered sentence chains, each step followed by the passages behind it.

    ``more``: there are further shortest paths than these (a limit cut them off).
    """
    if not paths:
        return ""
    first, last = paths[0].nodes[0], paths[0].nodes[-1]
    count = len(paths)
    steps = len(paths[0].steps)
    shown = (
        f"{count} of more than {count} shortest paths"
        if more
        else f"{count} shortest {'path' if count == 1 else 'paths'}"
    )
    lines = [
        f"{_label(graph, first)} → {_label(graph, last)}: {shown} of {steps}"
        f" {'step' if steps == 1 else 'steps'}",
    ]
    for number, path in enumerate(paths, 1):
        lines += ["", f"{number}. {path.sentence(graph)}"]
        if not sources:
            continue
        for step in path.steps:
            lines.append(f"   {step.text(graph)}")
            for link in step.links[1:]:
                lines.append(f"     also: {step.text(graph, link)}")
            evidence = step.evidence()
            if not evidence:
                lines.append("     source: none recorded")
            for ev in evidence:
                lines.append(f"     source: {ev.cite()}")
    return "\n".join(lines) + "\n"


# -- Centrality --


@dataclass(frozen=True)
class Centrality:
    """How central one entity is, by three measures."""

    node: str
    label: str
    kind: str
    degree: int
    betweenness: float
    pagerank: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "iri": self.node,
            "label": self.label,
            "kind": self.kind,
            "degree": self.degree,
            "betweenness": round(self.betweenness, 6),
            "pagerank": round(self.pagerank, 6),
        }


def centrality(
    graph: nx.MultiDiGraph, top: int | None = None, by: str = "pagerank"
) -> list[Centrality]:
    """Entities ranked by ``by`` (``pagerank``, ``betweenness`` or ``degree``), best first.

    All three ignore direction, since a statement and its inverse (holds / held by) say the
    same: degree counts distinct neighbours, betweenness is normalised (the share of shortest
    paths through the entity), and PageRank weighs each neighbour link by the number of
    statements behind it.
    """
    import networkx as nx

    if by not in MEASURES:
        raise InputError(f"unknown measure {by!r}; choose one of {', '.join(MEASURES)}")
    entities = _entity_graph(graph)
    undirected = nx.Graph()
    undirected.add_nodes_from(entities)
    for u, v in entities.edges():
        if u != v:
            weight = undirected.get_edge_data(u, v, {"weight": 0})["weight"]
            undirected.add_edge(u, v, weight=weight + 1)
    between = nx.betweenness_centrality(undirected) if len(undirected) > 2 else {}
    rank = nx.pagerank(undirected, weight="weight") if len(undirected) else {}
    rows = [
        Centrality(
            node,
            _label(entities, node),
            str(entities.nodes[node].get("kind", "")),
            undirected.degree(node),
            between.get(node, 0.0),
            rank.get(node, 0.0),
        )
        for node in entities
    ]
    rows.sort(key=lambda r: (-getattr(r, by), -r.pagerank, r.label, r.node))
    return rows if top is None else rows[:top]


def format_centrality(rows: list[Centrality]) -> str:
    """Aligned columns: rank, entity (cut at 60 characters), kind and the three measures."""
    header = ("#", "entity", "kind", "degree", "betweenness", "pagerank")
    body = [
        (
            str(i),
            row.label if len(row.label) <= 60 else row.label[:59] + "…",
            row.kind,
            str(row.degree),
            f"{row.betweenness:.3f}",
            f"{row.pagerank:.4f}",
        )
        for i, row in enumerate(rows, 1)
    ]
    return aligned_table(header, body, right={0, 3, 4, 5})


# -- Timeline --


@dataclass(frozen=True)
class TimelineEntry:
    """One dated act or event: when, what happened, and the passages that date it."""

    date: str  # as the data gives it: 2022-04-13, 2021-06 or 2021
    start: str  # its first day, for sorting and plotting
    precision: str  # day, month or year
    node: str
    label: str
    kind: str
    group: str
    what: str
    sources: tuple[Evidence, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "precision": self.precision,
            "iri": self.node,
            "label": self.label,
            "kind": self.kind,
            "what": self.what,
            "sources": [ev.to_dict() for ev in self.sources],
        }


def timeline(graph: nx.MultiDiGraph) -> list[TimelineEntry]:
    """Dated acts (kz:dateSigned) and events and programmes (schema:startDate), in order.

    Dates may be days (xsd:date), months (xsd:gYearMonth) or years (xsd:gYear); an entry sorts
    by its first day, a coarser date before a finer one on the same day.
    """
    entries = []
    order = {"year": 0, "month": 1, "day": 2}
    for node, data in _entity_graph(graph).nodes(data=True):
        for dated in data.get("dates", []):
            if not dated.get("key"):
                continue
            entries.append(
                TimelineEntry(
                    date=str(dated["value"]),
                    start=str(dated["start"]),
                    precision=str(dated["precision"]),
                    node=node,
                    label=str(data.get("label", node)),
                    kind=str(data.get("kind", "")),
                    group=str(data.get("group", "other")),
                    what=_what(graph, node, dated),
                    sources=tuple(dated.get("evidence", ())),
                )
            )
    entries.sort(key=lambda e: (e.start, order.get(e.precision, 3), e.label, e.node))
    return entries


def _what(graph: nx.MultiDiGraph, node: str, dated: dict[str, Any]) -> str:
    data = graph.nodes[node]
    signed = str(dated["predicate"]).endswith("#dateSigned")
    if signed:
        verb = "signed"
    elif data.get("group") == "event":
        verb = "took place"
    else:
        verb = "began"
    text = f"{data.get('label', node)} ({data.get('kind', 'entity')}) {verb}"
    agents = ("person", "organisation")
    related = sorted(
        (
            graph.nodes[target].get("group") not in agents,
            str(edge.get("label")),
            _label(graph, target),
        )
        for _u, target, key, edge in graph.out_edges(node, keys=True, data=True)
        if key not in _CONTEXT_SKIP and not graph.nodes[target].get("literal")
    )
    context = [f"{label}: {target}" for _other, label, target in related]
    if context:
        text += " — " + "; ".join(context[:4]) + ("; …" if len(context) > 4 else "")
    return text


def format_timeline(entries: list[TimelineEntry], sources: bool = True) -> str:
    """One line per entry (date, what happened), its sources indented below."""
    width = max((len(e.date) for e in entries), default=4) + 2
    lines = []
    for entry in entries:
        lines.append(f"{entry.date:<{width}}{entry.what}")
        if sources:
            if not entry.sources:
                lines.append(" " * width + "source: none recorded")
            for ev in entry.sources:
                lines.append(" " * width + f"source: {ev.cite()}")
    return "\n".join(lines) + ("\n" if lines else "")


def plot_timeline(entries: list[TimelineEntry], path: str | os.PathLike[str] | None = None) -> Any:
    """Draw the timeline with matplotlib; save it when ``path`` ends in .png or .svg.

    A day is a dot; a month or a year is a bar spanning it. Returns the Figure (notebooks show
    it inline).

    Raises:
        InputError: no entries, an unknown file type, or matplotlib is not installed.
    """
    if not entries:
        raise InputError("nothing dated to plot")
    suffix = Path(path).suffix.lower() if path is not None else None
    if suffix not in (None, ".png", ".svg"):
        raise InputError("the plot is written as .png or .svg", path)
    try:
        from matplotlib import dates as mdates
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D
    except ImportError:
        raise InputError("plotting needs matplotlib: pip install 'kzgraph[analysis]'") from None
    from datetime import date, timedelta

    from graph.explore.view import GROUP_STYLES

    # matplotlib's date helpers carry no type annotations
    date2num: Any = mdates.date2num
    date_formatter: Any = mdates.DateFormatter

    def end_of(entry: TimelineEntry) -> date:
        first = date.fromisoformat(entry.start)
        if entry.precision == "year":
            return first.replace(year=first.year + 1)
        if entry.precision == "month":
            return (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return first

    figure = Figure(figsize=(11, 1.2 + 0.42 * len(entries)), layout="constrained")
    axes = figure.add_subplot()
    groups: dict[str, str] = {}
    for row, entry in enumerate(entries):
        colour = GROUP_STYLES.get(entry.group, GROUP_STYLES["other"])[1][0]
        groups.setdefault(entry.group, colour)
        first = date.fromisoformat(entry.start)
        last = end_of(entry)
        x0 = float(date2num(first))
        if last > first:
            axes.barh(
                row, float(date2num(last)) - x0, left=x0, height=0.5, color=colour, alpha=0.55
            )
        axes.plot([x0], [row], marker="o", color=colour, markersize=7)
        label = entry.label if len(entry.label) <= 60 else entry.label[:59] + "…"
        axes.annotate(
            f"{entry.date}  {label}",
            (float(date2num(last)), row),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
        )
    axes.set_yticks([])
    axes.set_ylim(len(entries) - 0.4, -0.6)
    axes.xaxis.set_major_formatter(date_formatter("%Y-%m"))
    low = min(float(date2num(date.fromisoformat(e.start))) for e in entries)
    high = max(float(date2num(end_of(e))) for e in entries)
    span = max(high - low, 60.0)
    axes.set_xlim(low - 0.05 * span, high + 0.6 * span)  # room for the labels
    axes.grid(axis="x", alpha=0.3)
    for side in ("left", "right", "top"):
        axes.spines[side].set_visible(False)
    axes.set_title("Dated acts, events and programmes")
    axes.set_xlabel("A dot is the first day of the date given; a bar spans a month or a year.")
    axes.legend(
        handles=[
            Line2D([], [], marker="o", linestyle="", color=c, label=g) for g, c in groups.items()
        ],
        loc="lower right",
        fontsize=8,
        frameon=False,
    )
    if path is not None:
        metadata = {"Date": None} if suffix == ".svg" else {"Software": None}
        try:
            figure.savefig(path, format=str(suffix)[1:], metadata=metadata)
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror or exc}", path) from None
    return figure
