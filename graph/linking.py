"""Links to the web of data: reconcile entities, import facts, run federated queries.

Three features share one polite SPARQL client (:class:`SparqlClient`): a descriptive
User-Agent, a rate limit, retries with backoff on 429 and 5xx (honouring ``Retry-After``), a
timeout and an on-disk cache, so a rerun costs no requests. A network failure raises
:class:`NetworkError` before any file is touched.

- :func:`reconcile` ranks candidates in a target dataset (Wikidata by default) for the entities
  of this graph by label, alternative labels, expected type and country; :func:`apply_matches`
  writes the accepted ones to ``data/alignments.ttl`` (graph ``kzg:alignments``).
- :func:`enrich` imports chosen facts about the linked entities into ``data/enrichment.ttl``
  (graph ``kzg:enrichment``), marked with its source and retrieval date; :func:`drop_enrichment`
  removes them.
- :func:`external_links` reads one entity's alignments with their status (exact/close;
  verified, reconciled or pending; last checked; evidence) for `kzgraph show`, `kzgraph paths`
  and the pages; :func:`links_markdown` writes them all for docs/linking.md.
- :func:`federated_query` runs a catalogue query with ``SERVICE`` clauses through
  :func:`graph.query` after the query guard (:mod:`graph.sandbox`) checked every service
  against an allow-list.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS, XSD, NamespaceManager
from rdflib.term import Node

from graph import __version__
from graph.errors import InputError, KzGraphError
from graph.namespaces import BASE, ELI, KZ, KZG, KZR, PREFIXES, WD
from graph.query import Results

FOAF = Namespace("http://xmlns.com/foaf/0.1/")
ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
DCT = Namespace("http://purl.org/dc/terms/")
VOID = Namespace("http://rdfs.org/ns/void#")
ADMS = Namespace("http://www.w3.org/ns/adms#")

#: Wikidata's RDF model (https://www.mediawiki.org/wiki/Wikibase/Indexing/RDF_Dump_Format).
WIKIDATA_PREFIXES: dict[str, str] = {
    "wd": str(WD),
    "wdt": "http://www.wikidata.org/prop/direct/",
    "p": "http://www.wikidata.org/prop/",
    "ps": "http://www.wikidata.org/prop/statement/",
    "psv": "http://www.wikidata.org/prop/statement/value/",
    "pq": "http://www.wikidata.org/prop/qualifier/",
    "pqv": "http://www.wikidata.org/prop/qualifier/value/",
    "wikibase": "http://wikiba.se/ontology#",
    "rdfs": str(RDFS),
    "skos": str(SKOS),
    # Wikidata writes descriptions with http://schema.org/, not the https form we use.
    "wschema": "http://schema.org/",
}
WIKIBASE = Namespace(WIKIDATA_PREFIXES["wikibase"])

DEFAULT_ENDPOINT = "https://query.wikidata.org/sparql"
ALIGNMENTS_GRAPH = KZG["alignments"]
ENRICHMENT_GRAPH = KZG["enrichment"]
ALIGNMENTS_FILE = "alignments.ttl"
ENRICHMENT_FILE = "enrichment.ttl"

WIKIDATA_DATASET = KZR["dataset-wikidata"]
DBPEDIA_DATASET = KZR["dataset-dbpedia"]
#: Target dataset slug (as used on the command line) -> its description in kzg:alignments.
TARGET_DATASETS: dict[str, URIRef] = {"wikidata": WIKIDATA_DATASET, "dbpedia": DBPEDIA_DATASET}
TARGET_NAMES = {"wikidata": "Wikidata", "dbpedia": "DBpedia"}

RETRY_STATUSES = (429, 500, 502, 503, 504)
LINK_PROPERTIES = (OWL.sameAs, SKOS.exactMatch, SKOS.closeMatch, RDFS.seeAlso)
EXACT_LINKS = (OWL.sameAs, SKOS.exactMatch)

USER_AGENT = (
    f"kzgraph/{__version__} (+https://w3id.org/kzgraph; linked-data reconciliation and "
    "enrichment of a human-rights knowledge graph)"
)


class NetworkError(KzGraphError):
    """The endpoint could not be reached or kept failing; nothing was written."""

    exit_code = 2


# -- The polite client --


def default_cache_dir() -> Path:
    """``$KZGRAPH_CACHE``, else ``$XDG_CACHE_HOME/kzgraph``, else ``~/.cache/kzgraph``."""
    explicit = os.environ.get("KZGRAPH_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "kzgraph"


@dataclass(frozen=True)
class ClientSettings:
    """How :class:`SparqlClient` talks to an endpoint.

    Attributes:
        endpoint: the SPARQL endpoint URL.
        user_agent: sent with every request; Wikimedia asks for one that says who is asking.
        rate: at most this many network requests per second (cached answers are free).
        timeout: seconds to wait for a connection and for each read.
        retries: retries after a 429, a 5xx or a dropped connection, with exponential backoff.
        backoff: backoff factor in seconds (waits backoff * 2**n; ``Retry-After`` wins).
        cache_dir: where answers are kept; ``None`` disables the cache.
        expire_days: how long a cached answer stays fresh.
        refresh: ask the endpoint again even when an answer is cached (and store the new one).
    """

    endpoint: str = DEFAULT_ENDPOINT
    user_agent: str = USER_AGENT
    rate: float = 1.0
    timeout: float = 60.0
    retries: int = 4
    backoff: float = 2.0
    cache_dir: Path | None = field(default_factory=default_cache_dir)
    expire_days: float = 30.0
    refresh: bool = False


class SparqlClient:
    """SELECT queries against one endpoint, politely; answers as rows of rdflib terms."""

    def __init__(self, settings: ClientSettings | None = None) -> None:
        self.settings = settings or ClientSettings()
        self.network_requests = 0
        self.cache_hits = 0
        self._session: Any = None

    def _open(self) -> Any:
        if self._session is not None:
            return self._session
        try:
            import requests
            from requests.adapters import HTTPAdapter
            from requests_cache import CacheMixin
            from requests_ratelimiter import LimiterMixin
            from urllib3.util.retry import Retry
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise InputError(
                f"linking needs the 'link' extra ({exc.name} is missing): "
                "pip install 'kzgraph[link]'"
            ) from None

        # CacheMixin first: answers served from the cache do not count against the rate limit.
        class _Session(CacheMixin, LimiterMixin, requests.Session):
            pass

        s = self.settings
        options: dict[str, Any] = {
            "per_second": s.rate,
            "allowable_methods": ("GET", "POST"),
            "allowable_codes": (200,),
            "expire_after": dt.timedelta(days=s.expire_days),
            "cache_control": False,
        }
        if s.cache_dir is None:
            options["backend"] = "memory"
            options["expire_after"] = 0  # a "disabled" cache stores nothing
            session = _Session(**options)
        else:
            s.cache_dir.mkdir(parents=True, exist_ok=True)
            session = _Session(str(s.cache_dir / "http-cache"), backend="sqlite", **options)
        retry = Retry(
            total=s.retries,
            connect=s.retries,
            read=s.retries,
            status=s.retries,
            backoff_factor=s.backoff,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET", "POST"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers.update(
            {"User-Agent": s.user_agent, "Accept": "application/sparql-results+json"}
        )
        self._session = session
        return session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def __enter__(self) -> SparqlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def select(self, sparql: str) -> list[dict[str, Node]]:
        """Run a SELECT query; each row maps variable names to rdflib terms."""
        import requests

        session = self._open()
        s = self.settings
        extra = {"force_refresh": True} if s.refresh else {}
        try:
            if len(sparql) <= 1500:
                response = session.get(
                    s.endpoint, params={"query": sparql}, timeout=s.timeout, **extra
                )
            else:  # long queries go in the body, as the SPARQL protocol allows
                response = session.post(
                    s.endpoint, data={"query": sparql}, timeout=s.timeout, **extra
                )
        except requests.exceptions.RetryError as exc:
            raise NetworkError(
                f"{s.endpoint} kept failing after {s.retries} retries ({_reason(exc)}); "
                "nothing was written"
            ) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise NetworkError(
                f"cannot reach {s.endpoint} ({_reason(exc)}); check the network or choose "
                "another --endpoint; nothing was written"
            ) from None
        if getattr(response, "from_cache", False):
            self.cache_hits += 1
        else:
            self.network_requests += 1
        if response.status_code in RETRY_STATUSES:
            raise NetworkError(
                f"{s.endpoint} kept failing after {s.retries} retries "
                f"(HTTP {response.status_code}); nothing was written"
            )
        if response.status_code != 200:
            detail = response.text.strip().splitlines()[0][:200] if response.text else ""
            raise NetworkError(
                f"{s.endpoint} answered HTTP {response.status_code}"
                + (f" ({detail})" if detail else "")
                + "; nothing was written"
            )
        try:
            data = response.json()
            variables = data["head"]["vars"]
            bindings = data["results"]["bindings"]
        except (ValueError, KeyError, TypeError):
            raise NetworkError(
                f"{s.endpoint} did not answer with SPARQL JSON results; nothing was written"
            ) from None
        return [{v: _term(b[v]) for v in variables if v in b} for b in bindings]


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for pattern, short in (
        (r"Connection refused", "connection refused"),
        (
            r"Name or service not known|nodename nor servname|Temporary failure in name",
            "unknown host",
        ),
        (r"timed out", "timed out"),
        (r"too many (\d+) error responses", "too many error responses"),
    ):
        if re.search(pattern, text):
            return short
    return type(exc).__name__


def _term(binding: Mapping[str, str]) -> Node:
    kind = binding.get("type")
    value = binding["value"]
    if kind == "uri":
        return URIRef(value)
    if kind in ("literal", "typed-literal"):
        datatype = binding.get("datatype")
        return Literal(
            value,
            lang=binding.get("xml:lang"),
            datatype=URIRef(datatype) if datatype else None,
        )
    return Literal(value)  # blank nodes carry no identity across requests


def progress(items: Sequence[Any], description: str) -> Iterable[Any]:
    """``items`` with a progress bar on a terminal (stderr); silent when piped."""
    if not sys.stderr.isatty():
        return items
    try:
        from tqdm import tqdm  # type: ignore[import-untyped, unused-ignore]
    except ImportError:  # pragma: no cover
        return items
    bar: Iterable[Any] = tqdm(items, desc=description, unit="entity", leave=False, file=sys.stderr)
    return bar


# -- Canonical Turtle for the files kzgraph writes --


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
    from graph.export import write_atomic

    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", path) from None


# -- Reading the alignments --


@dataclass(frozen=True)
class AlignmentRecord:
    """One kz:Alignment as read from the dataset."""

    iri: URIRef
    source: URIRef
    status: URIRef
    dataset: URIRef
    prop: URIRef | None
    target: URIRef | None


def alignments(ds: Dataset | Graph) -> list[AlignmentRecord]:
    """Every kz:Alignment in ``ds`` (any graph), sorted by IRI."""
    found = []
    for a in set(ds.subjects(RDF.type, KZ.Alignment)):
        source = ds.value(a, OWL.annotatedSource)
        status = ds.value(a, KZ.alignmentStatus)
        dataset = ds.value(a, KZ.targetDataset)
        if not isinstance(a, URIRef) or not isinstance(source, URIRef):
            continue
        prop = ds.value(a, OWL.annotatedProperty)
        target = ds.value(a, OWL.annotatedTarget)
        found.append(
            AlignmentRecord(
                a,
                source,
                status if isinstance(status, URIRef) else KZ.PendingReconciliation,
                dataset if isinstance(dataset, URIRef) else WIKIDATA_DATASET,
                prop if isinstance(prop, URIRef) else None,
                target if isinstance(target, URIRef) else None,
            )
        )
    return sorted(found, key=lambda r: str(r.iri))


def wikidata_links(ds: Dataset | Graph) -> dict[URIRef, URIRef]:
    """Entity -> Wikidata item, for every verified exact alignment into Wikidata."""
    links: dict[URIRef, URIRef] = {}
    for r in alignments(ds):
        if (
            r.status == KZ.Verified
            and r.prop in EXACT_LINKS
            and r.target is not None
            and r.target.startswith(str(WD))
        ):
            links[r.source] = r.target
    return dict(sorted(links.items()))


def alignment_iri(entity: URIRef, target: str) -> URIRef:
    """The stable IRI of the alignment of ``entity`` into dataset ``target`` (slug)."""
    return KZR[f"alignment-{entity_slug(entity)}-{target}"]


def entity_slug(entity: URIRef) -> str:
    """``kazakhstan`` for kzr:kazakhstan, ``topic-human-rights`` for kzt:human-rights."""
    local = str(entity)[len(str(KZR)) :] if entity.startswith(str(KZR)) else str(entity)
    return re.sub(r"[^\w-]+", "-", local).strip("-")


# -- External links of one entity, with their status (for `kzgraph show`, `paths` and pages) --


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
        short = _compact(self.target)
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
    from graph.stores import Store

    if isinstance(source, Store):
        from graph.sandbox import check_query

        return source.query(check_query(text)).rows()
    import pyoxigraph as ox

    if isinstance(source, ox.Store):
        from graph.query import to_rdflib

        solutions = source.query(text)
        if not isinstance(solutions, ox.QuerySolutions):  # pragma: no cover - a SELECT
            raise TypeError("expected SELECT solutions")
        names = [v.value for v in solutions.variables]
        return [
            tuple(to_rdflib(s[n]) if s[n] is not None else None for n in names) for s in solutions
        ]
    from graph.query import query

    return [tuple(row) for row in query(source, text)]


def external_links(source: Any, iri: str | URIRef) -> list[ExternalLink]:
    """Every alignment of the entity ``iri`` with another dataset, verified ones first.

    Args:
        source: the data: an rdflib Dataset or Graph, a :class:`graph.stores.Store`, or a
            pyoxigraph Store holding the ``kzg:alignments`` graph.
        iri: the entity (``https://w3id.org/kzgraph/id/...``).

    Returns:
        A list of :class:`ExternalLink` (frozen dataclasses; ``to_dict()`` gives JSON),
        sorted verified, reconciled, pending, then by dataset and target. Empty when the entity
        has no alignment.
    """
    from graph.entity import iri_term

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
    width = max(len(printable(link.dataset_label)) for link in links)
    lines = []
    for link in links:
        target = link.short_target if link.target is not None else "(pending)"
        lines.append(
            f"  {printable(link.dataset_label).ljust(width)}  {printable(target)}"
            f"  {link.status_text()}"
        )
        if evidence:
            lines.extend(f"      evidence: {printable(str(e.iri))}" for e in link.evidence)
    return "\n".join(lines) + "\n"


def links_markdown(source: Dataset | Graph) -> str:
    """Every alignment as Markdown for docs/linking.md: the counts, the links with their status
    and evidence (verified and reconciled), then the pending ones with what was searched."""
    from graph.stats import ALIGNMENT_STATES

    rows: list[tuple[str, str, ExternalLink]] = []
    entities = sorted({r.source for r in alignments(source)}, key=entity_slug)
    for entity in entities:
        for link in external_links(source, entity):
            rows.append(
                (_label(source, entity), _short(entity, _namespace_manager(PREFIXES)), link)
            )
    counts = {
        state: sum(1 for *_x, link in rows if link.status == state) for state in ALIGNMENT_STATES
    }
    per_dataset: dict[str, set[str]] = defaultdict(set)
    for _label_text, short, link in rows:
        if link.status != "pending":
            per_dataset[link.dataset_label].add(short)

    def cell(text: str) -> str:
        return printable(text).replace("|", "\\|")

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


def printable(text: str) -> str:
    """``text`` safe for a terminal: control and format characters (escape sequences, bidi
    overrides, newlines) shown as ``\\uXXXX`` instead of acting on the screen."""
    import unicodedata

    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cf") else c for c in text
    )


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
            evidence.append(f"states owl:sameAs {_compact(wikidata_item)}")  # type: ignore[arg-type]
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
                evidence.append(f"country {_compact(info.country)}")
            elif countries:
                parts["country"] = 0.0
                evidence.append("country " + ", ".join(_compact(c) for c in countries[:2]))
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
                    _compact(c.target),
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


def _compact(iri: URIRef) -> str:
    for prefix, ns in (("wd", str(WD)), ("dbr", "http://dbpedia.org/resource/")):
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return f"<{iri}>"


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
    from graph.paths import resolve_dir

    return resolve_dir("data", data_dir) / ALIGNMENTS_FILE


def read_alignments(path: Path) -> Graph:
    """The triples of an alignments file (empty when the file does not exist)."""
    from graph.load import parse_file

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
        label = _label(lookup, entity)
        members = [entity] if (entity, None, None) in graph else []
        ids = sorted(o for o in graph.objects(entity, ADMS.identifier) if isinstance(o, URIRef))
        members += sorted(by_entity[entity]) + ids
        comment = f"{label} ({_short(entity, _namespace_manager(PREFIXES))})"
        sections.append((comment, members))
        placed.update(members)
    rest = sorted(s for s in set(graph.subjects()) if isinstance(s, URIRef) and s not in placed)
    sections.append(("-- Other --", rest))
    prefixes = {**PREFIXES, "adms": str(ADMS)}
    return format_turtle(graph, ALIGNMENTS_HEADER, sections, prefixes)


def _label(graph: Graph | Dataset, entity: URIRef) -> str:
    for p in (RDFS.label, SKOS.prefLabel):
        for o in graph.objects(entity, p):
            if isinstance(o, Literal) and (o.language or "en").startswith("en"):
                return str(o)
    return entity_slug(entity)


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
                    f"{c.entity.label} → {TARGET_NAMES[target]} {_compact(c.target)}", lang="en"
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


# -- Enrichment --

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
    from graph.paths import resolve_dir

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
            label = f"{_label(ds, state)}, party to {_label(ds, treaty)} (imported)"
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


def write_enrichment(
    result: EnrichmentResult, path: Path, endpoint: str, languages: Sequence[str]
) -> None:
    write_text_atomic(path, enrichment_text(result, endpoint, languages))


def drop_enrichment(path: Path) -> bool:
    """Delete the enrichment file; True if there was one."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise InputError(f"cannot delete: {exc.strerror or exc}", path) from None
    return True


# -- Federated queries --

_SERVICE = re.compile(r"(?i)\bSERVICE\s+(SILENT\s+)?<([^>\s]*)>")


def services_in(sparql: str) -> list[str]:
    """The endpoints a query calls with ``SERVICE <...>``, in order of appearance."""
    return [m.group(2) for m in _SERVICE.finditer(_strip_comments_and_strings(sparql))]


def _strip_comments_and_strings(sparql: str) -> str:
    # blank out string literals and comments so a SERVICE inside them is not counted
    pattern = re.compile(
        r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|#[^\n]*'
    )
    return pattern.sub(lambda m: " " * len(m.group(0)), sparql)


def federated_query(
    ds: Dataset | Graph,
    sparql: str,
    allow: Iterable[str],
    endpoints: Mapping[str, str] | None = None,
) -> Results:
    """Run ``sparql`` through :func:`graph.query` if every SERVICE it calls is allowed.

    The allow-list is enforced by the query guard (:func:`graph.sandbox.check_query`), on the
    query as written and on the query actually run.

    Args:
        ds: the dataset.
        sparql: the query; its SERVICE IRIs are the logical endpoints (e.g. Wikidata's).
        allow: the endpoint allow-list; a SERVICE not on it is refused before anything runs.
        endpoints: optional redirection of logical endpoints to the URL actually called
            (a mirror, or a local test server); both must be on the allow-list.

    Raises:
        QueryRefused: a SERVICE endpoint is not on the allow-list (an InputError).
    """
    from graph.query import query
    from graph.sandbox import Policy, check_query

    policy = Policy(allowed_services=tuple(sorted(set(allow))))
    mapping = dict(endpoints or {})

    def redirect(match: re.Match[str]) -> str:
        silent = match.group(1) or ""
        return f"SERVICE {silent}<{mapping.get(match.group(2), match.group(2))}>"

    rewritten = _SERVICE.sub(redirect, sparql) if mapping else sparql
    check_query(sparql, policy)
    # run exactly the text the guard checked (its escapes expanded, its line ends made LF)
    return query(ds, check_query(rewritten, policy).text)


def is_project_iri(term: Node) -> bool:
    return isinstance(term, URIRef) and term.startswith(BASE)


def iter_link_triples(ds: Dataset | Graph) -> Iterator[tuple[URIRef, URIRef, URIRef]]:
    """Link triples from entities of this graph to other datasets."""
    for p in LINK_PROPERTIES:
        for s, o in ds.subject_objects(p):
            if is_project_iri(s) and isinstance(o, URIRef) and not is_project_iri(o):
                yield s, p, o  # type: ignore[misc]
