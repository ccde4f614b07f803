"""Serialise the dataset, deterministically: the same inputs give byte-identical outputs.

Formats sit behind one small interface (:data:`FORMATS`: name -> :class:`Format`), as rdflib's
plugin registry does. ``nquads``, ``trig`` and ``jsonld`` keep every named graph; ``turtle`` and
``ntriples`` write the merged union. Oxigraph's writers write every format, from the dataset's
quads converted once and sorted, so the order is canonical: N-Triples/N-Quads statements are
one per line and sorted; TriG graphs and Turtle subjects come in sorted order, each subject's
statements grouped; JSON-LD arrays are sorted.

N-Triples and N-Quads escape every control character, U+0085, U+2028 and U+2029 as ``\\uXXXX``
(canonical N-Triples' rule, widened): each statement is then one line for every line-based tool,
whatever the literals hold.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rdflib import Dataset
from rdflib.plugins.serializers.nt import _nt_row
from rdflib.term import Node

from graph.atomic import write_file
from graph.errors import InputError
from graph.inputs.reading import quads
from graph.namespaces import prefixes_for

Writer = Callable[[Dataset, Mapping[str, str]], bytes]


@dataclass(frozen=True)
class Format:
    """An output format: its name, file extension, media type and writer."""

    name: str
    extension: str
    media_type: str
    writer: Writer


#: Characters a line-based reader may split on or a terminal may obey, as N-Triples UCHARs
#: (``\\t``, ``\\n``, ``\\r``, ``"`` and ``\\`` are escaped by rdflib already).
_LINE_SAFE = {
    c: f"\\u{c:04X}"
    for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x85, 0x2028, 0x2029]
}


def _sorted_statements(rows: Iterable[str]) -> bytes:
    """One line per statement (rdflib's writer for a single statement), sorted, no duplicates.

    Sorting the statements themselves, never lines split out of a serialised text: a literal
    may hold characters that ``str.splitlines`` takes for line ends (U+2028, U+0085, \\v, ...).
    """
    lines = sorted({row.translate(_LINE_SAFE) for row in rows})
    return "".join(lines).encode("utf-8")


def ntriples_lines(triples: Iterable[tuple[Node, Node, Node]]) -> bytes:
    """Sorted N-Triples for ``triples`` (deterministic bodies, one statement per line)."""
    return _sorted_statements(_nt_row(triple) for triple in triples)


def _oxigraph_lines(ds: Dataset, merged: bool) -> bytes:
    """N-Quads (or, merged, N-Triples) by Oxigraph's writer, one statement per line, sorted.

    Oxigraph escapes line feeds and carriage returns inside literals, so its text is split on
    LF alone (never with ``str.splitlines``) before the line-safe escapes and the sort.
    """
    import pyoxigraph as ox

    found = _oxigraph_quads(ds, merged)
    if merged:
        text = ox.serialize([q.triple for q in found], format=ox.RdfFormat.N_TRIPLES)
    else:
        text = ox.serialize(found, format=ox.RdfFormat.N_QUADS)
    return _sorted_statements(
        line + "\n" for line in (text or b"").decode("utf-8").split("\n") if line
    )


def write_nquads(ds: Dataset, prefixes: Mapping[str, str]) -> bytes:
    return _oxigraph_lines(ds, merged=False)


def write_ntriples(ds: Dataset, prefixes: Mapping[str, str]) -> bytes:
    return _oxigraph_lines(ds, merged=True)


#: The dataset last converted for Oxigraph's writers (held weakly), with its size when
#: converted and both forms: a build writes several formats of one dataset from one conversion.
_CONVERTED: dict[str, Any] = {"ds": None, "size": -1, "forms": {}}


def _oxigraph_quads(ds: Dataset, merged: bool) -> list[Any]:
    """The quads of the named graphs as Oxigraph quads, sorted (the merge of their triples,
    each once, in the default graph when ``merged``): a canonical order for Oxigraph's
    writers, which group what is adjacent."""
    import weakref

    size = len(ds)
    held = _CONVERTED["ds"]
    if held is None or held() is not ds or _CONVERTED["size"] != size:
        _CONVERTED.update(ds=weakref.ref(ds), size=size, forms={})
    forms: dict[bool, list[Any]] = _CONVERTED["forms"]
    if merged not in forms:
        forms[merged] = _convert_for_oxigraph(ds, merged)
    return forms[merged]


def _convert_for_oxigraph(ds: Dataset, merged: bool) -> list[Any]:
    import pyoxigraph as ox

    from graph.inputs.convert import RdflibToOxigraph

    convert = RdflibToOxigraph()
    if merged:
        triples = {(s, p, o) for s, p, o, _g in quads(ds)}
        found = [ox.Quad(convert(s), convert(p), convert(o)) for s, p, o in triples]
    else:
        found = [
            ox.Quad(convert(s), convert(p), convert(o), convert(g)) for s, p, o, g in quads(ds)
        ]
    return sorted(
        found, key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object))
    )


def _oxigraph_text(ds: Dataset, prefixes: Mapping[str, str], trig: bool) -> bytes:
    import pyoxigraph as ox

    data = ox.serialize(
        _oxigraph_quads(ds, merged=not trig),
        format=ox.RdfFormat.TRIG if trig else ox.RdfFormat.TURTLE,
        prefixes=dict(sorted(prefixes.items())),
    )
    return data or b""


def write_turtle(ds: Dataset, prefixes: Mapping[str, str]) -> bytes:
    """The merge of the named graphs as Turtle, by Oxigraph's writer (subjects grouped)."""
    return _oxigraph_text(ds, prefixes, trig=False)


def write_trig(ds: Dataset, prefixes: Mapping[str, str]) -> bytes:
    """Every named graph as TriG, in sorted order, by Oxigraph's writer."""
    return _oxigraph_text(ds, prefixes, trig=True)


def jsonld_context(prefixes: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The JSON-LD context: one term per canonical prefix."""
    return {"@context": dict(sorted((prefixes or prefixes_for()).items()))}


def _canonical_json(value: Any, key: str | None = None) -> Any:
    """Sort every JSON-LD array except ordered ``@list`` values; objects keep sorted keys."""
    if isinstance(value, dict):
        return {k: _canonical_json(v, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [_canonical_json(v) for v in value]
        if key == "@list":
            return items
        return sorted(items, key=_sort_key)
    return value


def _sort_key(value: Any) -> tuple[str, str]:
    """Nodes by ``@id`` first (so graphs and subjects read in order), then by their content."""
    node_id = value.get("@id", "") if isinstance(value, dict) else ""
    return str(node_id), json.dumps(value, sort_keys=True, ensure_ascii=False)


def write_jsonld(ds: Dataset, prefixes: Mapping[str, str]) -> bytes:
    """Every named graph as JSON-LD under the canonical context.

    Oxigraph writes the expanded form (every IRI in full); its IRIs are then written as compact
    IRIs of the context's prefixes (JSON-LD 1.1, 4.1.5: each prefix ends with ``/`` or ``#``,
    so it acts as one), and every array is sorted.
    """
    import pyoxigraph as ox

    context = jsonld_context(prefixes)["@context"]
    expanded = ox.serialize(_oxigraph_quads(ds, merged=False), format=ox.RdfFormat.JSON_LD)
    compact = _JsonLdCompactor(context)
    graphs = [compact.node(item) for item in json.loads(expanded or b"[]")]
    data = {"@context": context, "@graph": _canonical_json(graphs)}
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


class _JsonLdCompactor:
    """IRIs of expanded JSON-LD as compact IRIs (``kzr:igor-rogov``) of a prefix context."""

    def __init__(self, context: Mapping[str, str]) -> None:
        self.by_length = sorted(context.items(), key=lambda kv: -len(kv[1]))

    def iri(self, iri: str) -> str:
        for prefix, ns in self.by_length:
            if iri.startswith(ns) and len(iri) > len(ns):
                local = iri[len(ns) :]
                if not local.startswith("//"):  # would read as an IRI with an authority
                    return f"{prefix}:{local}"
        return iri

    def node(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.node(v) for v in value]
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "@id" and isinstance(item, str) and not item.startswith("_:"):
                out[key] = self.iri(item)
            elif key == "@type":
                out[key] = [self.iri(t) for t in item] if isinstance(item, list) else self.iri(item)
            elif key.startswith("@"):
                out[key] = self.node(item)
            else:
                out[self.iri(key)] = self.node(item)
        return out


FORMATS: dict[str, Format] = {
    "nquads": Format("nquads", "nq", "application/n-quads", write_nquads),
    "trig": Format("trig", "trig", "application/trig", write_trig),
    "turtle": Format("turtle", "ttl", "text/turtle", write_turtle),
    "ntriples": Format("ntriples", "nt", "application/n-triples", write_ntriples),
    "jsonld": Format("jsonld", "jsonld", "application/ld+json", write_jsonld),
}


def export(
    ds: Dataset,
    format: str = "trig",
    destination: str | os.PathLike[str] | None = None,
    prefixes: Mapping[str, str] | None = None,
) -> bytes:
    """Serialise ``ds`` in ``format`` (a key of :data:`FORMATS`) and return the bytes.

    Args:
        ds: the dataset.
        format: ``nquads``, ``trig``, ``turtle``, ``ntriples`` or ``jsonld``.
        destination: when given, also write the bytes there atomically.
        prefixes: prefix map to bind; default the canonical one.
    """
    try:
        chosen = FORMATS[format]
    except KeyError:
        raise InputError(f"unknown format {format!r} (choose from {', '.join(FORMATS)})") from None
    data = chosen.writer(ds, prefixes if prefixes is not None else prefixes_for())
    if destination is not None:
        write_atomic(destination, data)
    return data


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path``: never half a file (see :func:`graph.atomic.write_file`)."""
    write_file(path, data)
