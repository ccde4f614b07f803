"""The query guard: what a query may touch, and where it runs.

Two layers, both structural:

1. :func:`check_query` / :func:`check_update` first make the one text that is both checked and
   run (:func:`prepare`: escapes expanded, line ends made LF, size and nesting capped), then
   parse it with rdflib and inspect the *algebra*: ``SERVICE`` is refused unless its endpoint
   is on the allow-list (a variable endpoint never is), ``FROM``/``FROM NAMED``/``USING`` must
   name graphs of this dataset (IRIs under the project base), and ``LOAD`` is always refused.
   A query that cannot hold those keywords at all is cleared by reading it, without rdflib.
   rdflib is also told not to fetch the graphs a query names (``SPARQL_LOAD_GRAPHS = False``).
2. :func:`lockdown` locks a server process down (:mod:`graph.serving`): it drops its network
   (a private, empty network namespace where the kernel allows it) and installs an audit hook
   (:func:`sys.addaudithook`) that refuses socket connections, URL opening, file writes, file
   reads outside the Python installation, and subprocesses; when the store is a remote
   endpoint, exactly its host and port stay reachable. :class:`QueryRunner` answers there
   under a time limit: a query that overruns is answered 503 and its process replaced, so a
   slow query neither runs on nor blocks other clients.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from graph.prefixes import BASE, PREFIXES
from graph.query import (
    AnswerTooLarge,
    EngineFailure,
    Form,
    QueryError,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    StoreUnavailable,
    output_format,
)
from graph.stores import Store, StoreSpec, open_store
from graph.syntax import PARSER_LOCK, query_syntax_error

if TYPE_CHECKING:  # rdflib loads only when a query needs the full check
    import socket

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


# -- The worker process --


def _allowed_addresses(urls: Iterable[str]) -> tuple[set[tuple[str, int]], set[str]]:
    """The (IP, port) pairs that ``urls`` resolve to, and their host names."""
    import socket

    allowed: set[tuple[str, int]] = set()
    names: set[str] = set()
    for url in urls:
        parts = urlsplit(url)
        if not parts.hostname:
            continue
        port = parts.port or (443 if parts.scheme == "https" else 80)
        names.add(parts.hostname)
        with contextlib.suppress(OSError):
            for info in socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP):
                allowed.add((str(info[4][0]), port))
    names.update(ip for ip, _port in allowed)
    return allowed, names


def _isolate_network() -> bool:
    """Move this process into a new, empty network namespace (no interfaces, no routes)."""
    import ctypes

    clone_newnet, clone_newuser = 0x40000000, 0x10000000
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    if libc.unshare(clone_newnet) == 0:
        return True
    # unprivileged: a user namespace mapping our own ids first, then the network namespace
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(clone_newuser | clone_newnet) != 0:
        return False
    try:
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
        with open("/proc/self/uid_map", "w") as f:
            f.write(f"{uid} {uid} 1")
        with open("/proc/self/gid_map", "w") as f:
            f.write(f"{gid} {gid} 1")
    except OSError:
        pass
    return True


_FORBIDDEN_EVENTS = (
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "subprocess.Popen",
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.symlink",
    "os.link",
    "os.truncate",
    "shutil.rmtree",
    "shutil.copyfile",
    "ctypes.dlopen",
    "webbrowser.open",
    "ftplib.connect",
    "smtplib.connect",
    "telnetlib.Telnet.open",
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def install_audit_hook(
    readable: Iterable[str], reachable: set[tuple[str, int]], names: set[str]
) -> None:
    """Refuse, in this process from now on, network and file access the query does not need.

    Reading stays possible under ``readable`` (the Python installation: rdflib imports plugins
    lazily); connections only to ``reachable`` (IP, port) pairs; nothing may be written.
    """
    roots = tuple(os.path.join(os.path.realpath(r), "") for r in readable if r)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args
            if path is None or isinstance(path, int):
                return
            name = os.fsdecode(path) if isinstance(path, bytes | os.PathLike) else str(path)
            if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS
            ):
                raise PermissionError(f"kzgraph sandbox: writing {name} is not allowed")
            real = os.path.realpath(name)
            if not (real + os.sep).startswith(roots) and real != os.devnull:
                raise PermissionError(f"kzgraph sandbox: reading {name} is not allowed")
        elif event == "socket.connect":
            address = args[1]
            if isinstance(address, str) and address in names:  # the SERVICE relay's socket
                return
            if not (isinstance(address, tuple) and (str(address[0]), address[1]) in reachable):
                raise PermissionError(f"kzgraph sandbox: connecting to {address} is not allowed")
        elif event == "socket.getaddrinfo":
            if str(args[0]) not in names:
                raise PermissionError(f"kzgraph sandbox: resolving {args[0]} is not allowed")
        elif event == "urllib.Request":
            parts = urlsplit(str(args[0]))
            if parts.scheme not in ("http", "https"):
                raise PermissionError(f"kzgraph sandbox: {parts.scheme}: URLs are not allowed")
        elif event.startswith(_FORBIDDEN_EVENTS):
            raise PermissionError(f"kzgraph sandbox: {event} is not allowed")

    sys.addaudithook(hook)


def _readable_roots() -> list[str]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.__file__)}
    roots.update(p for p in sys.path if p and os.path.isdir(p))
    roots.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return sorted(roots)


#: Query texts longer than this are checked without the guard's cache, so that a cache keyed on
#: request text holds at most 512 short texts (distinct 99 KB POSTs would fill memory).
CACHED_TEXT_CHARS = 4096


def _check(text: str, policy: Policy) -> CheckedQuery:
    if len(text) > CACHED_TEXT_CHARS:
        return check_query.__wrapped__(text, policy)
    return check_query(text, policy)


def _capped(data: bytes, max_bytes: int | None) -> bytes:
    if max_bytes is not None and len(data) > max_bytes:
        raise AnswerTooLarge(
            f"the answer is larger than the server's cap of {max_bytes:,} bytes and was"
            " stopped; select fewer or shorter values, or add LIMIT"
        )
    return data


def run_op(
    store: Store, policy: Policy, op: str, args: tuple[Any, ...], max_bytes: int | None = None
) -> Any:
    """The operations a server offers its pages and endpoint (a fixed table).

    ``max_bytes`` caps the serialised answer of ``query`` (the engine's own payload is checked
    before it is converted, so an oversized answer is never serialised twice).
    """
    if op == "query":
        text, result_fmt, graph_fmt, max_rows = args
        checked = _check(text, policy)
        answer = store.query(checked, max_rows)
        if max_bytes is not None:
            _capped(answer.payload, max_bytes)
        out = output_format(graph_fmt if answer.is_graph else result_fmt, answer.form)
        return answer.form, out.media_type, _capped(answer.serialize(out), max_bytes), answer.count
    if op == "answer":
        text, max_rows = args
        answer = store.query(_check(text, policy), max_rows)
        return answer.form, answer.payload, answer.payload_format.media_type, answer.count
    if op == "update":
        (text,) = args
        store.update(check_update(text, policy))
        return None
    if op == "entity":
        from graph.entity import describe_entity

        return describe_entity(store, *args)
    if op == "entity_rdf":
        from graph.entity import entity_rdf

        return entity_rdf(store, *args)
    if op == "view":
        from graph.view import served_view

        focus, depth, text, lang, base, max_rows = args
        view_query = check_query(text, policy) if text else None
        return served_view(
            store,
            base=base,
            focus=focus,
            depth=depth,
            query=view_query,
            max_rows=max_rows,
            lang=lang,
        )
    if op == "languages":
        from graph.entity import label_languages

        return label_languages(store)
    if op in ("search", "index", "did_you_mean"):  # the web pages' finding aids
        from graph.search import did_you_mean, index, search

        aids: dict[str, Callable[..., Any]] = {
            "search": search,
            "index": index,
            "did_you_mean": did_you_mean,
        }
        return aids[op](store, *args)
    if op == "ontology_doc":
        from graph.ontology_doc import document

        return document(store, *args)
    if op == "void_page":
        from graph.void import summary

        return summary(store, *args)
    if op == "sleep":  # for tests of the time limit without a pathological query
        time.sleep(float(args[0]))
        return None
    raise QueryError(f"unknown operation {op!r}")


def limit_memory(megabytes: int | None) -> None:
    """Cap this process's data memory (RLIMIT_DATA): past it allocations fail, so a runaway
    query ends in an error or the death of this one process, never the machine's memory."""
    if not megabytes:
        return
    import resource

    limit = megabytes * 2**20
    _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


def pipe(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways between two connected sockets until either side closes."""
    import socket

    def one_way(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    other = threading.Thread(target=one_way, args=(b, a), daemon=True)
    other.start()
    one_way(a, b)
    other.join()
    for sock in (a, b):
        with contextlib.suppress(OSError):
            sock.close()


def _loopback_up() -> None:
    """Bring up ``lo`` in this (new, empty) network namespace."""
    import fcntl
    import socket
    import struct

    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(sock, siocgifflags, request))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sH22x", b"lo", flags | iff_up))


def _service_hosts(services: Iterable[str]) -> dict[tuple[str, int], str]:
    """(host, port) of each allowed endpoint -> the loopback address it is reached at here."""
    targets: dict[tuple[str, int], str] = {}
    names: dict[str, str] = {}
    for url in services:
        parts = urlsplit(url)
        if not parts.hostname:
            continue
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if host in ("localhost", "127.0.0.1") or host.startswith("127."):
            address = "127.0.0.1" if host == "localhost" else host
        else:
            address = names.setdefault(host, f"127.0.0.{len(names) + 2}")
        targets[(host, port)] = address
    return targets


def _hosts_override(targets: dict[tuple[str, int], str]) -> None:
    """Make this process resolve each allowed host name to its loopback address: a private
    mount namespace with its own /etc/hosts (the host's is untouched)."""
    import ctypes
    import tempfile

    named = {host: address for (host, _port), address in targets.items() if host != address}
    named.pop("localhost", None)
    if not named:
        return
    clone_newns, ms_rec, ms_private, ms_bind = 0x00020000, 0x4000, 0x40000, 0x1000
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(clone_newns) != 0:
        raise OSError(ctypes.get_errno(), "cannot make a private mount namespace")
    if libc.mount(None, b"/", None, ms_rec | ms_private, None) != 0:
        raise OSError(ctypes.get_errno(), "cannot make the mounts private")
    lines = ["127.0.0.1 localhost", "::1 localhost"]
    lines += [f"{address} {host}" for host, address in named.items()]
    with tempfile.NamedTemporaryFile("w", prefix="kzgraph-hosts-", delete=False) as f:
        f.write("\n".join(lines) + "\n")
    try:
        if libc.mount(f.name.encode(), b"/etc/hosts", None, ms_bind, None) != 0:
            raise OSError(ctypes.get_errno(), "cannot mount a private /etc/hosts")
    finally:
        os.unlink(f.name)  # the mount keeps the file


def _start_relay_listeners(targets: dict[tuple[str, int], str], relay: str) -> None:
    """Listen on loopback, in this namespace, for each allowed endpoint; hand each connection
    to the supervisor's relay (a Unix socket), which connects only to allowed endpoints."""
    import socket

    def forward(client: socket.socket, host: str, port: int) -> None:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(relay)
            upstream.sendall(f"{host} {port}\n".encode())
        except OSError:
            client.close()
            upstream.close()
            return
        pipe(client, upstream)

    def accept(listener: socket.socket, host: str, port: int) -> None:
        while True:
            client, _peer = listener.accept()
            threading.Thread(target=forward, args=(client, host, port), daemon=True).start()

    for (host, port), address in targets.items():
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((address, port))
        listener.listen(64)
        threading.Thread(target=accept, args=(listener, host, port), daemon=True).start()


def lockdown(
    store: Store,
    spec: StoreSpec,
    policy: Policy,
    isolate: bool,
    reach_services: bool = False,
    relay: str | None = None,
) -> bool:
    """Warm ``store`` up, then lock this process down; True if it now has no network at all.

    The parser and evaluation modules are imported while files may still be read; then the
    process leaves the network (a private, empty namespace, unless the store itself is a remote
    endpoint) and installs the audit hook. Sockets it already holds (a listening one) keep
    working. SERVICE endpoints on the allow-list keep the network only with ``reach_services``
    (``kzgraph query``, a process of the user's own): Oxigraph's HTTP client ignores the audit
    hook, so a server never asks for it. Call it before starting threads: a namespace is per
    thread.
    """
    store.query(check_query("ASK { ?s ?p ?o }", policy), 1)
    check_update("INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }", policy)
    urls = [spec.endpoint] if spec.endpoint else []
    if reach_services:
        urls += policy.allowed_services
    reachable, names = _allowed_addresses(urls)
    isolated = _isolate_network() if isolate and not urls else False
    if isolated and relay is not None and policy.allowed_services:
        # SERVICE endpoints on the allow-list: reached through the supervisor's relay only
        targets = _service_hosts(policy.allowed_services)
        _loopback_up()
        try:
            _hosts_override(targets)
        except OSError as exc:  # endpoints given by address still work
            print(
                f"kzgraph: SERVICE endpoints named by host are unreachable: {exc}", file=sys.stderr
            )
        _start_relay_listeners(targets, relay)
        names.add(relay)
        # Python clients (rdflib's SERVICE) pass the audit hook for these listeners only
        reachable.update((address, port) for (_host, port), address in targets.items())
        names.update(host for host, _port in targets)
        names.update(targets.values())
    install_audit_hook(_readable_roots(), reachable, names)
    return isolated


def _isolated_main(conn: Any, spec: StoreSpec, policy: Policy, op: str, args: Any) -> None:
    """One operation in a process of its own: open the store, lock down, answer, exit."""
    try:
        import rdflib.plugins.sparql as rdflib_sparql

        rdflib_sparql.SPARQL_LOAD_GRAPHS = False
        store = open_store(spec)
        lockdown(store, spec, policy, isolate=True, reach_services=True)
        conn.send(("ok", run_op(store, policy, op, args)))
    except QueryError as exc:
        conn.send(("error", exc))
    except PermissionError as exc:
        conn.send(("error", QueryRefused(str(exc))))
    except Exception as exc:
        conn.send(("error", EngineFailure(f"the query failed: {type(exc).__name__}: {exc}")))


def run_isolated(
    spec: StoreSpec, policy: Policy, op: str, args: tuple[Any, ...], timeout: float
) -> Any:
    """Run one operation of :func:`run_op` in a locked-down process, killed after ``timeout``
    seconds (``kzgraph query --timeout``).

    Raises:
        QueryTimeout: the operation ran longer than ``timeout``.
        QueryError: what the operation raised.
    """
    import multiprocessing

    ctx = multiprocessing.get_context("forkserver")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_isolated_main, args=(child, spec, policy, op, args), daemon=True)
    process.start()
    child.close()
    try:
        if not parent.poll(timeout):
            raise QueryTimeout(
                f"the query ran longer than the time limit of {timeout:g} s and was stopped"
            )
        try:
            status, value = parent.recv()
        except EOFError:
            raise StoreUnavailable("the query process died (out of memory?)") from None
    finally:
        process.kill()
        process.join(5)
        parent.close()
    if status == "error":
        raise value
    return value


class _DaemonThreads:
    """A thread pool whose threads never hold up the interpreter's exit: a runaway evaluation
    cannot be interrupted, and ``concurrent.futures`` would wait for it at exit (a server
    process leaves with ``os._exit``; tests and notebooks must not hang)."""

    def __init__(self, size: int) -> None:
        import queue

        self._work: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._size = size
        self._started = 0
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        from concurrent.futures import Future

        future: Future[Any] = Future()
        self._work.put((future, fn, args))
        with self._lock:
            if self._started < self._size:  # threads start on demand, after the lockdown
                self._started += 1
                name = f"kzgraph-query_{self._started}"
                threading.Thread(target=self._worker, daemon=True, name=name).start()
        return future

    def _worker(self) -> None:
        while True:
            item = self._work.get()
            if item is None:
                return
            future, fn, args = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

    def shutdown(self) -> None:
        for _ in range(self._started):
            self._work.put(None)


class QueryRunner:
    """Runs the operations of :func:`run_op` in this process, off the event loop.

    Oxigraph releases the GIL while it evaluates, so a slow query holds one thread and the
    others keep answering. At most ``threads`` operations run at once; one waiting longer than
    the time limit for its turn is answered 503. An operation that overruns the time limit is
    answered :class:`QueryTimeout` and ``on_overrun`` is called: a running evaluation cannot be
    interrupted, so the server process is replaced (:mod:`graph.serving`).

    Args:
        store: the open store.
        policy: what queries may reach beyond the dataset.
        timeout: seconds an operation may run.
        threads: operations answered at the same time.
        max_answer_bytes: cap on a serialised answer (None: no cap).
        on_overrun: called once with a reason when an operation overruns.
        on_update: called with each applied update's text before it is acknowledged (the
            supervisor's journal); raises to refuse further updates.
    """

    def __init__(
        self,
        store: Store,
        policy: Policy = Policy(),
        timeout: float = 10.0,
        threads: int = 8,
        max_answer_bytes: int | None = None,
        on_overrun: Callable[[str], None] | None = None,
        on_update: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.policy = policy
        self.timeout = timeout
        self.threads = max(1, threads)
        self.max_answer_bytes = max_answer_bytes
        self.on_overrun = on_overrun
        self.on_update = on_update
        self.overrun = False
        self._executor = _DaemonThreads(self.threads)
        self._slots: Any = None  # an asyncio.Semaphore of the serving loop
        self._slots_loop: Any = None
        self._update_lock = threading.Lock()

    @classmethod
    def open(cls, spec: StoreSpec, policy: Policy = Policy(), **options: Any) -> QueryRunner:
        """A runner over a freshly opened store, in this process (tests, notebooks)."""
        return cls(open_store(spec), policy, **options)

    def _run(self, op: str, args: tuple[Any, ...]) -> Any:
        try:
            if op == "update":
                with self._update_lock:
                    result = run_op(self.store, self.policy, op, args)
                    if self.on_update is not None:
                        self.on_update(args[0])
                    return result
            return run_op(self.store, self.policy, op, args, self.max_answer_bytes)
        except QueryError:
            raise
        except PermissionError as exc:  # the audit hook refused something
            raise QueryRefused(str(exc)) from None
        except MemoryError:
            raise AnswerTooLarge(
                "the query needed more memory than this server allows each process"
            ) from None
        except Exception as exc:  # a bug in the engine or here: a 500, logged with its trace
            import traceback

            traceback.print_exception(exc, file=sys.stderr)
            raise EngineFailure(f"the query engine failed ({type(exc).__name__})") from None

    def call_sync(self, op: str, *args: Any) -> Any:
        """Run ``op`` in the calling thread (no time limit): the command line and tests."""
        return self._run(op, args)

    async def call(self, op: str, *args: Any, timeout: float | None = None) -> Any:
        """Run ``op`` on a query thread under the time limit."""
        import asyncio

        limit = self.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        if self._slots_loop is not loop:
            self._slots, self._slots_loop = asyncio.Semaphore(self.threads), loop
        slots = self._slots
        started = loop.time()
        try:
            await asyncio.wait_for(slots.acquire(), limit)
        except TimeoutError:
            raise StoreUnavailable(
                f"all {self.threads} query threads are busy; try again shortly"
            ) from None
        future = asyncio.wrap_future(self._executor.submit(self._run, op, args), loop=loop)
        future.add_done_callback(lambda _f: slots.release())  # a runaway keeps its slot
        remaining = max(limit - (loop.time() - started), 0.001)
        try:
            return await asyncio.wait_for(asyncio.shield(future), remaining)
        except TimeoutError:
            if not self.overrun:
                self.overrun = True
                if self.on_overrun is not None:
                    self.on_overrun(f"{op} ran longer than {limit:g} s")
            raise QueryTimeout(
                f"the query ran longer than the time limit of {limit:g} s and was stopped"
            ) from None

    def close(self) -> None:
        self._executor.shutdown()
        self.store.close()

    def __enter__(self) -> QueryRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
