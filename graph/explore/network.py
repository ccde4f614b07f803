"""RDF -> networkx: the one conversion that the view, the analysis and the notebooks share.

Nodes are the entities (IRIs) that the facts talk about; edges are the facts linking two of
them, directed subject -> object and keyed by the predicate IRI. Everything else becomes node
attributes: labels, classes, description, key dates, literal values, controlled values
(``kz:status kz:Introduced`` reads "status: introduced"), links out (``owl:sameAs`` to
Wikidata) and, for every node, edge and value, the evidence passages it rests on, read from
``kzg:provenance``. Provenance, ontology and inference triples are left out unless asked for;
labels and classes are looked up in every graph, so a node always shows a label.

Node attributes (all plain Python values apart from :class:`Evidence`):
``iri``, ``name`` (prefixed name), ``label``, ``alt_labels``, ``classes`` (IRIs),
``class_labels``, ``kind`` (label of the most specific class), ``group`` (a broad family such as
``"person"`` or ``"legal"``, which the view draws as a shape), ``description``, ``dates``,
``date`` (the earliest key date as ``YYYY-MM-DD``, or None), ``attributes``, ``links``,
``wikidata``, ``evidence`` and ``literal`` (True for literal nodes, see ``literals=True``).
Link metadata (``kzg:alignments``) and imported facts (``kzg:enrichment``) are left out too,
but every ``owl:sameAs``/``skos:*Match``/``rdfs:seeAlso`` link, whatever graph holds it, is
read into ``links``, and labels in other languages into ``alt_labels``.
Edge attributes: ``predicate`` (IRI, also the edge key), ``name``, ``label``, ``evidence``.
``G.graph`` holds ``evidence`` (graph IRI -> :class:`Evidence`) and ``prefixes``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from graph.errors import InputError
from graph.namespaces import PREFIXES

if TYPE_CHECKING:
    import networkx as nx

SCHEMA = "https://schema.org/"
ORG = "http://www.w3.org/ns/org#"
ELI = "http://data.europa.eu/eli/ontology#"
WIKIDATA = "http://www.wikidata.org/entity/"

#: Predicates whose literal value names the node, best first.
LABEL_PREDICATES = (
    str(RDFS.label),
    str(SKOS.prefLabel),
    str(DCTERMS.title),
    SCHEMA + "name",
    str(FOAF.name),
)
ALT_LABEL_PREDICATES = (str(SKOS.altLabel), SCHEMA + "alternateName")
#: Predicates whose literal value describes the node, best first.
DESCRIPTION_PREDICATES = (
    SCHEMA + "description",
    str(DCTERMS.description),
    str(SKOS.definition),
    str(RDFS.comment),
)
#: Links out to the same thing elsewhere: shown as links, never drawn as edges.
LINK_PREDICATES = (
    str(OWL.sameAs),
    SCHEMA + "sameAs",
    str(SKOS.exactMatch),
    str(SKOS.closeMatch),
    str(SKOS.broadMatch),
    str(SKOS.narrowMatch),
    str(SKOS.relatedMatch),
    str(RDFS.seeAlso),
    str(FOAF.isPrimaryTopicOf),
    SCHEMA + "url",
)
#: Date datatypes and how to read their start day.
DATE_TYPES = {
    str(XSD.date): "day",
    str(XSD.dateTime): "day",
    str(XSD.gYearMonth): "month",
    str(XSD.gYear): "year",
}
#: Class families the view draws with one shape each; the first family a class falls in wins.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("claim", (SCHEMA + "Claim",)),
    ("person", (str(FOAF.Person),)),
    ("legal", (ELI + "LegalResource",)),
    ("event", (SCHEMA + "Event",)),
    (
        "post",
        (
            ORG + "Post",
            ORG + "Membership",
            ORG + "Role",
            SCHEMA + "Occupation",
            SCHEMA + "Audience",
        ),
    ),
    ("programme", (str(PROV.Activity), str(PROV.Plan))),
    (
        "organisation",
        (ORG + "Organization", str(FOAF.Organization), str(FOAF.Agent), str(PROV.Agent)),
    ),
    ("concept", (str(SKOS.Concept), str(SKOS.ConceptScheme))),
    ("document", (SCHEMA + "CreativeWork",)),
    ("measure", (str(PROV.Entity),)),
)
#: Classes too general to name a node's kind when it has a more telling one.
GENERIC_CLASSES = frozenset(
    {str(PROV.Entity), str(PROV.Agent), str(PROV.Activity), str(OWL.Thing), str(RDFS.Resource)}
)


def key_date_predicates(kz: str) -> tuple[str, ...]:
    """The dates that place a node in time: acts are signed, events and programmes start."""
    return (kz + "dateSigned", SCHEMA + "startDate")


@dataclass(frozen=True)
class Evidence:
    """One evidence passage: the named graph holding a fact, described in ``kzg:provenance``."""

    graph: str
    name: str
    source: str | None = None
    source_label: str | None = None
    claimant: str | None = None
    claimant_label: str | None = None
    mode: str | None = None
    paragraph: int | None = None
    start: int | None = None
    end: int | None = None
    quote: str | None = None
    note: str | None = None
    #: an editorial identification by the kzgraph curators, not something a source states
    curated: bool = False
    #: what kind of source it is, in a few words ("opinion piece", "EU Reporter article")
    source_kind: str | None = None
    #: the earliest day the source can have been published (``YYYY-MM-DD``)
    source_date: str | None = None

    def cite(self) -> str:
        """One line: who says it, where, how, and the quote."""
        parts = []
        if self.claimant_label:
            parts.append(self.claimant_label)
        where = f"“{self.source_label}”" if self.source_label else self.name
        if self.paragraph is not None:
            where += f" ¶{self.paragraph}"
        parts.append(("in " if parts else "") + where)
        text = " ".join(parts)
        if self.mode:
            text += f" ({self.mode})"
        if self.quote:
            text += f": “{self.quote}”"
        return text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (None values kept, so every record has the same keys)."""
        return {
            "graph": self.graph,
            "name": self.name,
            "source": self.source,
            "source_label": self.source_label,
            "claimant": self.claimant,
            "claimant_label": self.claimant_label,
            "mode": self.mode,
            "paragraph": self.paragraph,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "note": self.note,
        }


def date_start(value: str, datatype: str | None) -> str | None:
    """The first day of a date value as ``YYYY-MM-DD`` (xsd:date, gYearMonth, gYear)."""
    kind = DATE_TYPES.get(datatype or "")
    if kind is None:
        return None
    match = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value.strip())
    if not match:
        return None
    year, month, day = match.group(1), match.group(2), match.group(3)
    if kind == "year":
        return f"{year}-01-01"
    if kind == "month":
        return f"{year}-{month or '01'}-01"
    return f"{year}-{month or '01'}-{day or '01'}"


def humanise(local: str) -> str:
    """``amended_by`` -> ``amended by``, ``isPartOf`` -> ``is part of``, ``ReformMeasure`` ->
    ``reform measure``: a readable fallback for terms without an rdfs:label."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local).replace("_", " ").replace("-", " ")
    words = spaced.split()
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words) or local


def local_name(iri: str) -> str:
    """The part of an IRI after its last ``#`` or ``/``."""
    return re.split(r"[#/]", iri.rstrip("/#"))[-1] or iri


#: The parts of a kz:Alignment the view shows beside a link (see
# graph.linking.external.ExternalLink).
_ALIGNMENT_FIELDS = {
    "http://www.w3.org/2002/07/owl#annotatedSource": "source",
    "http://www.w3.org/2002/07/owl#annotatedTarget": "target",
    "https://w3id.org/kzgraph/ontology#matchKind": "kind",
    "https://w3id.org/kzgraph/ontology#alignmentStatus": "status",
    "https://w3id.org/kzgraph/ontology#mappingMethod": "method",
    "https://w3id.org/kzgraph/ontology#lastChecked": "checked",
}


class _Context:
    """Everything about the dataset that the conversion looks up, gathered in one pass."""

    def __init__(self, ds: Dataset | Graph, inferred: bool = False, lang: str = "en") -> None:
        self.lang = lang.split("-")[0].lower() or "en"
        bound = {p: str(ns) for p, ns in ds.namespaces()}
        self.prefixes = {p: bound.get(p, ns) for p, ns in PREFIXES.items()}
        for prefix, ns in bound.items():
            self.prefixes.setdefault(prefix, ns)
        self._by_length = sorted(self.prefixes.items(), key=lambda pn: -len(pn[1]))
        self.kz = self.prefixes["kz"]
        kzg = self.prefixes["kzg"]
        self.ontology_graph = kzg + "ontology"
        self.provenance_graph = kzg + "provenance"
        self.sources_graph = kzg + "sources"
        self.inferred_graph = kzg + "inferred"
        self.alignments_graph = kzg + "alignments"
        self.enrichment_graph = kzg + "enrichment"
        self.key_dates = key_date_predicates(self.kz)
        #: namespaces whose terms are vocabulary (attribute values), not entities
        self.vocabularies = tuple(
            ns
            for p, ns in self.prefixes.items()
            if p not in {"kzr", "kzt", "kze", "kzg", "wd", "dbr"} and ns not in self._entity_ns()
        )

        self.quads: list[tuple[Node, Node, Node, str]] = []
        self.labels: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        self.alt_labels: dict[str, set[str]] = defaultdict(set)
        self.descriptions: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        self.types: dict[str, set[str]] = defaultdict(set)
        self.supers: dict[str, set[str]] = defaultdict(set)
        self.triple_graphs: dict[tuple[Node, Node, Node], list[str]] = defaultdict(list)
        prov: dict[str, dict[str, Node]] = defaultdict(dict)
        self.publishers: dict[str, str] = {}
        self.source_dates: dict[str, str] = {}
        published = (self.kz + "publishedNotBefore", SCHEMA + "datePublished")

        for s, p, o, g in _named_quads(ds):
            if g == self.inferred_graph and not inferred:
                continue
            self.quads.append((s, p, o, g))
            ps = str(p)
            if isinstance(o, Literal):
                if ps in LABEL_PREDICATES:
                    self.labels[str(s)].append(
                        (self._lang_rank(o), LABEL_PREDICATES.index(ps), str(o))
                    )
                elif ps in ALT_LABEL_PREDICATES:
                    self.alt_labels[str(s)].add(str(o))
                elif ps in DESCRIPTION_PREDICATES:
                    self.descriptions[str(s)].append(
                        (self._lang_rank(o), DESCRIPTION_PREDICATES.index(ps), str(o))
                    )
            if p == RDF.type:
                self.types[str(s)].add(str(o))
            elif ps == SCHEMA + "publisher":
                self.publishers[str(s)] = str(o)
            elif ps in published and isinstance(o, Literal):
                day = date_start(str(o), str(o.datatype) if o.datatype else None)
                if day and (str(s) not in self.source_dates or day < self.source_dates[str(s)]):
                    self.source_dates[str(s)] = day
            elif p == RDFS.subClassOf and isinstance(o, URIRef):
                self.supers[str(s)].add(str(o))
            if g == self.provenance_graph:
                prov[str(s)][ps] = o
            elif self.is_data_graph(g):
                self.triple_graphs[(s, p, o)].append(g)

        #: (entity, linked resource) -> how the link stands: match, status, last checked
        self.link_status: dict[tuple[str, str], dict[str, str]] = {}
        alignment: dict[str, dict[str, str]] = defaultdict(dict)
        for s, p, o, g in self.quads:
            if g == self.alignments_graph and str(p) in _ALIGNMENT_FIELDS:
                alignment[str(s)][_ALIGNMENT_FIELDS[str(p)]] = str(o)
        for fields in alignment.values():
            if "source" in fields and "target" in fields:
                self.link_status[(fields["source"], fields["target"])] = {
                    "match": fields.get("kind", "").rsplit("#", 1)[-1].lower(),
                    "how": (
                        "reconciled"
                        if fields.get("method", "").endswith("#Reconciled")
                        else "verified"
                        if fields.get("status", "").endswith("#Verified")
                        else "pending"
                    ),
                    "checked": fields.get("checked", ""),
                }

        self.evidence: dict[str, Evidence] = {}
        graphs = {g for gs in self.triple_graphs.values() for g in gs}
        for g in sorted(graphs):
            self.evidence[g] = self._evidence(g, prov.get(g, {}))

    def _entity_ns(self) -> set[str]:
        return {self.prefixes.get(p, "") for p in ("kzr", "kzt", "kze", "kzg")}

    def is_data_graph(self, g: str) -> bool:
        """A graph of curated facts: an evidence graph or a data file's own graph."""
        return g not in {
            self.ontology_graph,
            self.provenance_graph,
            self.sources_graph,
            self.inferred_graph,
            self.alignments_graph,
            self.enrichment_graph,
        }

    def _lang_rank(self, literal: Literal) -> int:
        lang = (literal.language or "").split("-")[0].lower()
        if lang == self.lang:
            return 0
        return 1 if lang == "en" else 2 if not lang else 3

    def _evidence(self, g: str, fields: Mapping[str, Node]) -> Evidence:
        def text(predicate: str) -> str | None:
            value = fields.get(predicate)
            return None if value is None else str(value)

        def number(predicate: str) -> int | None:
            value = fields.get(predicate)
            try:
                return None if value is None else int(str(value))
            except ValueError:
                return None

        source = text(str(PROV.wasDerivedFrom))
        claimant = text(str(PROV.wasAttributedTo))
        mode = text(self.kz + "assertionMode")
        curators = self.prefixes.get("kzr", "") + "kzgraph-project"
        return Evidence(
            graph=g,
            name=self.curie(g),
            source=source,
            source_label=self.label(source) if source else None,
            claimant=claimant,
            claimant_label=self.label(claimant) if claimant else None,
            mode=self.label(mode) if mode else None,
            paragraph=number(self.kz + "paragraph"),
            start=number(self.kz + "startOffset"),
            end=number(self.kz + "endOffset"),
            quote=text(self.kz + "quote"),
            note=text(str(SKOS.editorialNote)),
            curated=mode == self.kz + "EditorialIdentification" or claimant == curators,
            source_kind=self.source_kind(source) if source else None,
            source_date=self.source_dates.get(source) if source else None,
        )

    def source_kind(self, iri: str) -> str:
        """A source in a few words: an opinion piece, or its publisher's article."""
        types = self.types.get(iri, set())
        if SCHEMA + "OpinionNewsArticle" in types:
            return "opinion piece"
        publisher = self.publishers.get(iri)
        if publisher:
            return f"{self.label(publisher)} article"
        kind = self.kind(types)
        return self.term_label(kind).lower() if kind else "source"

    # -- Naming --

    def curie(self, iri: str) -> str:
        """The prefixed name of ``iri`` when a prefix fits, else the IRI."""
        for prefix, ns in self._by_length:
            if ns and iri.startswith(ns) and re.fullmatch(r"[\w.-]*", iri[len(ns) :]):
                return f"{prefix}:{iri[len(ns) :]}"
        return iri

    def label(self, iri: str) -> str:
        """The best label: rdfs:label (English first), then the other label predicates, then a
        readable form of the name. Never the raw IRI."""
        found = self.labels.get(iri)
        if found:
            return min(found)[2]
        if iri.startswith(self.vocabularies):
            return humanise(local_name(iri))
        short = self.curie(iri)
        return short if short != iri else local_name(iri)

    def term_label(self, iri: str) -> str:
        """A class or predicate label: the ontology's label, else its name made readable."""
        found = self.labels.get(iri)
        if found:
            return sorted(found)[0][2]
        return humanise(local_name(iri))

    def class_label(self, iri: str) -> str:
        """A class label, capitalised as the ontology writes its own (``News article``)."""
        text = self.term_label(iri)
        return text[:1].upper() + text[1:]

    def description(self, iri: str) -> str | None:
        found = self.descriptions.get(iri)
        return sorted(found)[0][2] if found else None

    def is_vocabulary(self, iri: str) -> bool:
        """A term of our ontology or a reused vocabulary: a value, not an entity to draw."""
        return iri.startswith(self.vocabularies)

    # -- Classes --

    def ancestors(self, cls: str) -> set[str]:
        seen: set[str] = set()
        todo = [cls]
        while todo:
            for parent in self.supers.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    def kind(self, classes: Iterable[str]) -> str | None:
        """The most specific, most telling class among ``classes``."""
        classes = set(classes)
        if not classes:
            return None
        inherited = set().union(*(self.ancestors(c) for c in classes))

        def rank(c: str) -> tuple[bool, bool, bool, int, str]:
            return (
                c in inherited,  # a superclass of another class of the node
                c in GENERIC_CLASSES,
                not c.startswith(self.kz),
                -len(self.ancestors(c)),
                self.class_label(c),
            )

        return min(classes, key=rank)

    def group(self, classes: Iterable[str]) -> str:
        closure: set[str] = set()
        for c in classes:
            closure.add(c)
            closure |= self.ancestors(c)
        for name, roots in GROUPS:
            if closure.intersection(roots):
                return name
        return "other"

    # -- Triples --

    def included_triples(
        self, provenance: bool, ontology: bool, inferred: bool, enrichment: bool
    ) -> set[tuple[Node, Node, Node]]:
        left_out = set()
        if not ontology:
            left_out.add(self.ontology_graph)
        if not provenance:
            left_out |= {self.provenance_graph, self.sources_graph, self.alignments_graph}
        if not inferred:
            left_out.add(self.inferred_graph)
        if not enrichment:
            left_out.add(self.enrichment_graph)
        graph_names = self.prefixes["kzg"]
        wanted: set[tuple[Node, Node, Node]] = set()
        for s, p, o, g in self.quads:
            if not provenance and str(s).startswith(graph_names):
                continue  # what a graph says about a graph (its source, when it was made)
            if g not in left_out or (str(p) in LINK_PREDICATES and g != self.ontology_graph):
                wanted.add((s, p, o))
        return wanted

    def evidence_for(self, triple: tuple[Node, Node, Node]) -> list[Evidence]:
        return [self.evidence[g] for g in self.triple_graphs.get(triple, ())]


def _named_quads(ds: Dataset | Graph) -> Iterator[tuple[Node, Node, Node, str]]:
    """Every quad in a named graph; a plain Graph counts as one data graph named ``""``."""
    if not isinstance(ds, Dataset):
        for s, p, o in ds:
            yield s, p, o, ""
        return
    for s, p, o, g in ds.quads((None, None, None, None)):
        name = g.identifier if isinstance(g, Graph) else g
        if name is None or name == DATASET_DEFAULT_GRAPH_ID:
            continue
        yield s, p, o, str(name)


def _sort_key(triple: tuple[Node, Node, Node]) -> tuple[str, str, int, str]:
    s, p, o = triple
    return (str(s), str(p), 0 if isinstance(o, URIRef) else 1, o.n3())


@dataclass
class _NodeFacts:
    classes: set[str] = field(default_factory=set)
    evidence: dict[str, Evidence] = field(default_factory=dict)
    dates: list[dict[str, Any]] = field(default_factory=list)
    attributes: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)


def to_networkx(
    ds: Dataset | Graph,
    *,
    literals: bool = False,
    provenance: bool = False,
    ontology: bool = False,
    inferred: bool = False,
    enrichment: bool = False,
    lang: str = "en",
) -> nx.MultiDiGraph:
    """The dataset as a directed multigraph of entities (see the module docstring).

    Args:
        ds: the dataset from :func:`graph.load_graph` (or any rdflib graph).
        literals: also draw literal values (dates, numbers, descriptions) as nodes; labels
            stay labels.
        provenance: include ``kzg:provenance`` and ``kzg:sources`` (evidence graphs become
            nodes linked to their sources and claimants).
        ontology: include ``kzg:ontology`` (classes and properties as nodes).
        inferred: include ``kzg:inferred`` (entailed triples).
        enrichment: include the facts ``kzgraph enrich`` imported (``kzg:enrichment``).
        lang: label language to prefer (English is the fallback).
    """
    context = _Context(ds, inferred=inferred, lang=lang)
    triples = context.included_triples(provenance, ontology, inferred, enrichment)
    return _assemble(context, triples, literals, vocabulary_nodes=ontology)


def triples_to_networkx(
    triples: Iterable[tuple[Node, Node, Node]],
    ds: Dataset | Graph,
    *,
    literals: bool = False,
    lang: str = "en",
) -> nx.MultiDiGraph:
    """The graph of the given triples (a query's result), labelled and sourced from ``ds``.

    Ontology terms are drawn as nodes when some triple is about one (a query over the
    vocabulary), else they are values of the entities' attributes, as in :func:`to_networkx`.
    ``lang`` is the label language to prefer (English is the fallback).
    """
    context = _Context(ds, lang=lang)
    wanted = set(triples)
    about_vocabulary = any(
        isinstance(s, URIRef) and context.is_vocabulary(str(s)) for s, _p, _o in wanted
    )
    return _assemble(context, wanted, literals, vocabulary_nodes=about_vocabulary)


def query_network(
    ds: Dataset | Graph, sparql: str, *, literals: bool = False, lang: str = "en"
) -> nx.MultiDiGraph:
    """The graph a CONSTRUCT or DESCRIBE query returns, or the ``?s ?p ?o`` rows of a SELECT;
    a SELECT that binds other variables draws the entities its rows name, with the facts
    among them (see :func:`entity_network`).

    Raises:
        InputError: the query does not parse, is an ASK, or is a SELECT naming no entity.
    """
    from graph.stores.querying import query

    result = query(ds, sparql)
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        assert result.graph is not None
        triples: list[tuple[Node, Node, Node]] = list(result.graph)
    elif result.type == "SELECT":
        names = [str(v) for v in result.vars or []]
        rows = [tuple(row) for row in result]
        if not {"s", "p", "o"} <= set(names):
            return entity_network(ds, select_entities(rows), literals=literals, lang=lang)
        triples = select_triples(names, rows)
    else:
        raise InputError("an ASK query has no graph to show; write a CONSTRUCT or SELECT query")
    return triples_to_networkx(triples, ds, literals=literals, lang=lang)


def select_entities(rows: Iterable[tuple[Node | None, ...]]) -> list[str]:
    """What the SELECT rows bind, in the order first met: IRIs as they are, and each text
    value as ``"label"`` (a catalogue query often answers with labels; see
    :func:`entity_network`)."""
    seen: dict[str, None] = {}
    for row in rows:
        for value in row:
            if isinstance(value, URIRef):
                seen.setdefault(str(value), None)
            elif isinstance(value, Literal) and value.datatype in (None, XSD.string):
                seen.setdefault('"' + str(value) + '"', None)
    return list(seen)


def entity_network(
    ds: Dataset | Graph, names: Iterable[str], *, literals: bool = False, lang: str = "en"
) -> nx.MultiDiGraph:
    """The entities ``names`` (a SELECT's answer, see :func:`select_entities`) with every fact
    among them: an IRI names its entity, a ``"label"`` the entities labelled exactly so.

    Raises:
        InputError: none of ``names`` is an entity of the graph.
    """
    whole = to_networkx(ds, literals=literals, lang=lang)
    by_label: dict[str, list[str]] = defaultdict(list)
    for node, data in whole.nodes(data=True):
        if not data.get("literal"):
            for text in [data.get("label"), *data.get("alt_labels", [])]:
                by_label[str(text)].append(node)
    wanted: list[str] = []
    for name in names:
        if name.startswith('"'):
            wanted += [n for n in by_label.get(name[1:-1], []) if n not in wanted]
        elif name in whole and name not in wanted:
            wanted.append(name)
    if not wanted:
        raise InputError(
            "the query's rows name no entity of the graph to draw; bind entities (IRIs),"
            " ?s ?p ?o, or write a CONSTRUCT query"
        )
    sub: nx.MultiDiGraph = whole.subgraph(wanted).copy()
    sub.graph.update(whole.graph)
    return sub


def select_triples(
    names: list[str], rows: Iterable[tuple[Node | None, ...]]
) -> list[tuple[Node, Node, Node]]:
    """The ``?s ?p ?o`` bindings of SELECT rows as triples (rows missing one are skipped).

    Raises:
        InputError: the SELECT does not bind ?s, ?p and ?o.
    """
    if not {"s", "p", "o"} <= set(names):
        shown = " ".join(f"?{n}" for n in names) or "nothing"
        raise InputError(
            f"a SELECT query for the view must bind ?s ?p ?o (this one binds {shown}); "
            "or write a CONSTRUCT query"
        )
    i, j, k = names.index("s"), names.index("p"), names.index("o")
    triples: list[tuple[Node, Node, Node]] = []
    for row in rows:
        s, p, o = row[i], row[j], row[k]
        if isinstance(s, URIRef) and isinstance(p, URIRef) and o is not None:
            triples.append((s, p, o))
    return triples


def _assemble(
    context: _Context,
    triples: set[tuple[Node, Node, Node]],
    literals: bool,
    vocabulary_nodes: bool = False,
) -> nx.MultiDiGraph:
    """Build the graph; ``vocabulary_nodes`` draws ontology terms as nodes instead of values."""
    import networkx as nx

    facts: dict[str, _NodeFacts] = defaultdict(_NodeFacts)
    links: dict[str, list[dict[str, Any]]] = defaultdict(list)
    edges: list[tuple[str, str, str, list[Evidence]]] = []
    literal_nodes: dict[str, Literal] = {}
    skip_as_node = set(LABEL_PREDICATES) | set(ALT_LABEL_PREDICATES)

    for triple in sorted(triples, key=_sort_key):
        s, p, o = triple
        if not isinstance(s, URIRef) or not isinstance(p, URIRef):
            continue
        subject, predicate = str(s), str(p)
        if context.is_vocabulary(subject) and not vocabulary_nodes:
            continue  # what the vocabulary says about itself, when the ontology is not drawn
        if isinstance(o, URIRef) and predicate in LINK_PREDICATES:
            # a link out describes a node that other facts make, it makes none itself
            links[subject].append(
                {
                    "predicate": predicate,
                    "label": context.term_label(predicate),
                    "iri": str(o),
                    **context.link_status.get((subject, str(o)), {}),
                }
            )
            continue
        evidence = context.evidence_for(triple)
        node = facts[subject]
        for ev in evidence:
            node.evidence.setdefault(ev.graph, ev)
        if p == RDF.type:
            node.classes.add(str(o))
            continue
        if isinstance(o, Literal):
            if predicate in skip_as_node:
                continue
            value: dict[str, Any] = {
                "predicate": predicate,
                "name": context.curie(predicate),
                "label": context.term_label(predicate),
                "value": str(o),
                "datatype": str(o.datatype) if o.datatype else None,
                "lang": o.language,
                "evidence": evidence,
            }
            start = date_start(str(o), value["datatype"])
            if start is not None:
                value["start"] = start
                value["precision"] = DATE_TYPES[value["datatype"] or ""]
                value["key"] = predicate in context.key_dates
                node.dates.append(value)
            elif predicate not in DESCRIPTION_PREDICATES:
                node.attributes.append(value)
            if literals:
                literal_id = o.n3()
                literal_nodes[literal_id] = o
                edges.append((subject, literal_id, predicate, evidence))
            continue
        obj = str(o)
        if context.is_vocabulary(obj) and not vocabulary_nodes:
            node.attributes.append(
                {
                    "predicate": predicate,
                    "name": context.curie(predicate),
                    "label": context.term_label(predicate),
                    "value": context.label(obj),
                    "iri": obj,
                    "datatype": None,
                    "lang": None,
                    "evidence": evidence,
                }
            )
            continue
        facts[obj]  # the object is a node even if nothing is said about it here
        edges.append((subject, obj, predicate, evidence))

    for subject, found in links.items():
        if subject in facts:
            facts[subject].links.extend(found)
    graph = nx.MultiDiGraph(evidence=dict(context.evidence), prefixes=dict(context.prefixes))
    for iri in sorted(facts):
        graph.add_node(iri, **_node_attributes(context, iri, facts[iri]))
    for literal_id in sorted(literal_nodes):
        graph.add_node(literal_id, **_literal_attributes(context, literal_nodes[literal_id]))
    for subject, obj, predicate, evidence in edges:
        graph.add_edge(
            subject,
            obj,
            key=predicate,
            predicate=predicate,
            name=context.curie(predicate),
            label=context.term_label(predicate),
            evidence=evidence,
        )
    return graph


def _node_attributes(context: _Context, iri: str, node: _NodeFacts) -> dict[str, Any]:
    classes = sorted(node.classes | context.types.get(iri, set()))
    kind_iri = context.kind(classes)
    label = context.label(iri)
    dates = sorted(node.dates, key=lambda d: (d["start"], d["predicate"]))
    key_dates = [d["start"] for d in dates if d.get("key")]
    links = sorted(node.links, key=lambda link: (link["iri"], link["predicate"]))
    # the Wikidata item the entity is (an exact match), not one it only resembles
    wikidata = next(
        (
            link["iri"]
            for link in links
            if link["iri"].startswith(WIKIDATA) and link.get("match", "exact") == "exact"
        ),
        None,
    )
    evidence = sorted(
        node.evidence.values(),
        key=lambda e: (e.source or "", e.paragraph or 0, e.start or 0, e.graph),
    )
    return {
        "iri": iri,
        "name": context.curie(iri),
        "label": label,
        "alt_labels": sorted(
            (context.alt_labels.get(iri, set()) | {v for _r, _p, v in context.labels.get(iri, [])})
            - {label}
        ),
        "classes": classes,
        "class_labels": [context.class_label(c) for c in classes],
        "kind": context.class_label(kind_iri) if kind_iri else "Untyped",
        "kind_iri": kind_iri,
        "group": context.group(classes),
        "description": context.description(iri),
        "dates": dates,
        "date": min(key_dates) if key_dates else None,
        "attributes": node.attributes,
        "links": links,
        "wikidata": wikidata,
        "evidence": evidence,
        "literal": False,
    }


def _literal_attributes(context: _Context, literal: Literal) -> dict[str, Any]:
    datatype = str(literal.datatype) if literal.datatype else None
    start = date_start(str(literal), datatype)
    kind = context.term_label(datatype) if datatype else "Text"
    return {
        "iri": None,
        "name": literal.n3(),
        "label": str(literal),
        "alt_labels": [],
        "classes": [],
        "class_labels": [],
        "kind": f"Literal ({kind})",
        "kind_iri": datatype,
        "group": "literal",
        "description": None,
        "dates": [],
        "date": start,
        "attributes": [],
        "links": [],
        "wikidata": None,
        "evidence": [],
        "literal": True,
    }


def neighbourhood(graph: nx.MultiDiGraph, center: str, depth: int = 1) -> nx.MultiDiGraph:
    """The entities within ``depth`` steps of ``center`` (either direction), with every edge
    among them."""
    import networkx as nx

    if center not in graph:
        raise InputError(f"{center} is not in the graph")
    if depth < 0:
        raise InputError("the depth must be 0 or more")
    sub: nx.MultiDiGraph = nx.ego_graph(graph, center, radius=depth, undirected=True)
    sub.graph["focus"] = center
    return sub
