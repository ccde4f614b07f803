"""SHACL validation plus the ODK-style quality checks, with a report a person can read.

pySHACL runs over one merged graph: the union of the ontology and all data graphs. The ontology
is in it, so ``rdfs:subClassOf`` lets ``sh:targetClass`` and ``sh:class`` reach subclasses by
SHACL's own definition of "instance" (SHACL 1.0, 3.2). That is why ``inference="none"``: RDFS
materialisation would add nothing that targeting needs, and it would also type nodes through
``rdfs:domain``/``rdfs:range``, making shapes fire on nodes the data never typed (and is slower).

The quality checks are ``ontology/checks/*-violation.rq`` SELECT queries that must return no
rows; Oxigraph runs them over the dataset (default graph = union) and they should project
``?graph``, ``?subject`` and ``?problem``.

The evidence checks (:func:`graph.inputs.evidence.verify_evidence`) re-read every registered source
text
and every quote at its offsets when ``source_dirs`` is given (``kzgraph validate`` and
``kzgraph build`` always give it): a missing source text is a failure, never a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from graph.errors import InputError
from graph.inputs.locations import resolve_dir
from graph.inputs.reading import parse_file, quads
from graph.namespaces import bind_prefixes
from graph.sparql.catalogue import read_query
from graph.stores.querying import query

CHECK_SUFFIX = "-violation.rq"


@dataclass(frozen=True)
class CheckFailure:
    """A quality check that returned rows: its name, title and one readable line per row."""

    name: str
    title: str
    rows: list[str]


@dataclass(frozen=True)
class ValidationResult:
    """What :func:`validate` found. ``conforms`` is false on any SHACL violation or check row."""

    conforms: bool
    report_graph: Graph
    report_text: str
    shacl_results: list[str] = field(default_factory=list)
    check_failures: list[CheckFailure] = field(default_factory=list)
    evidence_problems: list[str] = field(default_factory=list)
    #: source texts not found (allowed by ``allow_missing_texts``): their quotes went unchecked
    unchecked_texts: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[Any]:
        """Unpack as ``conforms, report_graph, report_text`` like pySHACL's tuple."""
        return iter((self.conforms, self.report_graph, self.report_text))


def default_shapes_path(ontology_dir: str | os.PathLike[str] | None = None) -> Path:
    """``ontology/shapes.ttl`` of the resolved ontology directory."""
    return resolve_dir("ontology", ontology_dir) / "shapes.ttl"


def merged_graph(ds: Dataset) -> Graph:
    """All triples of all named graphs in one plain Graph, with our prefixes bound."""
    merged = bind_prefixes(Graph())
    for s, p, o, _g in quads(ds):
        merged.add((s, p, o))
    return merged


def validate(
    ds: Dataset,
    shapes_path: str | os.PathLike[str] | None = None,
    checks_dir: str | os.PathLike[str] | None = None,
    source_dirs: Sequence[str | os.PathLike[str]] | None = None,
    allow_missing_texts: bool = False,
) -> ValidationResult:
    """Validate ``ds`` against the SHACL shapes and run the quality checks.

    Args:
        ds: the loaded dataset.
        shapes_path: the shapes file; default ``ontology/shapes.ttl`` per
        :mod:`graph.inputs.locations`.
        checks_dir: the ``*-violation.rq`` directory; default ``ontology/checks``. A missing
            directory means no checks.
        source_dirs: the folders holding the registered source texts (see
            :func:`graph.inputs.locations.source_dirs`); when given, the evidence checks run too.
        allow_missing_texts: a source text that is not found is reported (its quotes were not
            checked) instead of failing: for a copy of the project without the articles, which
            kzgraph cites but does not redistribute. A text that is found must still match.
    """
    shapes_file = Path(shapes_path) if shapes_path is not None else default_shapes_path()
    folder = Path(checks_dir) if checks_dir is not None else shapes_file.parent / "checks"
    if not shapes_file.is_file():
        raise InputError("no such shapes file", shapes_file)
    shapes = bind_prefixes(Graph())
    parse_file(shapes, shapes_file, "turtle")
    data = merged_graph(ds)

    from pyshacl import validate as shacl_validate  # heavy: import only when validating

    conforms, report_graph, _text = shacl_validate(
        data,
        shacl_graph=shapes,
        inference="none",
        abort_on_first=False,
        allow_warnings=True,
        meta_shacl=False,
        advanced=True,
    )
    assert isinstance(report_graph, Graph)
    bind_prefixes(report_graph)
    shacl_results = describe_results(report_graph, shapes, data)
    failures = run_checks(ds, folder)
    evidence = None
    unchecked: list[str] = []
    if source_dirs is not None:
        from graph.inputs.evidence import verify_evidence

        found = verify_evidence(ds, [Path(d) for d in source_dirs])
        evidence = sorted(
            f"{short(ds, p.assertion)}: {p.message}"
            for p in found
            if not (allow_missing_texts and p.missing_text)
        )
        unchecked = sorted(
            f"{short(ds, p.assertion)}: {p.message}"
            for p in found
            if allow_missing_texts and p.missing_text
        )
    ok = bool(conforms) and not failures and not evidence
    return ValidationResult(
        conforms=ok,
        report_graph=report_graph,
        report_text=format_report(ok, shacl_results, failures, shapes_file, evidence, unchecked),
        shacl_results=shacl_results,
        check_failures=failures,
        evidence_problems=evidence or [],
        unchecked_texts=unchecked,
    )


def run_checks(ds: Dataset, checks_dir: Path) -> list[CheckFailure]:
    """Run every ``*-violation.rq`` in ``checks_dir``; return those that found rows."""
    from graph.stores.memory import MemoryStore

    failures: list[CheckFailure] = []
    if not checks_dir.is_dir():
        return failures
    paths = sorted(checks_dir.glob("*" + CHECK_SUFFIX))
    if not paths:
        return failures
    store = MemoryStore(ds)  # one copy into Oxigraph for every check
    for path in paths:
        check = read_query(path)
        try:
            result = query(store, check.text)
            rows = [_format_row(ds, row.asdict()) for row in result]
        except InputError as exc:
            raise InputError(exc.message, path) from None
        if rows:
            failures.append(CheckFailure(check.name, check.title or check.name, sorted(rows)))
    return failures


def _format_row(ds: Dataset, row: dict[str, Node]) -> str:
    graph, subject, problem = row.get("graph"), row.get("subject"), row.get("problem")
    if problem is None:  # a check that does not follow the ?graph ?subject ?problem convention
        return ", ".join(f"{k}={short(ds, v)}" for k, v in sorted(row.items()))
    where = []
    if graph is not None:
        where.append(f"graph {short(ds, graph)}")
    if subject is not None:
        where.append(f"subject {short(ds, subject)}")
    return f"{', '.join(where)}: {problem}" if where else str(problem)


def short(graph: Graph, term: Node | None) -> str:
    """A term as a person reads it: prefixed name where a prefix fits, else N3."""
    if term is None:
        return "-"
    if isinstance(term, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(term)
        except Exception:
            return term.n3()
    if isinstance(term, Literal):
        text = str(term)
        shown = text if len(text) <= 60 else text[:57] + "..."
        suffix = (
            f"^^{short(graph, term.datatype)}"
            if term.datatype
            else (f"@{term.language}" if term.language else "")
        )
        return f'"{shown}"{suffix}'
    return term.n3()


def describe_results(report: Graph, shapes: Graph, data: Graph) -> list[str]:
    """One readable line per SHACL result: severity, focus node, path, message, value, shape."""
    lines = []
    bind_prefixes(shapes)
    for result in report.subjects(RDF.type, SH.ValidationResult):
        severity = report.value(result, SH.resultSeverity)
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        value = report.value(result, SH.value)
        messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
        shape = report.value(result, SH.sourceShape)
        constraint = report.value(result, SH.sourceConstraintComponent)
        parts = [
            f"[{short(report, severity).removeprefix('sh:')}]",
            short(data, focus),
        ]
        if path is not None:
            parts.append(_path_text(report, path))
        text = " ".join(parts) + ": " + ("; ".join(messages) or short(report, constraint))
        if value is not None and value != focus:
            text += f" (value {short(data, value)})"
        text += f" [shape {_shape_name(shapes, shape)}]"
        lines.append(text)
    return sorted(lines)


def _path_text(graph: Graph, path: Node) -> str:
    if isinstance(path, BNode):
        inverse = graph.value(path, SH.inversePath)
        if inverse is not None:
            return "^" + short(graph, inverse)
        return "(complex path)"
    return short(graph, path)


def _shape_name(shapes: Graph, shape: Node | None) -> str:
    """Name a shape; an anonymous property shape is named by its node shape and path."""
    if shape is None:
        return "-"
    if not isinstance(shape, BNode):
        return short(shapes, shape)
    parent = next(shapes.subjects(SH.property, shape), None)
    path = shapes.value(shape, SH.path)
    path_text = f" {_path_text(shapes, path)}" if path is not None else ""
    if parent is not None:
        return f"{_shape_name(shapes, parent)}{path_text}"
    return f"(anonymous){path_text}"


def format_report(
    conforms: bool,
    shacl_results: list[str],
    failures: list[CheckFailure],
    shapes_file: Path,
    evidence: list[str] | None = None,
    unchecked: list[str] | None = None,
) -> str:
    """The whole report as text, stable across runs (sorted, no timestamps).

    ``evidence``: the evidence problems, or None when the evidence checks did not run;
    ``unchecked``: the source texts not found, whose quotes were therefore not checked.
    """
    rows = sum(len(f.rows) for f in failures)
    counts = f"{len(shacl_results)} SHACL result(s), {rows} quality-check row(s)"
    if evidence:
        counts += f", {len(evidence)} evidence problem(s)"
    lines = [
        "Validation: " + ("conforms" if conforms else f"FAILED ({counts})"),
        f"Shapes: {shapes_file.name}",
        "",
    ]
    lines.append(f"SHACL results ({len(shacl_results)}):")
    lines.extend(f"  {line}" for line in shacl_results)
    if not shacl_results:
        lines.append("  none")
    lines.append("")
    lines.append(f"Quality checks ({len(failures)} failed):")
    for failure in failures:
        lines.append(f"  {failure.name}: {failure.title}")
        lines.extend(f"    {row}" for row in failure.rows)
    if not failures:
        lines.append("  none")
    if evidence is not None:
        lines.append("")
        lines.append(f"Evidence checks ({len(evidence)} problem(s)):")
        lines.extend(f"  {line}" for line in evidence)
        if not evidence and not unchecked:
            lines.append("  none: every source text is present and every quote is exact")
        elif not evidence:
            lines.append("  none among the source texts found")
        if unchecked:
            lines.append("")
            lines.append(
                f"NOT CHECKED ({len(unchecked)} source text(s) not found, allowed with"
                " --without-source-texts): their quotes were not compared with them"
            )
            lines.extend(f"  {line}" for line in unchecked)
    return "\n".join(lines) + "\n"
