"""Where the inputs live: one resolution rule for ontology/, data/, the queries and the seeds.

Order for ontology/ and data/: an explicit argument, then ``$KZGRAPH_HOME/<name>``, then the
repository checkout next to the package (when it holds ``ontology/kzgraph.ttl``), then the copies
packaged in the wheel under ``graph/_resources/``.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
RESOURCES_DIR = PACKAGE_DIR / "_resources"


def _checkout_root() -> Path | None:
    """The repository root when the package runs from a checkout (or an editable install)."""
    if (REPO_ROOT / "ontology" / "kzgraph.ttl").is_file():
        return REPO_ROOT
    return None


def resolve_dir(name: str, explicit: str | os.PathLike[str] | None = None) -> Path:
    """The input directory ``name`` (``"ontology"`` or ``"data"``), by the order above."""
    if explicit is not None:
        return Path(explicit)
    home = os.environ.get("KZGRAPH_HOME")
    if home:
        return Path(home) / name
    root = _checkout_root()
    if root is not None:
        return root / name
    return RESOURCES_DIR / name


def queries_dir() -> Path:
    """The query catalogue, always shipped inside the package."""
    return PACKAGE_DIR / "queries"


def seeds_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The source texts: explicit, then ``$KZGRAPH_SEEDS``, then ``../shared/seeds`` of the repo."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get("KZGRAPH_SEEDS")
    if env:
        return Path(env)
    return REPO_ROOT.parent / "shared" / "seeds"


def ontology_files(ontology_dir: Path) -> list[Path]:
    """The Turtle files that make up ``kzg:ontology``: every ``*.ttl`` but the shapes."""
    return sorted(p for p in ontology_dir.glob("*.ttl") if not p.name.endswith("shapes.ttl"))


def input_files(ontology_dir: Path, data_dir: Path) -> list[Path]:
    """Every file the loader reads: the ontology's Turtle, then ``data/*.trig`` and ``*.ttl``."""
    return (
        ontology_files(ontology_dir)
        + sorted(data_dir.glob("*.trig"))
        + sorted(data_dir.glob("*.ttl"))
    )
