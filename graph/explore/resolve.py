"""Find an entity by IRI, prefixed name or label: the one rule behind ``view --focus``,
``paths`` and the notebooks.

Tried in order, the first rule that matches anything decides: an IRI (bare or in ``<>``), a
prefixed name (``kzr:igor-rogov``), a label or alternative label (case and spacing ignored),
a bare slug (``igor-rogov``), a label that starts with the text, then a label holding every
word of it. Several matches under one rule is an :class:`AmbiguousEntityError` error listing them;
none at all is an :class:`UnknownEntityError` error with the closest labels as suggestions.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from graph.errors import InputError

if TYPE_CHECKING:
    import networkx as nx

#: How many candidates an error message lists.
SHOWN = 8


class UnknownEntityError(InputError):
    """No entity matches the name."""

    def __init__(self, message: str, suggestions: list[str]) -> None:
        self.suggestions = suggestions
        super().__init__(message)


class AmbiguousEntityError(InputError):
    """Several entities match the name equally well."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        self.candidates = candidates
        super().__init__(message)


def normalise(text: str) -> str:
    """``text`` as matching compares it: case folded, curly apostrophes straight, spaces single."""
    return " ".join(text.casefold().replace("’", "'").split())


def words(text: str) -> set[str]:
    """The words of ``text``, normalised."""
    return set(re.findall(r"\w+", normalise(text)))


_norm = normalise
_words = words


def _names(data: dict[str, Any]) -> list[str]:
    return [data.get("label") or "", *data.get("alt_labels", [])]


def describe(graph: nx.MultiDiGraph, node: str) -> str:
    """``Label (kzr:name)``: how messages and listings name an entity."""
    data = graph.nodes[node]
    return f"{data.get('label', node)} ({data.get('name', node)})"


def _entities(graph: nx.MultiDiGraph) -> Iterable[tuple[str, dict[str, Any]]]:
    return ((n, d) for n, d in graph.nodes(data=True) if not d.get("literal"))


def candidates(graph: nx.MultiDiGraph, name: str) -> list[str]:
    """The entities ``name`` matches under the first rule that matches any (see module)."""
    text = name.strip()
    if not text:
        return []
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
        return [text] if text in graph else []
    if re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE):
        return [text] if text in graph else []
    prefixes: dict[str, str] = graph.graph.get("prefixes", {})
    match = re.fullmatch(r"([A-Za-z][\w.-]*)?:([\w.-]*)", text)
    if match and (match.group(1) or "") in prefixes:
        iri = prefixes[match.group(1) or ""] + match.group(2)
        return [iri] if iri in graph else []

    wanted = _norm(text)
    entities = list(_entities(graph))
    rules = (
        lambda d: any(_norm(n) == wanted for n in _names(d)),
        None,  # the slug rule, below
        lambda d: any(_norm(n).startswith(wanted) for n in _names(d)),
        lambda d: any(_words(text) <= _words(n) for n in _names(d)),
    )
    for rule in rules:
        if rule is None:
            slug = [n for n, d in entities if str(d.get("name", "")).split(":", 1)[-1] == text]
            if slug:
                return sorted(slug)
            continue
        found = [n for n, d in entities if rule(d)]
        if found:
            return sorted(found, key=lambda n: (len(graph.nodes[n].get("label", "")), n))
    return []


def resolve(graph: nx.MultiDiGraph, name: str) -> str:
    """The node of the one entity ``name`` refers to.

    Raises:
        UnknownEntityError: nothing matches; the message suggests the closest labels.
        AmbiguousEntityError: several entities match; the message lists them.
    """
    found = candidates(graph, name)
    if len(found) == 1:
        return found[0]
    if found:
        listed = "; ".join(describe(graph, n) for n in found[:SHOWN])
        more = f"; and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
        raise AmbiguousEntityError(
            f"{name!r} matches {len(found)} entities: {listed}{more}. "
            "Give the full label, the prefixed name or the IRI",
            found,
        )
    suggestions = closest(graph, name)
    hint = (
        "; did you mean: " + "; ".join(describe(graph, n) for n in suggestions) + "?"
        if suggestions
        else "; give a label, a prefixed name such as kzr:igor-rogov, or an IRI"
    )
    raise UnknownEntityError(f"no entity matches {name!r}{hint}", suggestions)


def closest(graph: nx.MultiDiGraph, name: str) -> list[str]:
    """Entities whose label, or a run of words in it as long as ``name``, is spelt closest."""
    wanted = _norm(name)
    size = max(1, len(wanted.split()))
    scored: list[tuple[float, int, str]] = []
    for node, data in _entities(graph):
        best = 0.0
        for label in _names(data):
            words = _norm(label).split()
            pieces = [_norm(label)] + [
                " ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1))
            ]
            for piece in pieces:
                best = max(best, difflib.SequenceMatcher(None, wanted, piece).ratio())
        if best >= 0.75:
            scored.append((-best, len(data.get("label", "")), node))
    return [node for _b, _n, node in sorted(scored)[:SHOWN]]
