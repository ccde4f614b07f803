"""SPARQL syntax errors as one readable line: where (line, column) and what (the token).

Oxigraph's parser reports the furthest point its grammar reached and every rule it would have
accepted there (a grammar dump, sometimes a Unicode range table); pyparsing, under rdflib, names
the grammar rule that failed. Users need neither: they need the line, the column and the word
that is wrong. :func:`query_syntax_error` turns either error into a
:class:`~graph.sparql.results.QuerySyntaxError` saying ``bad SPARQL at line 2, column 5: unexpected
'WHERE'``, adding what was expected only when that is short and in SPARQL's own words.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from graph.sparql.results import QuerySyntaxError

#: rdflib's SPARQL grammar is one pyparsing object shared by the process, and pyparsing is not
#: thread-safe: a server process (graph.serving.processes) parses on several threads.
PARSER_LOCK = threading.Lock()

_OXIGRAPH = re.compile(r"error at (\d+):(\d+): (.*)", re.S)
#: A token as a user sees it: a word (keyword, prefixed name, variable, number), a quoted
#: string, an IRI, or one other character.
_TOKEN = re.compile(
    r"""[?$]?[\w:.%\\-]*[\w:%\\]|"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|<[^<>\s]*>?|\S"""
)
#: Items of Oxigraph's "expected" list worth showing: keywords and quoted punctuation.
_READABLE = re.compile(r'[A-Za-z][A-Za-z_]*|"[^"]{1,3}"')
_SHOWN_EXPECTED = 6
_SHOWN_TOKEN = 30


def _offset(text: str, line: int, column: int) -> int:
    """The character offset of a 1-based line and column, clamped to the text."""
    lines = text.split("\n")
    if line > len(lines):
        return len(text)
    start = sum(len(before) + 1 for before in lines[: line - 1])
    return min(start + max(column - 1, 0), start + len(lines[line - 1]), len(text))


def _position(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _token_at(text: str, offset: int) -> tuple[int, str] | None:
    """The token that covers ``offset`` (or the last one before it), with its offset."""
    found = None
    for match in _TOKEN.finditer(text):
        if match.start() > offset:
            break
        found = match
        if match.end() > offset:
            break
    if found is None:
        return None
    return found.start(), found.group()


def _quote(token: str) -> str:
    """A token for a one-line message: shortened, with control characters made visible."""
    short = token if len(token) <= _SHOWN_TOKEN else token[: _SHOWN_TOKEN - 1] + "…"
    visible = "".join(c if c.isprintable() else f"\\u{ord(c):04X}" for c in short)
    return "'" + visible.replace("'", "\\'") + "'"


def _located(text: str, offset: int, detail: str = "") -> QuerySyntaxError:
    """The error at ``offset``: the token found there, or the end of the query."""
    token = _token_at(text, offset) if offset < len(text.rstrip()) else None
    if token is None:
        line, column = _position(text, len(text.rstrip()))
        what = "unexpected end of query"
    else:
        line, column = _position(text, token[0])
        what = f"unexpected {_quote(token[1])}"
    return QuerySyntaxError(f"bad SPARQL at line {line}, column {column}: {what}{detail}")


def _expected(listed: str) -> str:
    """Oxigraph's "expected ..." made short: its sentences, or a few keywords, or nothing."""
    items = [item.strip() for item in re.split(r",\s*(?![^\[]*\])", listed.replace("\n", " "))]
    sentences = [item for item in items if " " in item and not item.startswith("[")]
    if sentences:  # a rule's own message, e.g. "The SELECT contains a variable that is unbound"
        first = sentences[0]
        return first[0].lower() + first[1:] if first[1:2].islower() else first
    readable = [item for item in items if _READABLE.fullmatch(item)]
    if not readable or len(readable) > _SHOWN_EXPECTED:
        return ""
    return "expected " + " or ".join(readable)


def _rdflib_error(text: str, update: bool) -> Any:
    """rdflib's parse error for ``text``, or None when rdflib parses it."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    try:
        with PARSER_LOCK:
            (parseUpdate if update else parseQuery)(text)
    except ParseBaseException as exc:
        return exc
    except RecursionError:
        return None
    return None


def rdflib_location(text: str, update: bool = False) -> QuerySyntaxError | None:
    """rdflib's reading of a text another parser refused: where and what, or None if rdflib
    parses it (a remote endpoint's or Oxigraph's rule that rdflib does not check)."""
    rdflib_exc = _rdflib_error(text, update)
    return None if rdflib_exc is None else _located(text, rdflib_exc.loc)


def query_syntax_error(exc: BaseException, text: str, update: bool = False) -> QuerySyntaxError:
    """One line for a parser's error on ``text``: Oxigraph's ``SyntaxError`` or pyparsing's.

    Oxigraph's position is where its grammar gave up, often past the mistake; when rdflib's
    parser also refuses the text, its position (the token it could not read) is the one shown.
    Errors only Oxigraph finds (an unbound variable in SELECT with GROUP BY, a variable bound
    twice) keep Oxigraph's position and message.

    Args:
        exc: ``SyntaxError`` from pyoxigraph, or a pyparsing ``ParseBaseException``.
        text: the query or update that was parsed (the one the engine ran).
        update: ``text`` is a SPARQL Update rather than a query.
    """
    if isinstance(exc, SyntaxError) and (found := _OXIGRAPH.match(str(exc))):
        located = rdflib_location(text, update)
        if located is not None:
            return located
        line, column, listed = int(found.group(1)), int(found.group(2)), found.group(3)
        if "Prefix not found" in listed:
            name = re.search(
                r"([^\s{}();,.<>\"'^]*):[^\s{}();,<>\"'^]*$", text[: _offset(text, line, column)]
            )
            prefix = f" {name.group(1)}:" if name else ""
            return QuerySyntaxError(
                f"bad SPARQL at line {line}, column {column}: undeclared prefix{prefix}"
                " (add a PREFIX line for it)"
            )
        expected = _expected(listed.removeprefix("expected one of ").removeprefix("expected "))
        offset = _offset(text, line, column)
        if expected and not expected.startswith("expected "):
            return QuerySyntaxError(f"bad SPARQL at line {line}, column {column}: {expected}")
        if offset >= len(text.rstrip()):  # every token read, the query as a whole refused
            return QuerySyntaxError(
                "bad SPARQL: the query breaks a rule of SPARQL as a whole, not at one token"
                " (for example BIND or AS assigning a variable already in scope)"
            )
        return _located(text, offset, f" ({expected})" if expected else "")
    location = getattr(exc, "loc", None)
    if isinstance(location, int):  # pyparsing
        return _located(text, location)
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return QuerySyntaxError(f"bad SPARQL: {message}")
