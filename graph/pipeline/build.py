"""Load, validate, optionally infer, and write every output into ``dist/`` atomically.

Outputs are written into a temporary sibling ``.NAME.new-*`` of ``out_dir``, flushed to disk,
and swapped with ``out_dir`` in one atomic step (``renameat2(RENAME_EXCHANGE)``; where the file
system cannot, two renames whose interruption the next build repairs). Any failure - invalid
data, a crash, ``kill -9`` - leaves the previous ``out_dir`` whole. A build writes only into a
directory that is new, empty, or marked as its own (:data:`MARKER`); it refuses any other, so a
typo such as ``-o data`` deletes nothing. Debris of killed builds is removed (or, after an
interrupted two-rename swap, put back) at the next start. Nothing written carries a timestamp,
so two builds of the same inputs are byte-identical.

Later features add files through :data:`ARTIFACT_WRITERS`: callables (or ``"module:function"``
strings, imported only when the build runs) taking ``(dataset, tmp_dir)``.
"""

from __future__ import annotations

import fcntl
import importlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Dataset

from graph import atomic
from graph.errors import InputError, ValidationFailed
from graph.inputs.locations import resolve_dir, source_dirs
from graph.inputs.reading import load_graph, rebase
from graph.inputs.writing import FORMATS, export, jsonld_context
from graph.namespaces import prefixes_for
from graph.pipeline.inference import infer as run_inference
from graph.pipeline.statistics import format_markdown, stats
from graph.pipeline.validation import validate

ArtifactWriter = Callable[[Dataset, Path], None]

#: Extra outputs written inside the same atomic swap. Append a callable or "module:function".
ARTIFACT_WRITERS: list[ArtifactWriter | str] = [
    "graph.pipeline.void:write_void",  # VoID + DCAT dataset description (void.ttl)
    "graph.explore.view:write_build_view",  # the whole-graph network view (view.html)
]

#: Written into every output directory: a build replaces only a directory that holds it.
MARKER = ".kzgraph-build"
MARKER_TEXT = (
    "This directory is written by `kzgraph build`, which replaces it as a whole on every build.\n"
    "Keep nothing else here.\n"
)

#: The RDF outputs: file name -> export format.
RDF_OUTPUTS = {f"kzgraph.{fmt.extension}": name for name, fmt in FORMATS.items()}
#: What builds wrote before the marker existed: a directory holding only these (and at least
#: kzgraph.nq and validation.txt) is an earlier build's output, replaced like a marked one.
UNMARKED_OUTPUTS = frozenset(
    [*RDF_OUTPUTS, "context.jsonld", "prefixes.json", "shapes.ttl", "validation.txt"]
    + [f"summary.{ext}" for ext in ("json", "md")]
    + ["void.ttl", "view.html"]  # the default ARTIFACT_WRITERS' files
)


@dataclass(frozen=True)
class BuildResult:
    """Where the outputs went, what they are, and the summary and report written."""

    out_dir: Path
    files: list[str]
    summary: dict[str, Any]
    report_text: str
    inferred: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    #: how many registered source texts were not found (``allow_missing_texts``)
    unchecked_texts: int = 0


def build(
    out_dir: str | os.PathLike[str] = "dist",
    infer: str | None = None,
    base: str | None = None,
    ontology_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    shapes_path: str | os.PathLike[str] | None = None,
    artifact_writers: Iterable[ArtifactWriter | str] | None = None,
    seeds_dir: str | os.PathLike[str] | None = None,
    allow_missing_texts: bool = False,
) -> BuildResult:
    """Build every output into ``out_dir``.

    Args:
        out_dir: the output directory, replaced as a whole.
        infer: ``None``/``"none"``, ``"rdfs"`` or ``"owlrl"``; entailments go to kzg:inferred.
        base: publish under this base IRI instead of ``https://w3id.org/kzgraph/``
            (validation always runs on the canonical IRIs the shapes and checks use).
        ontology_dir, data_dir: input directories; default per :mod:`graph.inputs.locations`.
        seeds_dir: the folder holding the source texts; default per
            :func:`graph.inputs.locations.source_dirs`.
        allow_missing_texts: build even when a registered source text is not found (its
            quotes are then not checked, and validation.txt says so).
        shapes_path: SHACL shapes; default ``<ontology_dir>/shapes.ttl``.
        artifact_writers: extra writers; default :data:`ARTIFACT_WRITERS`.

    Raises:
        InputError: unreadable or malformed inputs (nothing written).
        ValidationFailed: the data does not conform (nothing written).
    """
    target = prepare_output_dir(out_dir)
    if base is not None:
        check_base(base)
    ont_dir = resolve_dir("ontology", ontology_dir)
    shapes_file = Path(shapes_path) if shapes_path is not None else ont_dir / "shapes.ttl"
    ds = load_graph(ont_dir, data_dir)
    result = validate(
        ds,
        shapes_file,
        ont_dir / "checks",
        source_dirs(data_dir, seeds_dir),
        allow_missing_texts=allow_missing_texts,
    )
    if not result.conforms:
        raise ValidationFailed(
            "the data does not conform; nothing was written (run `kzgraph validate`)",
            report_text=result.report_text,
        )
    inferred = run_inference(ds, infer)
    if base is not None:
        ds = rebase(ds, base)
    prefixes = prefixes_for(base)
    summary = stats(ds, prefixes)
    writers = list(ARTIFACT_WRITERS if artifact_writers is None else artifact_writers)

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.new-"))
    owner = _hold(tmp)  # a live build's directory: the next build's clean-up leaves it alone
    try:
        tmp.chmod(0o777 & ~atomic.umask())  # mkdtemp makes it private; dist/ follows the umask
        for filename, fmt in RDF_OUTPUTS.items():
            (tmp / filename).write_bytes(export(ds, fmt, prefixes=prefixes))
        _write_json(tmp / "context.jsonld", jsonld_context(prefixes))
        _write_json(tmp / "prefixes.json", dict(sorted(prefixes.items())))
        _write_json(tmp / "summary.json", summary)
        (tmp / "summary.md").write_text(format_markdown(summary), encoding="utf-8")
        (tmp / "validation.txt").write_text(result.report_text, encoding="utf-8")
        shutil.copyfile(shapes_file, tmp / "shapes.ttl")
        for writer in writers:
            _resolve_writer(writer)(ds, tmp)
        files = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())
        (tmp / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        atomic.fsync_tree(tmp)
        _check_replaceable(target)  # again: the directory may have changed during the build
        _swap(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        os.close(owner)
    return BuildResult(
        Path(out_dir),
        files,
        summary,
        result.report_text,
        inferred,
        unchecked_texts=len(result.unchecked_texts),
    )


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _resolve_writer(writer: ArtifactWriter | str) -> ArtifactWriter:
    if callable(writer):
        return writer
    module_name, _, attr = writer.partition(":")
    found: ArtifactWriter = getattr(importlib.import_module(module_name), attr)
    return found


def check_base(base: str) -> None:
    """Refuse a ``--base`` that is not an absolute IRI ending in ``/`` or ``#``."""
    import pyoxigraph as ox

    try:
        ox.NamedNode(base)
    except ValueError as exc:
        raise InputError(f"--base {base!r} is not an absolute IRI ({exc})") from None
    if not base.endswith(("/", "#")):
        raise InputError(f"--base {base!r} must end with '/' or '#' (e.g. https://example.org/kz/)")


def prepare_output_dir(out_dir: str | os.PathLike[str]) -> Path:
    """The directory a build may replace, after clearing the debris of killed builds.

    A symlink is followed (the directory it points to is replaced, the link stays).

    Raises:
        InputError: the path is not a directory, or holds files a build did not write.
    """
    target = Path(os.path.realpath(out_dir))
    if target.parent.is_dir():
        recover(target)
    _check_replaceable(target)
    return target


def _check_replaceable(target: Path) -> None:
    if not target.exists():
        return
    if not target.is_dir():
        raise InputError("exists and is not a directory; refusing to replace it", target)
    if (target / MARKER).is_file() or not any(target.iterdir()):
        return
    entries = list(target.iterdir())
    names = {p.name for p in entries}
    if {"kzgraph.nq", "validation.txt"} <= names <= UNMARKED_OUTPUTS and all(
        p.is_file() and not p.is_symlink() for p in entries
    ):
        return  # written by a kzgraph build from before the marker
    raise InputError(
        f"not empty and not written by kzgraph build (no {MARKER} file); refusing to replace"
        " it: give a new or empty directory",
        target,
    )


def _hold(directory: Path) -> int:
    """Lock ``directory`` for this process (released when it exits, however it exits)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _debris(target: Path) -> list[Path]:
    """The ``.NAME.new-*`` and ``.NAME.old-*`` siblings that earlier builds left."""
    prefixes = (f".{target.name}.new-", f".{target.name}.old-")
    return sorted(
        p
        for p in target.parent.iterdir()
        if p.name.startswith(prefixes) and p.is_dir() and not p.is_symlink()
    )


def recover(target: Path) -> list[str]:
    """Clean up after killed builds; return what was done, one line per directory.

    A ``.NAME.new-*`` directory is a killed build's partial output, or (after the swap) the
    previous output on its way out: removed. A ``.NAME.old-*`` directory is the previous output
    set aside by a two-rename swap: put back when ``NAME`` is missing, else removed. A directory
    another build is still writing (it holds the lock) is left alone.
    """
    done = []
    for path in _debris(target):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a running build's
            if ".old-" in path.name and not os.path.lexists(target):
                os.rename(path, target)
                atomic.fsync_dir(target.parent)
                done.append(f"restored {target} from {path.name}")
            else:
                shutil.rmtree(path, ignore_errors=True)
                done.append(f"removed {path.name}")
        finally:
            os.close(fd)
    return done


def _swap(new: Path, target: Path) -> None:
    """Put ``new`` in place of ``target`` in one atomic step, then remove the old output."""
    if not target.exists():
        os.rename(new, target)
        atomic.fsync_dir(target.parent)
        return
    if atomic.exchange(new, target):
        atomic.fsync_dir(target.parent)
        shutil.rmtree(new, ignore_errors=True)  # now the previous output
        return
    # The file system cannot exchange: old aside, new in. A kill between the two renames leaves
    # no target but a .NAME.old-* directory, which the next build's recover() puts back.
    old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
    held = _hold(target)  # the lock moves with it: no other build restores it meanwhile
    try:
        os.rename(target, old)
        try:
            os.rename(new, target)
        except BaseException:
            os.rename(old, target)
            raise
        atomic.fsync_dir(target.parent)
    finally:
        os.close(held)
    shutil.rmtree(old, ignore_errors=True)
