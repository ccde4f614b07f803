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
import functools
import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, XSD
from rdflib.namespace import SDO as SCHEMA

from graph.errors import InputError
from graph.inputs.locations import source_dirs as default_source_dirs
from graph.inputs.reading import PROVENANCE_GRAPH, SOURCES_GRAPH
from graph.namespaces import KZ, KZR

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


@functools.lru_cache(maxsize=8)
def _normalised_with_map(text: str) -> tuple[str, list[int]]:
    """The text with whitespace runs as single spaces, and each output char's source index
    (remembered for the last few texts: every quote of an article is looked up in the same)."""
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
    """The source document in kzg:sources whose ``kz:localFile`` is ``filename`` (or ends in it)."""
    sources = ds.graph(SOURCES_GRAPH)
    found = sorted(
        s
        for s, local in sources.subject_objects(KZ.localFile)
        if isinstance(s, URIRef)
        and (str(local) == filename or Path(str(local)).name == Path(filename).name)
    )
    return found[0] if found else None


SourceDirs = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None


def _dirs(folders: SourceDirs) -> list[Path]:
    """The folders to look in: as given (one or several), else the default source folders."""
    if folders is None:
        return default_source_dirs()
    if isinstance(folders, str | os.PathLike):
        return [Path(folders)]
    return [Path(f) for f in folders]


def find_source_text(local: str, folders: Sequence[Path]) -> Path | None:
    """The first ``folder / local`` that is a file, or None."""
    for folder in folders:
        if (folder / local).is_file():
            return folder / local
    return None


def source_text_path(ds: Dataset, source: URIRef, folders: SourceDirs = None) -> Path:
    """The file holding the text of the registered source ``source`` (found by its IRI).

    Raises:
        InputError: the source is not registered, or its text is not where it should be.
    """
    dirs = _dirs(folders)
    local = ds.graph(SOURCES_GRAPH).value(source, KZ.localFile)
    if local is None:
        raise InputError(f"{source} is not a registered source (no kz:localFile in kzg:sources)")
    found = find_source_text(str(local), dirs)
    if found is None:
        raise InputError(_missing_message(str(local), dirs), str(local))
    return found


def _missing_message(local: str, dirs: Sequence[Path]) -> str:
    where = ", ".join(str(d) for d in dirs)
    return (
        f"the registered source text {local} is missing (looked in {where}); put it there,"
        " name its folder with --seeds or $KZGRAPH_SEEDS, or build --without-source-texts"
        " to leave its quotes unchecked"
    )


@dataclass(frozen=True)
class EvidenceProblem:
    """A recorded quote (or a registered source) that does not match its source text."""

    assertion: URIRef
    message: str
    #: True when the problem is that the source text was not found (nothing could be checked)
    missing_text: bool = False

    def __str__(self) -> str:
        return f"{self.assertion}: {self.message}"


def verify_evidence(ds: Dataset, seeds_dir: SourceDirs = None) -> list[EvidenceProblem]:
    """Check every registered source text and every kz:Assertion's evidence against it.

    For each source in kzg:sources with a ``kz:localFile``: the file must exist in one of the
    folders (``seeds_dir``: one folder or several, default per
    :func:`graph.inputs.locations.source_dirs`)
    and match its ``kz:sha256``. A missing text is a failure, never a skip. For each assertion
    (its source is its ``prov:wasDerivedFrom``): the span ``[startOffset, endOffset)`` must read
    exactly the quote (whitespace layout aside) with no whitespace at either end, the quote must
    occur only once in the text, the paragraph must be right, and every ``schema:text`` in the
    assertion's own graph (a claim's verbatim words) must lie inside the quote.
    """
    folders = _dirs(seeds_dir)
    provenance = ds.graph(PROVENANCE_GRAPH)
    sources = ds.graph(SOURCES_GRAPH)
    texts: dict[URIRef, str | None] = {}
    problems: list[EvidenceProblem] = []
    for source in sorted(s for s in sources.subjects(KZ.localFile) if isinstance(s, URIRef)):
        local = str(sources.value(source, KZ.localFile))
        path = find_source_text(local, folders)
        if path is None:
            problems.append(EvidenceProblem(source, _missing_message(local, folders), True))
            texts[source] = None
            continue
        loaded = _load_checked(path, sources.value(source, KZ.sha256))
        if isinstance(loaded, EvidenceProblem):
            problems.append(EvidenceProblem(source, loaded.message))
            texts[source] = None
        else:
            texts[source] = loaded
    assertions = sorted(
        a for a in provenance.subjects(RDF.type, KZ.Assertion) if isinstance(a, URIRef)
    )
    for assertion in assertions:
        derived = provenance.value(assertion, PROV.wasDerivedFrom)
        if not isinstance(derived, URIRef) or derived not in texts:
            problems.append(
                EvidenceProblem(assertion, f"source {derived} has no kz:localFile in kzg:sources")
            )
            continue
        text = texts[derived]
        if text is None:
            continue  # reported once, on the source
        name = str(sources.value(derived, KZ.localFile))
        problems.extend(
            EvidenceProblem(assertion, message)
            for message in _check_assertion(ds, assertion, text, name)
        )
    return problems


def _check_assertion(ds: Dataset, assertion: URIRef, text: str, name: str) -> list[str]:
    """The problems of one assertion's evidence against its source ``text``."""
    provenance = ds.graph(PROVENANCE_GRAPH)
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
        return ["missing " + ", ".join(k for k, v in values.items() if v is None)]
    try:
        start, end, paragraph = (int(str(values[k])) for k in ("start", "end", "paragraph"))
    except ValueError:
        return ["paragraph and offsets must be integers"]
    quote = str(values["quote"])
    if not 0 <= start < end <= len(text):
        return [f"offsets [{start}, {end}) are outside {name} ({len(text)} characters)"]
    raw = text[start:end]
    span = normalise(raw)
    if span != quote:
        spans = find_all(text, quote)
        hint = f"; the quote is at [{spans[0][0]}, {spans[0][1]})" if len(spans) == 1 else ""
        return [f"kz:quote does not match {name}[{start}:{end}], which reads {_clip(span)!r}{hint}"]
    found: list[str] = []
    if raw != raw.strip():
        ends = [
            w for w, stray in (("start", raw[0].isspace()), ("end", raw[-1].isspace())) if stray
        ]
        exact = (start + len(raw) - len(raw.lstrip()), end - (len(raw) - len(raw.rstrip())))
        found.append(
            f"the span {name}[{start}:{end}] has stray whitespace at its {' and '.join(ends)};"
            f" the exact span is [{exact[0]}, {exact[1]})"
        )
    occurrences = find_all(text, quote)
    if len(occurrences) > 1:
        where = ", ".join(str(s) for s, _e in occurrences[:5])
        found.append(
            f"kz:quote occurs {len(occurrences)} times in {name} (at offsets {where});"
            " quote more words to make it unique"
        )
    actual = paragraph_of(text, start)
    if actual != paragraph:
        found.append(f"kz:paragraph is {paragraph} but offset {start} is in paragraph {actual}")
    for subject, said in sorted(ds.graph(assertion).subject_objects(SCHEMA.text)):
        if normalise(str(said)) not in quote:
            found.append(
                f"the schema:text of {_short(ds, subject)} is not inside the graph's kz:quote:"
                f" {_clip(normalise(str(said)))!r}"
            )
    return found


def _short(ds: Dataset, term: object) -> str:
    """A prefixed name where one fits (messages a person reads)."""
    try:
        return str(ds.namespace_manager.normalizeUri(term))  # type: ignore[arg-type]
    except Exception:
        return str(term)


def _load_checked(path: Path, sha256: object) -> str | EvidenceProblem:
    """The source text, or a problem when it is unreadable or its checksum differs."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return EvidenceProblem(URIRef(""), f"cannot read {path}: {exc.strerror or exc}")
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


# -- Registering a source text --

SOURCES_FILE = "sources.trig"
_NEEDED_PREFIXES = {
    "kz": "https://w3id.org/kzgraph/ontology#",
    "kzr": "https://w3id.org/kzgraph/id/",
    "kzg": "https://w3id.org/kzgraph/graph/",
    "schema": "https://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "dct": "http://purl.org/dc/terms/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
_DATE_TYPES = (
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "date"),
    (re.compile(r"\d{4}-\d{2}"), "gYearMonth"),
    (re.compile(r"\d{4}"), "gYear"),
)


@dataclass(frozen=True)
class RegisteredSource:
    """A source text registered in kzg:sources by :func:`register_source`."""

    iri: URIRef
    local_file: str
    sha256: str
    written: Path
    block: str


def slugify(text: str) -> str:
    """A readable IRI slug: lower-case ASCII letters and digits joined by hyphens."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].rstrip("-")


def register_source(
    file: str | os.PathLike[str],
    title: str,
    url: str,
    outlet: str,
    published: str,
    *,
    ontology_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    seeds: str | os.PathLike[str] | None = None,
    slug: str | None = None,
    language: str = "en",
    opinion: bool = False,
) -> RegisteredSource:
    """Register the source text ``file`` in ``data/sources.trig`` (graph kzg:sources).

    Records its IRI (``kzr:article-<slug of title>`` unless ``slug`` is given), title, URL,
    outlet (a kz:NewsOutlet, reused when one of that name exists), publication date, language,
    SHA-256 and ``kz:localFile``: its path relative to the first folder of
    :func:`graph.inputs.locations.source_dirs` that holds it, so that ``kzgraph locate`` and the
    evidence
    checks find the text by the source's IRI. Nothing is written unless every check passes.

    Raises:
        InputError: the file is unreadable, not UTF-8 or outside the source folders; the IRI is
            taken; the text is already registered; the URL or date is malformed.
    """
    from graph.inputs.locations import resolve_dir
    from graph.inputs.locations import source_dirs as source_folders
    from graph.inputs.reading import load_graph
    from graph.inputs.writing import write_atomic

    path = Path(file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the source text: {exc.strerror or exc}", path) from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path) from None
    digest = hashlib.sha256(data).hexdigest()
    if not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", url):
        raise InputError(f"--url must be an http(s) URL without spaces: {url!r}")
    datatype = next((kind for pattern, kind in _DATE_TYPES if pattern.fullmatch(published)), None)
    if datatype is None or Literal(published, datatype=XSD[datatype]).ill_typed:
        raise InputError(f"--published must be a date YYYY-MM-DD (or YYYY-MM, YYYY): {published!r}")
    if not title.strip() or not outlet.strip():
        raise InputError("--title and --outlet must not be empty")

    folders = source_folders(data_dir, seeds)
    local = _relative_to_any(path, folders)
    if local is None:
        where = ", ".join(str(f) for f in folders)
        raise InputError(
            f"the source text must lie in a source folder ({where}); move it there or name"
            " its folder with --seeds",
            path,
        )

    ds = load_graph(ontology_dir, data_dir)
    sources = ds.graph(SOURCES_GRAPH)
    for existing, known in sources.subject_objects(KZ.sha256):
        if str(known).lower() == digest:
            short = ds.namespace_manager.normalizeUri(existing)  # type: ignore[arg-type]
            raise InputError(f"this text is already registered as {short}", path)
    name = slug or "article-" + slugify(title)
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name):
        raise InputError(f"--id must be a slug of lower-case letters, digits and hyphens: {name!r}")
    iri = KZR[name]
    if (iri, None, None) in ds or (None, None, iri) in ds:
        raise InputError(f"kzr:{name} is already used; choose another --id")

    outlet_iri, new_outlet = _outlet(ds, outlet)
    kind = "schema:OpinionNewsArticle" if opinion else "schema:NewsArticle"
    lines = [
        f"# -- Source: {_comment(title)} (registered by `kzgraph add-source`) --",
        "kzg:sources {",
        f"    kzr:{name} a {kind} , prov:Entity ;",
        f"        rdfs:label {Literal(title, lang='en').n3()} ;",
        f"        dct:title {Literal(title, lang='en').n3()} ;",
        f"        dct:language {Literal(language).n3()} ;",
        f"        schema:url <{url}> ;",
        f'        schema:datePublished "{published}"^^xsd:{datatype} ;',
        f"        schema:publisher kzr:{outlet_iri[len(KZR) :]} ;",
        f"        kz:localFile {Literal(local).n3()} ;",
        f'        kz:sha256 "{digest}" .',
    ]
    if new_outlet:
        lines += [
            "",
            f"    kzr:{outlet_iri[len(KZR) :]} a kz:NewsOutlet ;",
            f"        rdfs:label {Literal(outlet, lang='en').n3()} .",
        ]
    lines.append("}")
    block = "\n".join(lines) + "\n"

    target = resolve_dir("data", data_dir) / SOURCES_FILE
    before = target.read_text(encoding="utf-8") if target.is_file() else ""
    declared = set(re.findall(r"(?im)^\s*@prefix\s+([\w.-]*):", before))
    missing = [f"@prefix {p}: <{ns}> ." for p, ns in _NEEDED_PREFIXES.items() if p not in declared]
    header = "\n".join(missing) + "\n\n" if missing else ""
    text = before + ("\n" if before and not before.endswith("\n") else "")
    text += ("\n" if before else "") + header + block
    check = Dataset()
    try:
        check.parse(data=text, format="trig")
    except Exception as exc:  # never write a file that would not load
        raise InputError(f"the new block would not parse: {exc}", target) from None
    write_atomic(target, text.encode("utf-8"))
    return RegisteredSource(iri, local, digest, target, block)


def _relative_to_any(path: Path, folders: Sequence[Path]) -> str | None:
    """``path`` relative to the first of ``folders`` that holds it (POSIX form), or None."""
    resolved = path.resolve()
    for folder in folders:
        try:
            return resolved.relative_to(folder.resolve()).as_posix()
        except ValueError:
            continue
    return None


def _outlet(ds: Dataset, name: str) -> tuple[URIRef, bool]:
    """The outlet called ``name`` (an existing kz:NewsOutlet of that label), or a new IRI."""
    wanted = name.strip().casefold()
    outlets = sorted(o for o in ds.subjects(RDF.type, KZ.NewsOutlet) if isinstance(o, URIRef))
    for outlet in outlets:
        for label in ds.objects(outlet, RDFS.label):
            if str(label).strip().casefold() == wanted:
                return outlet, False
    iri = KZR[slugify(name) or "outlet"]
    if (iri, None, None) in ds:
        raise InputError(f"kzr:{slugify(name)} exists but is not a news outlet named {name!r}")
    return iri, True


def _comment(text: str) -> str:
    return " ".join(text.split())
