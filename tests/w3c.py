"""A harness for the W3C SPARQL 1.1 test suites, read where they are (never copied here).

The suites are looked for in ``$KZGRAPH_W3C`` or ``<repo>/../shared/w3c-sparql11`` (a copy of
``sparql/sparql11`` of w3c/rdf-tests at commit :data:`SUITE_COMMIT`). :func:`cases` lists the
approved tests of a manifest; the runners answer a query-evaluation test three ways (Oxigraph
directly, kzgraph's public Python API, the server's query path) and :func:`compare` decides
whether an answer is the expected one as the SPARQL test suites do: solutions as a multiset (a
sequence when the query orders them), blank nodes up to a consistent renaming, numeric literals
of the same datatype by value; graphs by isomorphism.

Run ``python -m tests.w3c`` to print the pass counts of each runner.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, Literal

import pyoxigraph as ox

REPO = Path(__file__).resolve().parent.parent
SUITE_COMMIT = "ad541a5f0479f0798608c4801369d97b8e08b36f"
#: The IRI the W3C gives each folder: test data, queries and results are named under it.
W3C_BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"
EVALUATION_FOLDERS = (
    "aggregates",
    "bind",
    "bindings",
    "construct",
    "exists",
    "functions",
    "grouping",
    "negation",
    "project-expression",
    "property-path",
    "subquery",
)
SYNTAX_FOLDER = "syntax-query"

MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
QT = "http://www.w3.org/2001/sw/DataAccess/tests/test-query#"
DAWGT = "http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#"
RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {
    XSD + name
    for name in [
        "integer",
        "decimal",
        "float",
        "double",
        "nonPositiveInteger",
        "negativeInteger",
        "long",
        "int",
        "short",
        "byte",
        "nonNegativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
        "positiveInteger",
    ]
}

Kind = Literal["evaluation", "positive", "negative"]


def suite_root() -> Path | None:
    """The ``sparql11`` folder of the suites, or None when they are not on this machine."""
    configured = os.environ.get("KZGRAPH_W3C")
    top = Path(configured) if configured else REPO.parent / "shared" / "w3c-sparql11"
    for candidate in (top / "sparql" / "sparql11", top):
        if (candidate / SYNTAX_FOLDER / "manifest.ttl").is_file():
            return candidate
    return None


@dataclass(frozen=True)
class Case:
    """One approved test of a manifest."""

    iri: str
    name: str
    folder: str
    kind: Kind
    query: Path
    data: tuple[Path, ...] = ()
    graph_data: tuple[Path, ...] = ()
    result: Path | None = None

    @property
    def id(self) -> str:
        return f"{self.folder}/{self.iri.rsplit('#', 1)[-1]}"

    def text(self) -> str:
        return self.query.read_text(encoding="utf-8")

    def base(self, path: Path) -> str:
        """The IRI the W3C gives a file of this test (what its data and results assume)."""
        return W3C_BASE + self.folder + "/" + path.name


@cache
def cases(folder: str) -> tuple[Case, ...]:
    """The approved tests of ``folder``'s manifest, in its order."""
    from rdflib import Graph, Namespace, URIRef
    from rdflib.collection import Collection

    root = suite_root()
    if root is None:
        return ()
    mf, qt, dawgt = Namespace(MF), Namespace(QT), Namespace(DAWGT)
    manifest = root / folder / "manifest.ttl"
    base = W3C_BASE + folder + "/"
    graph = Graph().parse(manifest, format="turtle", publicID=base + "manifest.ttl")

    def local(node: Any) -> Path:
        return root / folder / str(node).removeprefix(base)

    found = []
    for head in graph.objects(None, mf.entries):
        for entry in Collection(graph, head):
            if (entry, dawgt.approval, dawgt.Approved) not in graph:
                continue
            kinds = {str(t).removeprefix(MF) for t in graph.objects(entry, URIRef(RDF_TYPE))}
            action = graph.value(entry, mf.action)
            if "QueryEvaluationTest" in kinds:
                found.append(
                    Case(
                        iri=str(entry),
                        name=str(graph.value(entry, mf.name)),
                        folder=folder,
                        kind="evaluation",
                        query=local(graph.value(action, qt.query)),
                        data=tuple(sorted(local(d) for d in graph.objects(action, qt.data))),
                        graph_data=tuple(
                            sorted(local(g) for g in graph.objects(action, qt.graphData))
                        ),
                        result=local(graph.value(entry, mf.result)),
                    )
                )
            elif kinds & {"PositiveSyntaxTest11", "NegativeSyntaxTest11"}:
                found.append(
                    Case(
                        iri=str(entry),
                        name=str(graph.value(entry, mf.name)),
                        folder=folder,
                        kind="positive" if "PositiveSyntaxTest11" in kinds else "negative",
                        query=local(action),
                    )
                )
    return tuple(found)


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def evaluation_cases() -> list[Case]:
    """The approved query-evaluation tests of the evaluation folders."""
    return [c for f in EVALUATION_FOLDERS for c in cases(f) if c.kind == "evaluation"]


def syntax_cases() -> list[Case]:
    """The approved syntax tests: syntax-query's, and those of the evaluation folders."""
    return [
        c for f in (SYNTAX_FOLDER, *EVALUATION_FOLDERS) for c in cases(f) if c.kind != "evaluation"
    ]


# -- Answers, in one comparable shape --

#: A term: ("iri", value) | ("bnode", id) | ("literal", lexical, datatype, language) | None.
Term = tuple[str, ...] | None


@dataclass
class Answer:
    """An answer reduced to plain values: solutions (SELECT), a boolean (ASK) or triples."""

    variables: tuple[str, ...] | None = None
    solutions: list[dict[str, Term]] | None = None
    boolean: bool | None = None
    triples: set[tuple[Term, Term, Term]] | None = None


def term_of(term: Any) -> Term:
    """A pyoxigraph or rdflib term as a plain tuple."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return ("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("bnode", term.value)
    if isinstance(term, ox.Literal):
        return ("literal", term.value, term.datatype.value, term.language or "")
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return ("iri", str(term))
    if isinstance(term, BNode):
        return ("bnode", str(term))
    if isinstance(term, Literal):
        datatype = str(term.datatype) if term.datatype else ""
        if not datatype:
            datatype = RDF_LANG_STRING if term.language else XSD + "string"
        return ("literal", str(term), datatype, (term.language or "").lower())
    raise TypeError(f"not an RDF term: {term!r}")


RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def _lowercase_language(term: Term) -> Term:
    if term is not None and term[0] == "literal":
        return (*term[:3], term[3].lower())
    return term


def from_oxigraph(result: Any) -> Answer:
    """An answer from what pyoxigraph returns (a query's result or parsed results)."""
    if isinstance(result, ox.QueryBoolean):
        return Answer(boolean=bool(result))
    if isinstance(result, ox.QuerySolutions):
        names = tuple(v.value for v in result.variables)
        rows = [{name: term_of(solution[name]) for name in names} for solution in result]
        return Answer(variables=names, solutions=rows)
    return Answer(
        triples={(term_of(t.subject), term_of(t.predicate), term_of(t.object)) for t in result}
    )


def from_rdflib_result(result: Any) -> Answer:
    """An answer from what ``graph.query`` returns: rdflib's Result or rows like its rows."""
    form = getattr(result, "type", None)
    if form == "ASK":
        return Answer(boolean=bool(getattr(result, "askAnswer", result)))
    if form in ("CONSTRUCT", "DESCRIBE") or getattr(result, "graph", None) is not None:
        triples = result.graph if getattr(result, "graph", None) is not None else result
        return Answer(triples={tuple(term_of(t) for t in triple) for triple in triples})
    names = tuple(str(v) for v in (getattr(result, "vars", None) or ()))
    rows = []
    for row in result:
        values = tuple(row)
        rows.append({name: term_of(value) for name, value in zip(names, values, strict=True)})
    return Answer(variables=names, solutions=rows)


def read_expected(case: Case) -> Answer:
    """The expected answer of an evaluation test, from its .srx, .srj or RDF file."""
    assert case.result is not None
    suffix = case.result.suffix
    if suffix in (".srx", ".srj"):
        fmt = ox.QueryResultsFormat.XML if suffix == ".srx" else ox.QueryResultsFormat.JSON
        return from_oxigraph(ox.parse_query_results(path=str(case.result), format=fmt))
    triples = _read_rdf(case.result, case.base(case.result))
    if any(p == ("iri", RDF_TYPE) and o == ("iri", RS + "ResultSet") for _s, p, o in triples):
        return _result_set(case)
    return Answer(triples=triples)


RDF_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".rdf": ox.RdfFormat.RDF_XML,
}


def _read_rdf(path: Path, base: str) -> set[tuple[Term, Term, Term]]:
    quads = ox.parse(path=str(path), format=RDF_FORMATS[path.suffix], base_iri=base)
    return {(term_of(q.subject), term_of(q.predicate), term_of(q.object)) for q in quads}


def _result_set(case: Case) -> Answer:
    """A result set written in RDF (the rs: vocabulary of the DAWG tests)."""
    from rdflib import Graph, Namespace, URIRef

    assert case.result is not None
    rs = Namespace(RS)
    graph = Graph().parse(case.result, format="turtle", publicID=case.base(case.result))
    (results,) = graph.subjects(URIRef(RDF_TYPE), rs.ResultSet)
    boolean = graph.value(results, rs.boolean)
    if boolean is not None:
        return Answer(boolean=bool(boolean.toPython()))
    names = tuple(sorted(str(v) for v in graph.objects(results, rs.resultVariable)))
    ordered = []
    for solution in graph.objects(results, rs.solution):
        row: dict[str, Term] = dict.fromkeys(names)
        for binding in graph.objects(solution, rs.binding):
            row[str(graph.value(binding, rs.variable))] = term_of(graph.value(binding, rs.value))
        index = graph.value(solution, rs.index)
        ordered.append((int(index) if index is not None else 0, row))
    return Answer(
        variables=names, solutions=[row for _i, row in sorted(ordered, key=lambda x: x[0])]
    )


# -- Comparing --


def _numeric_value(term: Term) -> Any:
    if term is None or term[0] != "literal" or term[2] not in NUMERIC:
        return None
    text = term[1].strip()
    try:
        if term[2] in (XSD + "float", XSD + "double"):
            return float(text.replace("INF", "inf"))
        return Decimal(text)
    except (ValueError, InvalidOperation):
        return None


def same_term(expected: Term, actual: Term, bnodes: dict[str, str]) -> bool:
    """Whether ``actual`` is ``expected``, extending the blank-node mapping ``bnodes``."""
    expected, actual = _lowercase_language(expected), _lowercase_language(actual)
    if expected is None or actual is None:
        return expected is actual
    if expected[0] == "bnode" or actual[0] == "bnode":
        if expected[0] != actual[0]:
            return False
        mapped = bnodes.get(expected[1])
        if mapped is None:
            if actual[1] in bnodes.values():
                return False
            bnodes[expected[1]] = actual[1]
            return True
        return mapped == actual[1]
    if expected == actual:
        return True
    if expected[0] == actual[0] == "literal" and expected[2] == actual[2]:
        value = _numeric_value(expected)
        return value is not None and value == _numeric_value(actual)
    return False


def _key(row: dict[str, Term]) -> tuple[Any, ...]:
    """A row with blank nodes and numeric spellings blurred, to pair rows up quickly."""
    items = []
    for name in sorted(row):
        term = _lowercase_language(row[name])
        if term is not None and term[0] == "bnode":
            term = ("bnode",)
        elif (value := _numeric_value(term)) is not None:
            canonical = repr(value) if isinstance(value, float) else str(value.normalize())
            term = ("number", term[2] if term else "", canonical)
        items.append((name, term))
    return tuple(items)


def _match_rows(
    expected: Sequence[dict[str, Term]],
    actual: Sequence[dict[str, Term]],
    ordered: bool,
    bnodes: dict[str, str],
) -> bool:
    """Whether the rows correspond one to one (in order if ``ordered``), with one renaming."""
    if len(expected) != len(actual):
        return False
    if Counter(map(_key, expected)) != Counter(map(_key, actual)):
        return False
    if ordered:
        return all(
            all(same_term(e.get(k), a.get(k), bnodes) for k in set(e) | set(a))
            for e, a in zip(expected, actual, strict=True)
        )

    used = [False] * len(actual)

    def place(i: int, mapping: dict[str, str]) -> dict[str, str] | None:
        if i == len(expected):
            return mapping
        want = _key(expected[i])
        for j, row in enumerate(actual):
            if used[j] or _key(row) != want:
                continue
            trial = dict(mapping)
            if all(
                same_term(expected[i].get(k), row.get(k), trial)
                for k in set(row) | set(expected[i])
            ):
                used[j] = True
                done = place(i + 1, trial)
                if done is not None:
                    return done
                used[j] = False
        return None

    return place(0, dict(bnodes)) is not None


#: ORDER BY of the outermost query: after the last closing brace of the text.
_ORDER_BY = re.compile(r"(?is)\border\s+by\b[^{}]*$")


def compare(expected: Answer, actual: Answer, query_text: str) -> str | None:
    """None when ``actual`` is the expected answer; otherwise what differs, in one line."""
    if expected.boolean is not None:
        if actual.boolean is None:
            return "expected a boolean"
        return None if expected.boolean == actual.boolean else f"expected {expected.boolean}"
    if expected.triples is not None:
        if actual.triples is None:
            return "expected a graph"
        if _isomorphic(expected.triples, actual.triples):
            return None
        return f"graphs differ: {len(expected.triples)} triples expected, {len(actual.triples)} got"
    if actual.solutions is None or expected.solutions is None:
        return "expected solutions"
    expected_rows = [_complete(row, expected.variables or ()) for row in expected.solutions]
    actual_rows = [_complete(row, expected.variables or ()) for row in actual.solutions]
    if set(expected.variables or ()) != set(actual.variables or ()):
        wanted, got = sorted(expected.variables or ()), sorted(actual.variables or ())
        return f"variables differ: expected {wanted}, got {got}"
    ordered = bool(_ORDER_BY.search(_strip_comments(query_text)))
    if _match_rows(expected_rows, actual_rows, ordered, {}):
        return None
    if ordered and _match_rows(expected_rows, actual_rows, False, {}):
        return "same solutions in another order"
    if Counter(map(_key, expected_rows)) == Counter(map(_key, actual_rows)):
        return "same solutions but their blank nodes do not correspond one to one"
    return f"solutions differ: expected {len(expected_rows)}, got {len(actual_rows)}"


def _complete(row: dict[str, Term], names: Sequence[str]) -> dict[str, Term]:
    return {name: row.get(name) for name in set(names) | set(row)}


def _strip_comments(text: str) -> str:
    return re.sub(r"(?m)#[^\n>]*$", "", text)


def _isomorphic(a: set[tuple[Term, Term, Term]], b: set[tuple[Term, Term, Term]]) -> bool:
    from rdflib import BNode, Graph, Literal, URIRef
    from rdflib.compare import isomorphic

    def node(term: Term) -> Any:
        assert term is not None
        if term[0] == "iri":
            return URIRef(term[1])
        if term[0] == "bnode":
            return BNode(term[1])
        if term[3]:
            return Literal(term[1], lang=term[3])
        return Literal(term[1], datatype=URIRef(term[2]))

    graphs = []
    for triples in (a, b):
        graph = Graph()
        for triple in triples:
            graph.add(tuple(node(t) for t in triple))  # type: ignore[arg-type]
        graphs.append(graph)
    return isomorphic(graphs[0], graphs[1])


# -- Runners --


def oxigraph_store(case: Case) -> ox.Store:
    """An in-memory Oxigraph store whose default graph is the test's data (not the union)."""
    store = ox.Store()
    for path in case.data:
        store.load(path=str(path), format=RDF_FORMATS[path.suffix], base_iri=case.base(path))
    for path in case.graph_data:
        name = ox.NamedNode(case.base(path))
        store.load(
            path=str(path), format=RDF_FORMATS[path.suffix], base_iri=case.base(path), to_graph=name
        )
    return store


def run_oxigraph(case: Case) -> Answer:
    """Oxigraph directly: the engine's own answer, the reference the others must match."""
    store = oxigraph_store(case)
    return from_oxigraph(store.query(case.text(), base_iri=case.base(case.query)))


def with_base(case: Case) -> str:
    """The query with the BASE its file has in the suite (relative IRIs resolve as there)."""
    return f"BASE <{case.base(case.query)}>\n{case.text()}"


def rdflib_dataset(case: Case) -> Any:
    """An rdflib Dataset whose default graph is the test's data and not the union."""
    from rdflib import Dataset, URIRef

    dataset = Dataset(default_union=False)
    formats = {".ttl": "turtle", ".nt": "nt", ".rdf": "xml"}
    for path in case.data:
        dataset.default_graph.parse(path, format=formats[path.suffix], publicID=case.base(path))
    for path in case.graph_data:
        named = dataset.graph(URIRef(case.base(path)))
        named.parse(path, format=formats[path.suffix], publicID=case.base(path))
    return dataset


def run_api(case: Case) -> Answer:
    """kzgraph's public Python API, ``graph.query(dataset, text)``."""
    import graph

    return from_rdflib_result(graph.query(rdflib_dataset(case), with_base(case)))


@cache
def _store_dir(data: tuple[Path, ...], graph_data: tuple[Path, ...], folder: str) -> Path:
    """An Oxigraph store on disk with this data (made once per data set in a process)."""
    where = Path(tempfile.mkdtemp(prefix="kzgraph-w3c-"))
    atexit.register(shutil.rmtree, where, True)
    probe = Case("", "", folder, "evaluation", Path(), data, graph_data)
    store = ox.Store(str(where))
    source = oxigraph_store(probe)
    store.bulk_extend(source.quads_for_pattern(None, None, None, None))
    store.flush()
    del store
    return where


def server_store(case: Case) -> Any:
    """The store the server opens for this data (``--store oxigraph --location DIR``)."""
    from graph.stores.persistent import OxigraphStore

    return OxigraphStore(_store_dir(case.data, case.graph_data, case.folder))


def server_policy() -> Any:
    """The server's policy, with the suite's files counted as graphs of the dataset."""
    from graph.sparql.guard import Policy

    return Policy(local_graphs=(W3C_BASE,))


def run_server_path(case: Case) -> Answer:
    """The server's query path: the guard, then the store, then the serialisation sent."""
    from graph.serving.operations import run_op

    form, _media, body, _count = run_op(
        server_store(case), server_policy(), "query", (with_base(case), "json", "ntriples", None)
    )
    if form in ("CONSTRUCT", "DESCRIBE"):
        quads = ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
        return Answer(
            triples={(term_of(q.subject), term_of(q.predicate), term_of(q.object)) for q in quads}
        )
    return from_oxigraph(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))


RUNNERS = {"oxigraph": run_oxigraph, "api": run_api, "server": run_server_path}


def outcome(case: Case, runner: str) -> str | None:
    """None if ``runner`` answers ``case`` as expected, else why not (one line)."""
    try:
        actual = RUNNERS[runner](case)
    except Exception as exc:  # the engine's or kzgraph's error is the outcome
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
    return compare(read_expected(case), actual, case.text())


def main(argv: Sequence[str] = ()) -> int:
    """Print the pass count of each runner, and the tests each fails."""
    names = list(argv) or list(RUNNERS)
    all_cases = evaluation_cases()
    if not all_cases:
        print("W3C suites not found (set KZGRAPH_W3C)")
        return 2
    for name in names:
        failed = [(case, why) for case in all_cases if (why := outcome(case, name)) is not None]
        print(f"{name}: {len(all_cases) - len(failed)}/{len(all_cases)} passed")
        for case, why in failed:
            print(f"  {case.id}: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
