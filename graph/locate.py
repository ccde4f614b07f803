"""Find evidence quotes in source texts, and check the recorded ones still match.

Conventions (shared by ``kzgraph locate``, :func:`verify_evidence` and the data files):

- Offsets are Unicode code points into the source file as it is (UTF-8 decoded, nothing
  normalised), 0-based, end exclusive: ``text[start:end]`` is the quoted span.
- Paragraphs are maximal runs of non-blank lines separated by one or more blank lines (a line
  holding only whitespace is blank), numbered from 1 at the start of the file. A quote's
  paragraph is the one holding its first character.
- Matching ignores how whitespace is laid out: any run of whitespace in the source (spaces,
  tabs, line breaks) matches one space in the quote, and the quote's own whitespace runs count
  as one space too. Everything else must match exactly.
- The stored ``kz:quote`` is the source span with whitespace runs collapsed to single spaces
  (and no leading or trailing space).

A quote found nowhere, or found more than once, is an error: quote more words to make it unique.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import PROV, RDF

from graph.errors import InputError
from graph.load import PROVENANCE_GRAPH, SOURCES_GRAPH
from graph.namespaces import KZ
from graph.paths import seeds_dir as default_seeds_dir

_WS = re.compile(r"\s+")
PLACEHOLDER_ASSERTION = "kze:CHANGE-ME"
PLACEHOLDER_SOURCE = "kzr:CHANGE-ME-source"
PLACEHOLDER_AGENT = "kzr:CHANGE-ME-agent"
PLACEHOLDER_MODE = "kz:CHANGE-ME-mode"


def normalise(text: str) -> str:
    """Collapse whitespace runs to one space and strip the ends (the stored quote form)."""
    return _WS.sub(" ", text).strip()


@dataclass(frozen=True)
class Location:
    """Where a quote sits in a source file."""

    path: Path
    paragraph: int
    start: int
    end: int
    quote: str


def _normalised_with_map(text: str) -> tuple[str, list[int]]:
    """The text with whitespace runs as single spaces, and each output char's source index."""
    chars: list[str] = []
    index: list[int] = []
    for match in re.finditer(r"\s+|\S+", text):
        if match.group().isspace():
            chars.append(" ")
            index.append(match.start())
        else:
            chars.extend(match.group())
            index.extend(range(match.start(), match.end()))
    return "".join(chars), index


def paragraph_starts(text: str) -> list[int]:
    """Offsets of the first character of each paragraph, in order."""
    starts: list[int] = []
    previous_blank = True
    offset = 0
    for line in text.splitlines(keepends=True):
        blank = not line.strip()
        if not blank and previous_blank:
            starts.append(offset)
        previous_blank = blank
        offset += len(line)
    return starts


def paragraph_of(text: str, offset: int) -> int:
    """The 1-based number of the paragraph holding ``offset`` (0 before the first one)."""
    return bisect.bisect_right(paragraph_starts(text), offset)


def find_all(text: str, quote: str) -> list[tuple[int, int]]:
    """Every ``(start, end)`` span of ``text`` matching ``quote`` modulo whitespace layout."""
    wanted = normalise(quote)
    if not wanted:
        return []
    flat, index = _normalised_with_map(text)
    spans = []
    at = flat.find(wanted)
    while at >= 0:
        spans.append((index[at], index[at + len(wanted) - 1] + 1))
        at = flat.find(wanted, at + 1)
    return spans


def read_source(path: str | os.PathLike[str]) -> str:
    """A source text exactly as stored (universal newlines off, so offsets match the file)."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        raise InputError("no such source file", path) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path) from None
    except OSError as exc:
        raise InputError(f"cannot read source file: {exc.strerror or exc}", path) from None


def locate(source: str | os.PathLike[str], quote: str) -> Location:
    """Find ``quote`` once in the file ``source``.

    Raises:
        InputError: the quote is empty, not found, or found more than once.
    """
    text = read_source(source)
    wanted = normalise(quote)
    if not wanted:
        raise InputError("the quote is empty", source)
    spans = find_all(text, wanted)
    if not spans:
        raise InputError(f"quote not found: {_clip(wanted)!r}", source)
    if len(spans) > 1:
        where = ", ".join(str(s) for s, _e in spans[:5])
        raise InputError(
            f"quote is ambiguous: found {len(spans)} times (at offsets {where});"
            f" quote more words to make it unique: {_clip(wanted)!r}",
            source,
        )
    start, end = spans[0]
    return Location(Path(source), paragraph_of(text, start), start, end, normalise(text[start:end]))


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def provenance_block(
    location: Location,
    assertion: str = PLACEHOLDER_ASSERTION,
    source: str = PLACEHOLDER_SOURCE,
    agent: str = PLACEHOLDER_AGENT,
    mode: str = PLACEHOLDER_MODE,
) -> str:
    """A ready-to-paste TriG block describing an evidence graph for ``location``.

    Placeholders left in (``CHANGE-ME``) are undeclared terms, so validation flags them.
    """
    quote = Literal(location.quote).n3()
    return (
        "kzg:provenance {\n"
        f"    {assertion} a kz:Assertion ;\n"
        f"        prov:wasDerivedFrom {source} ;\n"
        f"        prov:wasAttributedTo {agent} ;\n"
        f"        kz:assertionMode {mode} ;\n"
        f"        kz:quote {quote} ;\n"
        f"        kz:paragraph {location.paragraph} ;\n"
        f"        kz:startOffset {location.start} ;\n"
        f"        kz:endOffset {location.end} .\n"
        "}\n"
    )


def source_for_file(ds: Dataset, filename: str) -> URIRef | None:
    """The source document in kzg:sources whose ``kz:localFile`` is ``filename``."""
    sources = ds.graph(SOURCES_GRAPH)
    found = sorted(
        s for s in sources.subjects(KZ.localFile, Literal(filename)) if isinstance(s, URIRef)
    )
    return found[0] if found else None


@dataclass(frozen=True)
class EvidenceProblem:
    """A recorded quote that does not match its source."""

    assertion: URIRef
    message: str

    def __str__(self) -> str:
        return f"{self.assertion}: {self.message}"


def verify_evidence(
    ds: Dataset, seeds_dir: str | os.PathLike[str] | None = None
) -> list[EvidenceProblem]:
    """Check every kz:Assertion's quote, paragraph and offsets against its source file.

    The source is the assertion's ``prov:wasDerivedFrom``; its ``kz:localFile`` (in
    kzg:sources) names the file in ``seeds_dir`` (default per :func:`graph.paths.seeds_dir`),
    and its ``kz:sha256``, when present, must match the file's bytes.
    """
    folder = default_seeds_dir(seeds_dir)
    provenance = ds.graph(PROVENANCE_GRAPH)
    sources = ds.graph(SOURCES_GRAPH)
    texts: dict[str, str | EvidenceProblem] = {}
    problems: list[EvidenceProblem] = []
    assertions = sorted(
        a for a in provenance.subjects(RDF.type, KZ.Assertion) if isinstance(a, URIRef)
    )
    for assertion in assertions:

        def problem(message: str, assertion: URIRef = assertion) -> None:
            problems.append(EvidenceProblem(assertion, message))

        source = provenance.value(assertion, PROV.wasDerivedFrom)
        local = sources.value(source, KZ.localFile) if source is not None else None
        if local is None:
            problem(f"source {source} has no kz:localFile in kzg:sources")
            continue
        name = str(local)
        if name not in texts:
            texts[name] = _load_checked(folder / name, sources.value(source, KZ.sha256))
        text = texts[name]
        if isinstance(text, EvidenceProblem):
            problem(text.message)
            continue
        values = {
            key: provenance.value(assertion, prop)
            for key, prop in (
                ("quote", KZ.quote),
                ("paragraph", KZ.paragraph),
                ("start", KZ.startOffset),
                ("end", KZ.endOffset),
            )
        }
        if any(v is None for v in values.values()):
            missing = ", ".join(k for k, v in values.items() if v is None)
            problem(f"missing {missing}")
            continue
        try:
            start, end, paragraph = (int(str(values[k])) for k in ("start", "end", "paragraph"))
        except ValueError:
            problem("paragraph and offsets must be integers")
            continue
        quote = str(values["quote"])
        if not 0 <= start < end <= len(text):
            problem(f"offsets [{start}, {end}) are outside {name} ({len(text)} characters)")
            continue
        span = normalise(text[start:end])
        if span != quote:
            spans = find_all(text, quote)
            hint = f"; the quote is at [{spans[0][0]}, {spans[0][1]})" if len(spans) == 1 else ""
            problem(
                f"kz:quote does not match {name}[{start}:{end}], which reads {_clip(span)!r}{hint}"
            )
            continue
        actual = paragraph_of(text, start)
        if actual != paragraph:
            problem(f"kz:paragraph is {paragraph} but offset {start} is in paragraph {actual}")
    return problems


def _load_checked(path: Path, sha256: object) -> str | EvidenceProblem:
    """The source text, or a problem when it is missing or its checksum differs."""
    try:
        data = path.read_bytes()
    except OSError:
        return EvidenceProblem(URIRef(""), f"source file {path} is missing")
    if sha256 is not None:
        digest = hashlib.sha256(data).hexdigest()
        if digest != str(sha256).lower():
            return EvidenceProblem(
                URIRef(""), f"{path.name} has sha256 {digest}, but kz:sha256 says {sha256}"
            )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return EvidenceProblem(URIRef(""), f"source file {path} is not UTF-8")
