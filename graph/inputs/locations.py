"""Where the inputs live: one resolution rule for ontology/, data/, queries and source texts.

Order for ontology/ and data/, as a user working in a project expects:

1. an explicit argument (``--ontology DIR`` / ``--data DIR``);
2. ``$KZGRAPH_HOME/<name>``;
3. the working copy: the current directory or its nearest parent holding ``ontology/kzgraph.ttl``
   (found the way git finds ``.git``);
4. only then the packaged copy: ``graph/_resources/`` in an installed wheel, or the checkout the
   package runs from (an editable install or a source tree run without installing).

Every command that reads the inputs says which directories it read, on stderr
(:func:`describe_inputs`). Source texts (``kz:localFile`` of a registered source) are looked up
in the folders :func:`source_dirs` lists.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = PACKAGE_DIR.parent
RESOURCES_DIR = PACKAGE_DIR / "_resources"

#: The file that marks a project root (as ``.git`` marks a repository).
MARKER = Path("ontology") / "kzgraph.ttl"

GIVEN = "given"
HOME = "$KZGRAPH_HOME"
WORKING_COPY = "working copy"
PACKAGED = "packaged copy"
CHECKOUT = "kzgraph's own checkout"


@dataclass(frozen=True)
class InputDir:
    """A resolved input directory and why it was chosen (one of the origins above)."""

    path: Path
    origin: str


def find_project_root(start: str | os.PathLike[str] | None = None) -> Path | None:
    """``start`` (default: the current directory) or its nearest parent holding the marker."""
    here = Path.cwd() if start is None else Path(start)
    here = here.resolve()
    for folder in (here, *here.parents):
        if (folder / MARKER).is_file():
            return folder
    return None


def packaged_root() -> InputDir:
    """The copy shipped with the package: the wheel's resources, else the checkout it runs from."""
    if (RESOURCES_DIR / MARKER).is_file():
        return InputDir(RESOURCES_DIR, PACKAGED)
    return InputDir(REPO_ROOT, CHECKOUT)


def locate_dir(name: str, explicit: str | os.PathLike[str] | None = None) -> InputDir:
    """The input directory ``name`` (``"ontology"`` or ``"data"``) and its origin."""
    if explicit is not None:
        return InputDir(Path(explicit), GIVEN)
    home = os.environ.get("KZGRAPH_HOME")
    if home:
        return InputDir(Path(home) / name, HOME)
    root = find_project_root()
    if root is not None:
        return InputDir(root / name, WORKING_COPY)
    packaged = packaged_root()
    return InputDir(packaged.path / name, packaged.origin)


def resolve_dir(name: str, explicit: str | os.PathLike[str] | None = None) -> Path:
    """The input directory ``name`` (``"ontology"`` or ``"data"``), by the order above."""
    return locate_dir(name, explicit).path


def describe_inputs(
    ontology: str | os.PathLike[str] | None = None, data: str | os.PathLike[str] | None = None
) -> str:
    """One line saying which ``ontology/`` and ``data/`` are read, and why those."""
    ont, dat = locate_dir("ontology", ontology), locate_dir("data", data)
    ont_path, dat_path = ont.path.absolute(), dat.path.absolute()
    if (
        ont.origin == dat.origin
        and ont_path.name == "ontology"
        and dat_path.name == "data"
        and ont_path.parent == dat_path.parent
    ):
        return f"kzgraph: reading ontology/ and data/ from {ont_path.parent} ({ont.origin})"
    return (
        f"kzgraph: reading the ontology from {ont_path} ({ont.origin})"
        f" and the data from {dat_path} ({dat.origin})"
    )


def queries_dir() -> Path:
    """The query catalogue, always shipped inside the package."""
    return PACKAGE_DIR / "sparql" / "queries"


def seeds_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The shared source texts: explicit, ``$KZGRAPH_SEEDS``, else ``<project>/../shared/seeds``.

    The project is the working copy (or ``$KZGRAPH_HOME``), else kzgraph's own checkout.
    """
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get("KZGRAPH_SEEDS")
    if env:
        return Path(env)
    home = os.environ.get("KZGRAPH_HOME")
    root = Path(home) if home else find_project_root() or REPO_ROOT
    return root.parent / "shared" / "seeds"


def source_dirs(
    data_dir: str | os.PathLike[str] | None = None,
    explicit: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """Where a registered source's ``kz:localFile`` (a relative path) is looked for, in order.

    With ``explicit`` (``--seeds``) or ``$KZGRAPH_SEEDS``: that folder, then the project folder
    (the parent of the data directory). Otherwise the project's ``../shared/seeds``, kzgraph's
    own checkout's ``../shared/seeds`` (where CI keeps the seeds beside the clone), then the
    project folder itself (a source text kept inside the project, e.g. ``sources/x.txt``).
    """
    project = resolve_dir("data", data_dir).absolute().parent
    if explicit is not None or os.environ.get("KZGRAPH_SEEDS"):
        found = [seeds_dir(explicit).absolute(), project]
    else:
        found = [project.parent / "shared" / "seeds", seeds_dir().absolute(), project]
    unique: list[Path] = []
    for folder in found:
        if folder not in unique:
            unique.append(folder)
    return unique


def init_project(target: str | os.PathLike[str]) -> list[Path]:
    """Start a new project in ``target`` from the packaged ``ontology/`` and ``data/``.

    ``target`` may not exist yet or must be an empty directory; nothing is overwritten.
    Returns the files written, relative to ``target``.

    Raises:
        InputError: ``target`` is a file or a non-empty directory.
    """
    import shutil

    from graph.errors import InputError

    folder = Path(target)
    if folder.exists() and not folder.is_dir():
        raise InputError("not a directory", folder)
    if folder.is_dir() and any(folder.iterdir()):
        raise InputError("directory is not empty; `kzgraph init` starts a new project", folder)
    source = packaged_root().path
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in ("ontology", "data"):
        shutil.copytree(source / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        written.extend(
            sorted(p.relative_to(folder) for p in (folder / name).rglob("*") if p.is_file())
        )
    return written


def ontology_files(ontology_dir: Path) -> list[Path]:
    """The Turtle files that make up ``kzg:ontology``: every ``*.ttl`` but the shapes."""
    return sorted(p for p in ontology_dir.glob("*.ttl") if not p.name.endswith("shapes.ttl"))


def input_files(ontology_dir: Path, data_dir: Path) -> list[Path]:
    """Every file the loader reads: the ontology's Turtle, then ``data/*.trig`` and ``*.ttl``.

    Raises:
        InputError: one of them is not a regular file (reading a FIFO would hang).
    """
    files = (
        ontology_files(ontology_dir)
        + sorted(data_dir.glob("*.trig"))
        + sorted(data_dir.glob("*.ttl"))
    )
    for path in files:
        require_regular_file(path)
    return files


def require_regular_file(path: Path) -> None:
    """Refuse a FIFO, device or socket named like an input: reading one would hang or never end."""
    import stat

    from graph.errors import InputError

    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path) from None
    if not stat.S_ISREG(mode):
        raise InputError(
            "not a regular file (a FIFO, device or socket?); refusing to read it", path
        )
