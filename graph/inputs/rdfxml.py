"""RDF/XML's internal entities, bounded before any parser expands them.

RDF/XML may declare entities in its DOCTYPE; OWL files often do (``<!ENTITY owl
"http://www.w3.org/2002/07/owl#">``, used as ``&owl;Class``). Nested, they grow exponentially
(the "billion laughs" document): 1.2 KB that expand to gigabytes take Oxigraph's parser out of
memory and keep rdflib's busy for minutes. :func:`check_entities` reads the DOCTYPE before any
parser sees the document and refuses an entity whose full expansion exceeds
:data:`MAX_EXPANSION` characters, a cycle, an external or parameter entity, or a declaration it
cannot read. Without nesting, each reference then expands at most a bounded amount, so what a
parser builds stays proportional to the file.
"""

from __future__ import annotations

import os
import re

from graph.errors import InputError

#: The most characters one entity reference may expand to (namespace IRIs need < 200).
MAX_EXPANSION = 10_000
#: How much of the document is read for its DOCTYPE.
MAX_PROLOG = 1 << 20

_DOCTYPE = re.compile(rb"<!DOCTYPE\b")
_DECLARATION = re.compile(
    r"<!ENTITY\s+(?P<pe>%\s+)?(?P<name>[^\s\"'>%]+)\s+"
    r"(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<external>SYSTEM|PUBLIC)\b)"
)
_REFERENCE = re.compile(r"&([A-Za-z_:][\w.:-]*);")
_PREDEFINED = {"lt", "gt", "amp", "apos", "quot"}


def check_entities(head: bytes, source: str | os.PathLike[str]) -> None:
    """Refuse RDF/XML whose DOCTYPE declares entities a parser could not expand safely.

    Args:
        head: the first :data:`MAX_PROLOG` bytes of the document (or all of it).
        source: the file, for the error message.

    Raises:
        InputError: naming the file, the declaration's line and the problem.
    """
    found = _DOCTYPE.search(head)
    if found is None:
        return
    start = found.start()
    text = head[start:].decode("utf-8", "replace")
    opening = re.match(r"<!DOCTYPE\s+[^\s\[>]+[^\[>]*(\[|>)", text)
    if opening is None or opening.group(1) == ">":
        return  # no internal subset: nothing declared here
    end = re.search(r"\]\s*>", text)
    if end is None:
        raise InputError(
            f"RDF/XML DOCTYPE longer than {MAX_PROLOG} bytes or unterminated; refused",
            source,
            _line(head, start),
        )
    subset = text[opening.end() : end.start()]
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    declared = 0
    for match in _DECLARATION.finditer(subset):
        declared += 1
        name = match.group("name")
        line = _line(head, start) + text.count("\n", 0, opening.end() + match.start())
        if match.group("pe"):
            raise InputError(f"RDF/XML parameter entity %{name}; is not supported", source, line)
        if match.group("external"):
            raise InputError(
                f"RDF/XML external entity &{name}; is not supported (declare its text inline)",
                source,
                line,
            )
        value = match.group("dq") if match.group("dq") is not None else match.group("sq")
        values.setdefault(name, value)  # XML: the first declaration binds
        lines.setdefault(name, line)
    if subset.count("<!ENTITY") != declared:
        raise InputError(
            "RDF/XML entity declaration that kzgraph cannot read; refused",
            source,
            _line(head, start),
        )
    sizes: dict[str, int] = {}
    for name in values:
        try:
            size = _expansion(name, values, sizes, ())
        except RecursionError:
            raise InputError(
                f"RDF/XML entity &{name}; is nested too deeply; refused", source, lines[name]
            ) from None
        except ValueError as exc:
            raise InputError(str(exc), source, lines[name]) from None
        if size > MAX_EXPANSION:
            raise InputError(
                f"RDF/XML entity &{name}; expands to more than {MAX_EXPANSION:,} characters"
                " (nested entities, the 'billion laughs' pattern); refused",
                source,
                lines[name],
            )


def _expansion(
    name: str, values: dict[str, str], sizes: dict[str, int], path: tuple[str, ...]
) -> int:
    """Characters ``&name;`` expands to, stopping early once past the limit."""
    if name in sizes:
        return sizes[name]
    if name in path:
        cycle = " -> ".join(f"&{n};" for n in (*path, name))
        raise ValueError(f"RDF/XML entity &{name}; refers to itself ({cycle}); refused")
    value = values[name]
    total = len(_REFERENCE.sub("", value))
    for ref in _REFERENCE.findall(value):
        if ref in _PREDEFINED or ref not in values:
            total += 1
        else:
            total += _expansion(ref, values, sizes, (*path, name))
        if total > MAX_EXPANSION:
            break
    sizes[name] = total
    return total


def _line(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1
