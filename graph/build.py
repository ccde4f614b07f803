"""Load, validate, optionally infer, and write every output into ``dist/`` atomically.

Outputs are written into a temporary sibling of ``out_dir`` which then replaces ``out_dir`` by
renames (old aside, new in, old removed). Any failure - invalid data included - leaves the
previous ``out_dir`` exactly as it was. Nothing written carries a timestamp, so two builds of
the same inputs are byte-identical.

Later features add files through :data:`ARTIFACT_WRITERS`: callables (or ``"module:function"``
strings, imported only when the build runs) taking ``(dataset, tmp_dir)``.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Dataset

from graph.errors import ValidationFailed
from graph.export import FORMATS, export, jsonld_context
from graph.infer import infer as run_inference
from graph.load import load_graph, rebase
from graph.namespaces import prefixes_for
from graph.paths import resolve_dir, source_dirs
from graph.stats import format_markdown, stats
from graph.validate import validate

ArtifactWriter = Callable[[Dataset, Path], None]

#: Extra outputs written inside the same atomic swap. Append a callable or "module:function".
ARTIFACT_WRITERS: list[ArtifactWriter | str] = [
    "graph.void:write_void",  # VoID + DCAT dataset description (void.ttl)
    "graph.view:write_build_view",  # the whole-graph network view (view.html)
]

#: The RDF outputs: file name -> export format.
RDF_OUTPUTS = {f"kzgraph.{fmt.extension}": name for name, fmt in FORMATS.items()}


@dataclass(frozen=True)
class BuildResult:
    """Where the outputs went, what they are, and the summary and report written."""

    out_dir: Path
    files: list[str]
    summary: dict[str, Any]
    report_text: str
    inferred: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def build(
    out_dir: str | os.PathLike[str] = "dist",
    infer: str | None = None,
    base: str | None = None,
    ontology_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    shapes_path: str | os.PathLike[str] | None = None,
    artifact_writers: Iterable[ArtifactWriter | str] | None = None,
) -> BuildResult:
    """Build every output into ``out_dir``.

    Args:
        out_dir: the output directory, replaced as a whole.
        infer: ``None``/``"none"``, ``"rdfs"`` or ``"owlrl"``; entailments go to kzg:inferred.
        base: publish under this base IRI instead of ``https://w3id.org/kzgraph/``
            (validation always runs on the canonical IRIs the shapes and checks use).
        ontology_dir, data_dir: input directories; default per :mod:`graph.paths`.
        shapes_path: SHACL shapes; default ``<ontology_dir>/shapes.ttl``.
        artifact_writers: extra writers; default :data:`ARTIFACT_WRITERS`.

    Raises:
        InputError: unreadable or malformed inputs (nothing written).
        ValidationFailed: the data does not conform (nothing written).
    """
    ont_dir = resolve_dir("ontology", ontology_dir)
    shapes_file = Path(shapes_path) if shapes_path is not None else ont_dir / "shapes.ttl"
    ds = load_graph(ont_dir, data_dir)
    result = validate(ds, shapes_file, ont_dir / "checks", source_dirs(data_dir))
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

    target = Path(out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.new-"))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; dist/ is for sharing
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
        _swap(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BuildResult(target, files, summary, result.report_text, inferred)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _resolve_writer(writer: ArtifactWriter | str) -> ArtifactWriter:
    if callable(writer):
        return writer
    module_name, _, attr = writer.partition(":")
    found: ArtifactWriter = getattr(importlib.import_module(module_name), attr)
    return found


def _swap(new: Path, target: Path) -> None:
    """Replace ``target`` with ``new``: old aside, new in, old removed; undo on failure."""
    if not target.exists():
        os.rename(new, target)
        return
    old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.old-"))
    os.rmdir(old)  # only the unique name was wanted
    os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)
