"""The query guard: what a query may touch, checked on the one text the engine runs.

:func:`check_query` / :func:`check_update` first make the one text that is both checked and
run (:func:`prepare`: escapes expanded, line ends made LF, size and nesting capped), then
parse it with rdflib and inspect the *algebra*: ``SERVICE`` is refused unless its endpoint
is on the allow-list (a variable endpoint never is), ``FROM``/``FROM NAMED``/``USING`` must
name graphs of this dataset (IRIs under the project base), and ``LOAD`` is always refused.
A query that cannot hold those keywords at all is cleared by reading it, without rdflib.
rdflib is also told not to fetch the graphs a query names (``SPARQL_LOAD_GRAPHS = False``).
Where a checked query runs, locked down, is :mod:`graph.serving.sandbox`.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graph.prefixes import BASE, PREFIXES
from graph.sparql.results import (
    Form,
    QueryRefused,
    QuerySyntaxError,
)
from graph.sparql.syntax import PARSER_LOCK, query_syntax_error

if TYPE_CHECKING:  # rdflib loads only when a query needs the full check
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.plugins.sparql.sparql import Query


_FORMS: dict[str, Form] = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}


@dataclass(frozen=True)
class Policy:
    """What queries may reach beyond the dataset."""

    #: SERVICE endpoints a query may call (exact IRIs); empty: SERVICE is refused.
    allowed_services: tuple[str, ...] = ()
    #: IRI prefixes of graphs that FROM / FROM NAMED / USING may name (graphs of this dataset).
    local_graphs: tuple[str, ...] = (BASE,)


@dataclass(frozen=True)
class CheckedQuery:
    """A query that passed the guard: ``text`` is exactly what the engine must run.

    ``text`` is the user's text as :func:`prepare` normalised it (codepoint escapes expanded,
    line ends made LF), the very text the policy was decided on. ``algebra`` is rdflib's parse,
    made on first use of :attr:`parsed` when the guard cleared the query without it.
    """

    text: str
    form: Form
    algebra: Query | None = field(default=None, compare=False, repr=False)
    base_iri: str | None = None
    #: The predeclared prefixes the query uses without declaring them.
    prefixes: Mapping[str, str] | None = field(default=None, compare=False, repr=False)

    @property
    def parsed(self) -> Query:
        """rdflib's parse of :attr:`text` (only an rdflib-evaluated store reads it)."""
        if self.algebra is None:
            object.__setattr__(self, "algebra", _translate(self.text, update=False))
        assert self.algebra is not None
        return self.algebra


def _nodes(tree: Any) -> Iterator[Any]:
    """Every item of an rdflib algebra tree (patterns, expressions, sub-queries, terms), once."""
    stack = [tree]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        if isinstance(item, Mapping):  # CompValue is a Mapping too
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set):
            stack.extend(item)


def _walk(node: Any) -> Iterator[CompValue]:
    """Every CompValue in an rdflib algebra tree (patterns, expressions, sub-queries)."""
    from rdflib.plugins.sparql.parserutils import CompValue

    return (item for item in _nodes(node) if isinstance(item, CompValue))


def _check_services(tree: Any, policy: Policy) -> None:
    from rdflib.term import Variable

    for node in _walk(tree):
        if node.name != "ServiceGraphPattern":  # SERVICE anywhere: sub-queries, EXISTS
            continue
        endpoint = dict.get(node, "term")
        if isinstance(endpoint, Variable):
            raise QueryRefused("SERVICE with a variable endpoint is not allowed on this server")
        if str(endpoint) not in policy.allowed_services:
            raise QueryRefused(
                f"SERVICE <{endpoint}> is not allowed on this server"
                " (federated queries reach only the endpoints on the allow-list)"
            )


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def _check_absolute(tree: Any) -> None:
    """Refuse relative IRIs left unresolved (no BASE): engines disagree on what they mean."""
    from rdflib.term import URIRef

    for item in _nodes(tree):
        if isinstance(item, URIRef) and not _SCHEME.match(item):
            raise QuerySyntaxError(f"bad SPARQL: relative IRI <{item}> and no BASE to resolve it")


def _check_graph_iri(iri: Any, clause: str, policy: Policy) -> None:
    if not str(iri).startswith(policy.local_graphs):
        raise QueryRefused(
            f"{clause} <{iri}> is not allowed: {clause} may only name graphs of this dataset"
            f" (IRIs under {', '.join(policy.local_graphs)})"
        )


def _translate(text: str, update: bool) -> Any:
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.algebra import translateQuery, translateUpdate
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    try:
        with PARSER_LOCK:  # pyparsing keeps parse state in the grammar: one parse at a time
            if update:
                return translateUpdate(parseUpdate(text), None, dict(PREFIXES))
            return translateQuery(parseQuery(text), None, dict(PREFIXES))
    except ParseBaseException as exc:
        raise query_syntax_error(exc, text, update) from None
    except RecursionError:  # rdflib's parser recurses per nesting level
        raise QuerySyntaxError(
            "bad SPARQL: nested too deeply for the query guard; simplify the query"
        ) from None
    except Exception as exc:  # rdflib raises plain Exceptions for prefix errors and the like
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise QuerySyntaxError(f"bad SPARQL: {message}") from None


# -- One text for the guard and the engine --
#
# SPARQL expands codepoint escapes (\uXXXX, \UXXXXXXXX) over the whole text before parsing, and
# parsers differ at the edges (Oxigraph reads "\\u0041" as an escaped backslash, rdflib expands
# it; Oxigraph ends a comment at CR, rdflib does not). :func:`prepare` makes the one text both
# read the same way: escapes expanded here, once, and refused if that spells another escape
# (an engine would expand it again); CR and CRLF made LF; the characters some line-splitting
# code treats as line ends refused; size, nesting and the number of operators capped below
# what overflows Oxigraph's stack (3,000 nested "{" segfault it). The engine is handed this
# text, never the original, so what was checked is byte for byte what runs.

#: The longest query or update accepted, in characters.
MAX_QUERY_CHARS = 200_000
#: The deepest nesting of brackets ({, (, [) accepted. Oxigraph's parser overflows an 8 MiB
#: stack at about 950 nested function calls and 2,200 nested groups; rdflib's at about 30.
MAX_DEPTH = 64
#: The most brackets, binary operators and UNION/OPTIONAL/MINUS/FILTER/BIND accepted: Oxigraph
#: builds a tree as deep as a chain of them (6,800 ``+`` or 2,600 ``MINUS`` in a row overflow an
#: 8 MiB stack). At these caps its parser and evaluator fit in a 2 MiB thread stack.
MAX_NODES = 1_000

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
#: What an engine could still take for a codepoint escape after they were expanded.
_RESIDUAL_ESCAPE = re.compile(r"\\[uU][0-9A-Fa-f]")
#: Not SPARQL white space, but line ends to Python's str.splitlines and to Unicode: a parser
#: that splits lines with them would end a comment there. Refused rather than guessed at.
_LINE_ENDS = re.compile("[\x0b\x0c\x1c-\x1f\x85\u2028\u2029]")
_LINE_END_NAMES = {
    "\x0b": "a vertical tab",
    "\x0c": "a form feed",
    "\x85": "U+0085 (next line)",
    "\u2028": "U+2028 (line separator)",
    "\u2029": "U+2029 (paragraph separator)",
}
#: The lexical parts of SPARQL that hide brackets: comments, the four kinds of string (long
#: ones first, as the grammar reads them), IRIs, and the escapes of prefixed names (``\'``).
_LEXER = re.compile(
    r"""(?P<comment>\#[^\n]*)
    |(?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|\Z)
      |'''(?:[^'\\]|\\.|'(?!''))*(?:'''|\Z)
      |"(?:[^"\\\n]|\\.)*(?:"|(?=\n)|\Z)
      |'(?:[^'\\\n]|\\.)*(?:'|(?=\n)|\Z))
    |(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    |(?P<escape>\\.)
    |(?P<open>[{(\[])
    |(?P<close>[})\]])""",
    re.X | re.S,
)
#: An IRI no parser could read as the operator "<": after "<scheme:" comes "//", which no
#: expression can continue with, so a parser reads it as an IRI or fails right there.
_PLAIN_IRI = re.compile(r"<[A-Za-z][A-Za-z0-9]*://")
#: Operators and keywords that make a node of the query's tree, counted in the code between
#: comments, strings and IRIs. A hyphen between letters is part of a name (kzr:igor-rogov).
_OPERATOR = re.compile(r"(?i)&&|\|\||[-+*/|]|\b(?:union|optional|minus|filter|bind)\b")
_PATH_OPERATOR = re.compile(r"(?<!\|)[/|](?!\|)")
_NAME_HYPHEN = re.compile(r"(?<=[A-Za-z_:])-(?=[A-Za-z])")


def _where(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    return f"line {line}, column {offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


def _expand_escapes(text: str) -> str:
    def expand(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise QuerySyntaxError(
                f"bad SPARQL at {_where(text, match.start())}: {match.group()} is not a"
                " character (a surrogate or beyond U+10FFFF)"
            )
        return chr(code)

    return _ESCAPE.sub(expand, text)


def _operators(code: str) -> int:
    """Operators in ``code``; a path's / and | count twice (Oxigraph recurses deeper on them)."""
    return (
        len(_OPERATOR.findall(code))
        + len(_PATH_OPERATOR.findall(code))
        - len(_NAME_HYPHEN.findall(code))
    )


def _operators_at_most(text: str) -> int:
    """An upper bound of :func:`_operators` over the whole text, counted quickly."""
    lowered = text.lower()
    return (
        sum(text.count(char) for char in "-+*/|&")
        + text.count("/")
        + text.count("|")
        + sum(lowered.count(word) for word in ("union", "optional", "minus", "filter", "bind"))
    )


def _check_shape(text: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` and trees bigger than :data:`MAX_NODES`.

    Conservative by construction: an opening bracket counts wherever it is (in a string or
    comment too), a closing one only in code, so the count is never below the depth a parser
    reaches. Only an IRI that a parser might read as the operator ``<`` followed by a string
    or comment could make "code" differ; after one such, closing brackets no longer count.
    """
    opening = text.count("{") + text.count("(") + text.count("[")
    if opening <= MAX_DEPTH and (
        len(text) <= MAX_NODES or opening + _operators_at_most(text) <= MAX_NODES
    ):
        return  # the usual query: fewer brackets, operators and keywords in all than the caps
    depth = deepest = nodes = 0
    closing_counts = True
    code_from = 0

    def too_deep(at: int) -> QuerySyntaxError:
        return QuerySyntaxError(
            f"bad SPARQL at {_where(text, at)}: brackets nested more than {MAX_DEPTH} deep;"
            " the query guard refuses deeper nesting (it would overflow the engine's stack)"
        )

    for match in _LEXER.finditer(text):
        nodes += _operators(text[code_from : match.start()])
        code_from = match.end()
        kind, token = match.lastgroup, match.group()
        if kind == "open":
            depth += 1
            nodes += 1
        elif kind == "close":
            if closing_counts:
                depth = max(depth - 1, 0)
        elif kind != "escape":
            opened = token.count("{") + token.count("(") + token.count("[")
            depth += opened
            nodes += opened
            if not closing_counts:  # what reads as a string here may be code to a parser
                nodes += _operators(token)
            if kind == "iri" and not _PLAIN_IRI.match(token):
                nodes += _operators(token)
                if "'" in token or "#" in token:
                    closing_counts = False
        if depth > deepest:
            deepest = depth
            if deepest > MAX_DEPTH:
                raise too_deep(match.start())
    nodes += _operators(text[code_from:])
    if nodes > MAX_NODES:
        raise QuerySyntaxError(
            f"bad SPARQL: the query has more than {MAX_NODES} operators, clauses and brackets;"
            " the query guard refuses larger ones (they would overflow the engine's stack)"
        )


def prepare(text: str) -> str:
    """The text an engine may run for ``text``: the one the guard checks.

    Codepoint escapes are expanded (once; a text that would still hold one is refused), CR and
    CRLF become LF, and U+0085, U+2028, U+2029 and the other characters that some code takes
    for line ends are refused, as are texts too long or nested too deeply for the engine.

    Raises:
        QuerySyntaxError: naming the line and column, or the limit exceeded.
    """
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(
            f"bad SPARQL: the query is {len(text):,} characters long;"
            f" the query guard accepts at most {MAX_QUERY_CHARS:,}"
        )
    if "\\" in text:
        text = _expand_escapes(text)
        residual = _RESIDUAL_ESCAPE.search(text)
        if residual:
            raise QuerySyntaxError(
                f"bad SPARQL at {_where(text, residual.start())}: a codepoint escape spells"
                f" another escape ({residual.group()}...), which an engine would expand again"
            )
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    line_end = _LINE_ENDS.search(text)
    if line_end:
        name = _LINE_END_NAMES.get(line_end.group(), f"U+{ord(line_end.group()):04X}")
        raise QuerySyntaxError(
            f"bad SPARQL at {_where(text, line_end.start())}: {name} is not allowed in a query"
            " (some parsers and tools take it for a line end)"
        )
    _check_shape(text)
    return text


# -- Reading instead of parsing --

#: A query's prologue: blank space, comments, PREFIX and BASE declarations, in SPARQL's own
#: terms (after :func:`prepare`, white space is space, tab and LF; a comment ends at LF).
_PROLOGUE = re.compile(
    r"(?:[ \t\n]|#[^\n]*"
    r"|(?i:PREFIX)[ \t\n]*(?:[^\W\d_][\w.-]*)?:[ \t\n]*<[^<>\"{}|^`\\\x00-\x20]*>"
    r"|(?i:BASE)[ \t\n]*<[^<>\"{}|^`\\\x00-\x20]*>)*"
)
#: A PREFIX declaration at the start of a line of the prologue (within the prologue a line can
#: only start with a declaration, white space or a comment, so this never mistakes a comment).
_DECLARED = re.compile(r"(?im)^[ \t]*PREFIX[ \t]*([^ \t\n:<>#]*):")
_QUERY_FORM = re.compile(r"(?i)(SELECT|ASK|CONSTRUCT|DESCRIBE)(?![\w-])")
#: The predeclared prefixes, as (what a use looks like, name, IRI).
_PREDECLARED = tuple((name + ":", name, iri) for name, iri in PREFIXES.items())
#: An IRI without a scheme, and a BASE declaration to resolve it against.
_RELATIVE_IRI = re.compile(r"<(?![A-Za-z][A-Za-z0-9+.-]*:)[^<>\"{}|^`\\\x00-\x20]*>")
_BASE = re.compile(r"(?i)BASE[ \t\n]*<")
#: The keywords of what the policy inspects in a query (SERVICE, FROM) and LOAD.
_WORDS = ("service", "from", "load")
#: The rest of a name after ":" (a prefixed name's local part) or "#" (an IRI's fragment or a
#: comment): in every lexical context what follows there is part of a name, an IRI, a string
#: or a comment, never a keyword (``prov:wasDerivedFrom``, ``<...prov#wasDerivedFrom>``).
_NAME_TAIL = re.compile(r"[:#][A-Za-z0-9_:]*")


def _may_hold_keyword(body: str) -> bool:
    """Whether ``body`` could hold SERVICE, FROM or LOAD as a keyword, for any parser.

    Conservative: any character outside ASCII whose lower, upper or folded case holds an ASCII
    letter (U+017F long s uppercases to "S", U+212A Kelvin lowercases to "k") could be read as
    a letter of a keyword, so its presence alone answers yes; otherwise the words are looked
    for in the lowercased text, wherever they are (in strings, IRIs and names too), except in
    a name's tail after ":" or "#", which no parser reads as a keyword.
    """
    if not body.isascii():
        for char in set(body):
            if ord(char) > 127 and any(
                c.isascii() and c.isalpha() for c in char.lower() + char.upper() + char.casefold()
            ):
                return True
    lowered = body.lower()
    if not any(word in lowered for word in _WORDS):
        return False
    stripped = _NAME_TAIL.sub(" ", lowered)
    return any(word in stripped for word in _WORDS)


def _predeclared_used(text: str, prologue_end: int) -> dict[str, str]:
    """The predeclared prefixes ``text`` uses after its prologue and does not declare.

    A name spelt inside another ("kz:" in "xkz:") is passed too, which is harmless, and a
    declaration of the query's own wins over ours anyway.
    """
    body = text[prologue_end:]
    used = {name: iri for use, name, iri in _PREDECLARED if use in body}
    if used:
        for name in _DECLARED.findall(text, 0, prologue_end):
            used.pop(name, None)
    return used


def _read(text: str) -> tuple[Form, dict[str, str]] | None:
    """The form of a prepared query the policy has nothing to say about, read without
    parsing it, and the predeclared prefixes it uses without declaring them.

    None unless, after its prologue, the text cannot hold SERVICE, FROM or LOAD as a keyword
    (:func:`_may_hold_keyword`), holds no relative IRI without a BASE to resolve it, and opens
    with a query form keyword. ``text`` must come from
    :func:`prepare`: no escapes left to expand, LF the only line end. Such a query has nothing
    the policy refuses; the engine reports its syntax errors.
    """
    prologue = _PROLOGUE.match(text)
    position = prologue.end() if prologue else 0
    if _may_hold_keyword(text[position:]):
        return None
    if _RELATIVE_IRI.search(text, position) and not _BASE.search(text, 0, position):
        return None  # the full check refuses it, naming the IRI (Oxigraph's error would not)
    found = _QUERY_FORM.match(text, position)
    if not found:
        return None
    return _KEYWORD_FORMS[found.group(1).upper()], _predeclared_used(text, position)


def _form_by_reading(text: str) -> Form | None:
    """The form :func:`_read` finds for ``text`` once prepared, or None."""
    try:
        read = _read(prepare(text))
    except QuerySyntaxError:
        return None
    return read[0] if read else None


_KEYWORD_FORMS: dict[str, Form] = {
    "SELECT": "SELECT",
    "ASK": "ASK",
    "CONSTRUCT": "CONSTRUCT",
    "DESCRIBE": "DESCRIBE",
}


@functools.lru_cache(maxsize=512)
def check_query(text: str, policy: Policy = Policy()) -> CheckedQuery:
    """Check ``text`` and refuse anything that would reach outside the dataset.

    The decision is made on :func:`prepare`'s text, which :attr:`CheckedQuery.text` carries
    for the engine to run. A query that cannot hold SERVICE, FROM or LOAD is cleared by reading
    it (no rdflib import, about 20 µs); any other is parsed by rdflib and its algebra inspected.

    Raises:
        QuerySyntaxError: with line and column, or a limit exceeded.
        QueryRefused: SERVICE not on the allow-list, FROM/FROM NAMED of a foreign IRI.
    """
    run = prepare(text)
    quick = _read(run)
    if quick is not None:
        return CheckedQuery(text=run, form=quick[0], prefixes=quick[1])
    return _check_parsed(run, policy)


def _check_parsed(run: str, policy: Policy) -> CheckedQuery:
    """The full check of a prepared query: rdflib's parse, and the policy on its algebra."""
    parsed = _translate(run, update=False)
    algebra = parsed.algebra
    form = _FORMS.get(algebra.name)
    if form is None:
        raise QuerySyntaxError(f"not a query: {algebra.name}")
    # CompValue.get answers the key itself for a missing key: read them as a plain dict
    for clause in dict.get(algebra, "datasetClause") or []:
        named = dict.get(clause, "named")
        iri = named if named is not None else dict.get(clause, "default")
        _check_graph_iri(iri, "FROM NAMED" if named is not None else "FROM", policy)
    _check_services(algebra, policy)
    _check_absolute(algebra)
    _check_slices(algebra)
    prologue = _PROLOGUE.match(run)
    return CheckedQuery(
        text=run,
        form=form,
        algebra=parsed,
        prefixes=_predeclared_used(run, prologue.end() if prologue else 0),
    )


def _check_slices(tree: Any) -> None:
    """Refuse LIMIT/OFFSET beyond what an engine can count (rdflib fails with a Python error)."""
    for node in _walk(tree):
        if node.name != "Slice":
            continue
        for key, clause in (("start", "OFFSET"), ("length", "LIMIT")):
            value = dict.get(node, key)
            if isinstance(value, int) and value > sys.maxsize:
                raise QuerySyntaxError(
                    f"bad SPARQL: {clause} {value} is too large (at most {sys.maxsize})"
                )


def check_update(text: str, policy: Policy = Policy()) -> str:
    """Check a SPARQL Update and refuse LOAD, foreign USING and SERVICE.

    Returns the text the engine must run (:func:`prepare`'s), always parsed by rdflib.
    """
    run = prepare(text)
    parsed = _translate(run, update=True)
    for request in parsed.algebra:
        if request.name == "Load":
            raise QueryRefused("LOAD is not allowed on this server: it fetches a document")
        for clause in dict.get(request, "using") or []:
            named = dict.get(clause, "named")
            iri = named if named is not None else dict.get(clause, "default")
            _check_graph_iri(iri, "USING NAMED" if named is not None else "USING", policy)
        _check_services(request, policy)
        _check_absolute(request)
    return run
