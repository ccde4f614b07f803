"""Files -> one rdflib Dataset with the named graphs kept.

``ontology/*.ttl`` (all but the shapes) go into ``kzg:ontology``. Each ``data/*.trig`` file puts
its triples into the named graphs it names: evidence graphs (``kze:``) hold the facts,
``kzg:provenance`` describes them and ``kzg:sources`` describes the source documents. Each
``data/*.ttl`` file goes into ``kzg:<file stem>``. The loader refuses, naming file and line:
syntax errors, triples in a data file's default graph, blank nodes in data (every node needs a
stable IRI so outputs are deterministic and provenance is addressable) and graph names outside
the project's namespaces. Blank nodes in the ontology (OWL lists, restrictions) are allowed and
relabelled canonically, so that every output is byte-for-byte reproducible.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, NamespaceManager
from rdflib.term import Node

from graph.errors import InputError
from graph.inputs.locations import ontology_files, require_regular_file, resolve_dir
from graph.namespaces import BASE, KZG, prefixes_for

Quad = tuple[Node, Node, Node, URIRef]
Triple = tuple[Node, Node, Node]

ONTOLOGY_GRAPH = KZG["ontology"]
PROVENANCE_GRAPH = KZG["provenance"]
SOURCES_GRAPH = KZG["sources"]
INFERRED_GRAPH = KZG["inferred"]
#: Graphs that only the loader (ontology) and the inference step (inferred) may fill.
RESERVED_GRAPHS = frozenset({ONTOLOGY_GRAPH, INFERRED_GRAPH})

DEFAULT_GRAPH_MESSAGE = "fact outside a named graph: every fact must sit in an evidence graph"
BLANK_NODE_MESSAGE = (
    "blank node in data: every node needs a stable IRI so outputs are deterministic"
    " and provenance is addressable"
)


def new_dataset(prefixes: dict[str, str] | None = None) -> Dataset:
    """An empty Dataset whose default graph is the union, with only our prefixes bound."""
    ds = Dataset(default_union=True)
    ds.namespace_manager = NamespaceManager(ds, bind_namespaces="none")
    for prefix, iri in (prefixes or prefixes_for()).items():
        ds.bind(prefix, iri, override=True, replace=True)
    return ds


def add_quad(ds: Dataset, quad: Quad) -> None:
    """Add one quad; rdflib accepts a graph name where its stubs ask for a Graph."""
    ds.add(quad)  # type: ignore[arg-type]


def named_graphs(ds: Dataset) -> list[URIRef]:
    """The names of the non-empty named graphs, sorted."""
    return sorted(
        g.identifier  # type: ignore[misc]
        for g in ds.graphs()
        if g.identifier != DATASET_DEFAULT_GRAPH_ID and len(g) > 0
    )


def load_graph(
    ontology_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    base: str | None = None,
) -> Dataset:
    """Load the ontology and the data into one Dataset (default graph = union of all graphs).

    Args:
        ontology_dir: directory holding ``kzgraph.ttl``; default per :mod:`graph.inputs.locations`.
        data_dir: directory holding ``*.trig`` / ``*.ttl``; default per
        :mod:`graph.inputs.locations`.
        base: when given, every IRI starting with ``https://w3id.org/kzgraph/`` (graph names
            included) is rewritten to start with ``base`` instead.

    Raises:
        InputError: a file is missing, unreadable, malformed or breaks the data rules.
    """
    ont_dir = resolve_dir("ontology", ontology_dir)
    dat_dir = resolve_dir("data", data_dir)
    if not (ont_dir / "kzgraph.ttl").is_file():
        raise InputError("no ontology here (expected kzgraph.ttl)", ont_dir)
    if not dat_dir.is_dir():
        raise InputError("no such data directory", dat_dir)

    ds = new_dataset()
    ontology = Graph()
    for path in ontology_files(ont_dir):
        part = Graph()
        parse_file(part, path, "turtle")
        _raise_first(path, term_problems(path, part, part.namespace_manager.namespaces()))
        ontology += part
    for s, p, o in _canonical_triples(ontology):
        add_quad(ds, (s, p, o, ONTOLOGY_GRAPH))

    for path in sorted(dat_dir.glob("*.trig")) + sorted(dat_dir.glob("*.ttl")):
        for quad in _data_quads(path):
            add_quad(ds, quad)

    if base is not None:
        ds = rebase(ds, base)
    return ds


# -- Base rewriting --


def rebase_term(term: Node, base: str) -> Node:
    """``term`` with the project base ``https://w3id.org/kzgraph/`` replaced by ``base``."""
    if isinstance(term, URIRef) and term.startswith(BASE):
        return URIRef(base + term[len(BASE) :])
    if isinstance(term, Literal) and term.datatype is not None and term.datatype.startswith(BASE):
        return Literal(term, datatype=URIRef(base + term.datatype[len(BASE) :]))
    return term


def rebase(ds: Dataset, base: str) -> Dataset:
    """A copy of ``ds`` with every project IRI moved to ``base`` (see :func:`rebase_term`)."""
    out = new_dataset(prefixes_for(base))
    for s, p, o, g in quads(ds):
        name = URIRef(str(rebase_term(g, base)))
        add_quad(out, (rebase_term(s, base), rebase_term(p, base), rebase_term(o, base), name))
    return out


def quads(ds: Dataset) -> Iterator[Quad]:
    """Every quad of ``ds`` in a named graph (the default graph is the union, so skipped)."""
    for s, p, o, g in ds.quads((None, None, None, None)):
        name = g.identifier if isinstance(g, Graph) else g
        if name is not None and name != DATASET_DEFAULT_GRAPH_ID:
            yield s, p, o, name  # type: ignore[misc]


# -- Parsing and the data rules --


def parse_file(target: Graph, path: Path, fmt: str) -> None:
    """Parse ``path`` into ``target``; any failure becomes an InputError naming file and line."""
    require_regular_file(path)
    if fmt in ("xml", "application/rdf+xml"):
        from graph.inputs.rdfxml import MAX_PROLOG, check_entities

        with open(path, "rb") as handle:
            check_entities(handle.read(MAX_PROLOG), path)
    term_log = logging.getLogger("rdflib.term")
    level = term_log.level
    # rdflib logs a traceback for each ill-typed literal ("03.03.2021"^^xsd:date); SHACL's
    # sh:datatype reports those as violations with their focus node, so keep the parse quiet.
    term_log.setLevel(logging.ERROR)
    try:
        target.parse(path, format=fmt)
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path) from None
    except Exception as exc:  # rdflib raises BadSyntax, ParserError and plain exceptions
        line, message = syntax_error_details(exc)
        tag = re.fullmatch(r"'(.*)' is not a valid language tag!", str(exc))
        if tag:  # rdflib names neither line nor file: find the tag in the text
            line = _line_of(path, r"""(?<=["'])@""" + re.escape(tag.group(1)) + r"(?![\w-])")
            message = f"bad language tag @{tag.group(1)} ({LANGUAGE_TAG_HINT})"
        raise InputError(message, path, line) from None
    finally:
        term_log.setLevel(level)


LANGUAGE_TAG_HINT = "a BCP 47 tag such as en, ru or kk-Cyrl"


def _line_of(path: Path, pattern: str) -> int | None:
    """The line of the first match of ``pattern`` in ``path`` (None when not found)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return _code_line(text, _scan(text)[1], pattern)


def _code_line(text: str, code: list[bool], pattern: str, flags: int = 0) -> int | None:
    """The line of the first match of ``pattern`` in code (not in a comment or a string)."""
    for match in re.finditer(pattern, text, flags):
        if code[match.start()]:
            return text.count("\n", 0, match.start()) + 1
    return None


def term_problems(
    path: Path,
    triples: Iterable[tuple[Node, ...]],
    namespaces: Iterable[tuple[str, URIRef]] = (),
) -> list[_Problem]:
    """Terms a store cannot take, as Oxigraph (the engine) reads them, each with its line.

    rdflib accepts ``<a b>`` (and only warns), resolves a relative IRI such as ``<foo>``
    against the file's own location (``file:///home/...``, a different IRI on every machine),
    and accepts language tags BCP 47 does not (``@e``); Oxigraph refuses all three, so
    ``validate`` would pass data that ``build`` and every store then reject.
    """
    import pyoxigraph as ox

    locator = _Locator(path.read_text(encoding="utf-8", errors="replace"))
    locator.bind(namespaces)  # the file's prefixes: an IRI written as prefix:name is found too
    text, code = locator.text, locator.code
    base = path.absolute().as_uri()
    problems: list[_Problem] = []
    seen: set[Node] = set()
    for term in (t for triple in triples for t in triple):
        if term in seen:
            continue
        seen.add(term)
        if isinstance(term, URIRef):
            iris = [str(term)]
        elif isinstance(term, Literal) and term.datatype is not None:
            iris = [str(term.datatype)]
        else:
            iris = []
        for iri in iris:
            problem = _iri_problem(iri)
            if problem is None:
                continue
            line, shown = _iri_in_text(text, code, iri, base)
            if line is None:
                line, shown = locator.find(URIRef(iri)), locator.short(URIRef(iri))
            problems.append(_problem(line, f"{problem}: {shown}"))
        if isinstance(term, Literal) and term.language:
            try:
                ox.Literal(str(term), language=term.language)
            except ValueError:
                pattern = r"""(?<=["'])@""" + re.escape(term.language) + r"(?![\w-])"
                line = _code_line(text, code, pattern, re.IGNORECASE)
                problems.append(
                    _problem(line, f"bad language tag @{term.language} ({LANGUAGE_TAG_HINT})")
                )
    return problems


def _iri_problem(iri: str) -> str | None:
    import pyoxigraph as ox

    if iri.startswith("file:"):
        return "relative IRI (write the full IRI, or declare @base)"
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        return f"invalid IRI ({exc})"
    return None


def _iri_in_text(text: str, code: list[bool], iri: str, base: str) -> tuple[int | None, str]:
    """Where ``iri`` is written in ``text`` (as ``<iri>`` or relative to ``base``), and how."""
    from urllib.parse import urljoin

    for match in re.finditer(r"<([^<>\n]*)>", text):
        if not code[match.start()]:
            continue
        written = match.group(1)
        if written == iri or (iri.startswith("file:") and urljoin(base, written) == iri):
            return text.count("\n", 0, match.start()) + 1, f"<{written}>"
    return None, f"<{iri}>"


def _raise_first(path: Path, problems: list[_Problem]) -> None:
    if problems:
        first = min(problems)
        raise InputError(first.message, path, first.line)


def syntax_error_details(exc: Exception) -> tuple[int | None, str]:
    """The 1-based line and a one-line message from an rdflib parser exception."""
    why = getattr(exc, "_why", None)
    lines = getattr(exc, "lines", None)
    line: int | None = lines + 1 if isinstance(lines, int) else None
    text = str(why) if why is not None else str(exc)
    if line is None:
        match = re.search(r"\bline:? (\d+)", str(exc))
        if match:
            line = int(match.group(1))
        # the first line of rdflib's message is "at line N of <...>:"; keep what follows
        text = next(
            (t.strip() for t in text.splitlines() if t.strip() and not t.startswith("at line")),
            type(exc).__name__,
        )
    prefix = re.fullmatch(r'Prefix "([^"]*)" not bound', text)
    if prefix:
        return line, f'undeclared prefix "{prefix.group(1)}" (add an @prefix line for it)'
    return line, f"bad syntax: {text}"


@dataclass(frozen=True, order=True)
class _Problem:
    rank: float  # the line, or infinity when unknown: problems are reported in file order
    anonymous: bool  # on one line, a triple with an IRI subject says more: report it first
    message: str
    line: int | None


def _problem(line: int | None, message: str, anonymous: bool = False) -> _Problem:
    return _Problem(float("inf") if line is None else line, anonymous, message, line)


def _data_quads(path: Path) -> list[Quad]:
    """The quads of one data file, after checking the data rules (raises on the first)."""
    require_regular_file(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    problems: list[_Problem] = []
    found: list[Quad] = []
    locator = _Locator(text)
    if path.suffix == ".trig":
        parsed = Dataset()
        parse_file(parsed, path, "trig")
        locator.bind(parsed.namespace_manager.namespaces())
        for s, p, o, g in parsed.quads((None, None, None, None)):
            name = g.identifier if isinstance(g, Graph) else g
            if name is None or name == DATASET_DEFAULT_GRAPH_ID:
                line = locator.find(s, top_level=True)
                shown = locator.triple(s, p, o)
                problems.append(_problem(line, f"{DEFAULT_GRAPH_MESSAGE}: {shown}"))
            else:
                found.append((s, p, o, name))  # type: ignore[arg-type]
    else:
        graph = Graph()
        parse_file(graph, path, "turtle")
        locator.bind(graph.namespace_manager.namespaces())
        found = [(s, p, o, KZG[path.stem]) for s, p, o in graph]

    for name in sorted({g for _s, _p, _o, g in found}):
        line = locator.find(name, top_level=True)
        if isinstance(name, BNode):
            problems.append(_problem(None, "graph name is a blank node"))
        elif not str(name).startswith((BASE + "evidence/", BASE + "graph/")):
            problems.append(
                _problem(
                    line,
                    f"graph {locator.short(name)} is neither an evidence "
                    "graph (kze:) nor a project graph (kzg:)",
                )
            )
        elif name in RESERVED_GRAPHS:
            problems.append(
                _problem(
                    line,
                    f"graph {locator.short(name)} is reserved: the build "
                    "fills it, data files may not",
                )
            )
    for s, p, o, _g in found:
        if isinstance(s, BNode) or isinstance(o, BNode):
            line = locator.find_blank(s if isinstance(s, BNode) else o, found)
            message = f"{BLANK_NODE_MESSAGE}: {locator.triple(s, p, o)}"
            problems.append(_problem(line, message, isinstance(s, BNode)))
    declared = [(prefix, URIRef(ns)) for prefix, ns in locator.prefixes]
    problems.extend(term_problems(path, found, declared))
    _raise_first(path, problems)
    return found


def _canonical_triples(graph: Graph) -> Iterable[Triple]:
    """The triples of ``graph`` with blank nodes relabelled from the graph's structure."""
    if not any(isinstance(t, BNode) for triple in graph for t in triple):
        return iter(graph)
    from rdflib.compare import to_canonical_graph

    return iter(to_canonical_graph(graph))


class _Locator:
    """Best-effort line numbers for triples: rdflib reports none, so search the file text.

    A term is looked for as ``<iri>`` or under any prefix the file declares, only in code (not
    in comments or strings); ``top_level`` prefers hits outside ``{ ... }`` graph blocks.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.prefixes: list[tuple[str, str]] = []
        self.depth, self.code = _scan(text)

    def bind(self, namespaces: Iterable[tuple[str, URIRef]]) -> None:
        declared = set(re.findall(r"(?im)^\s*@?prefix\s+([\w.-]*):", self.text))
        self.prefixes = sorted(
            ((p, str(ns)) for p, ns in namespaces if p in declared),
            key=lambda pn: -len(pn[1]),
        )

    def triple(self, s: Node, p: Node, o: Node) -> str:
        predicate = "a" if p == RDF.type else self.short(p)
        return f"{self.short(s)} {predicate} {self.short(o)}"

    def short(self, term: Node) -> str:
        if isinstance(term, URIRef):
            for prefix, ns in self.prefixes:
                if term.startswith(ns) and re.fullmatch(r"[\w.-]*", term[len(ns) :]):
                    return f"{prefix}:{term[len(ns) :]}"
            return f"<{term}>"
        if isinstance(term, BNode):
            return "[]"
        return term.n3()

    def _tokens(self, term: URIRef) -> list[str]:
        tokens = [f"<{term}>"]
        for prefix, ns in self.prefixes:
            if term.startswith(ns):
                tokens.append(f"{prefix}:{term[len(ns) :]}")
        return tokens

    def positions(self, term: Node) -> list[int]:
        if not isinstance(term, URIRef):
            return []
        hits: set[int] = set()
        for token in self._tokens(term):
            pattern = r"(?<![\w:<>-])" + re.escape(token) + r"(?![\w:%-]|\.[\w-])"
            hits.update(m.start() for m in re.finditer(pattern, self.text) if self.code[m.start()])
        return sorted(hits)

    def line_at(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def find(self, term: Node, top_level: bool = False) -> int | None:
        hits = self.positions(term)
        if top_level:
            hits = [h for h in hits if self.depth[h] == 0] or hits
        return self.line_at(hits[0]) if hits else None

    def find_blank(self, node: Node, quads: list[Quad]) -> int | None:
        """The line of the first ``[`` or ``_:`` after the IRI that refers to ``node``."""
        owner: Node = node
        for _ in range(20):  # follow chains of nested blank nodes up to an IRI
            referrers = [s for s, _p, o, _g in quads if o == owner]
            if not referrers or not isinstance(owner, BNode):
                break
            owner = referrers[0]
        hits = self.positions(owner)
        start = hits[0] if hits else 0
        for match in re.finditer(r"\[|_:", self.text[start:]):
            pos = start + match.start()
            if self.code[pos]:
                return self.line_at(pos)
        return None


def _scan(text: str) -> tuple[list[int], list[bool]]:
    """Brace depth and whether each character is code (not in a comment or string literal)."""
    n = len(text)
    depth = [0] * (n + 1)
    code = [True] * (n + 1)
    iri = re.compile(r"<[^<>\"{}|^`\\\s]*>")
    i = level = 0
    while i < n:
        c = text[i]
        if c == "<":
            m = iri.match(text, i)
            if m:
                for j in range(i, m.end()):
                    depth[j] = level
                i = m.end()
                continue
        if c == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            for j in range(i, end):
                code[j], depth[j] = False, level
            i = end
            continue
        if c in "\"'":
            delim = c * 3 if text.startswith(c * 3, i) else c
            j = i + len(delim)
            while j < n:
                if text[j] == "\\":
                    j += 2
                    continue
                if text.startswith(delim, j):
                    j += len(delim)
                    break
                if len(delim) == 1 and text[j] == "\n":
                    break
                j += 1
            for k in range(i, min(j, n)):
                code[k], depth[k] = False, level
            i = j
            continue
        if c == "{":
            level += 1
        elif c == "}":
            level -= 1
        depth[i] = level
        i += 1
    return depth, code
