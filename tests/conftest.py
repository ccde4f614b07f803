"""Shared fixtures: the real project loaded and built once per session, and scratch copies."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from rdflib import Dataset

from graph.inputs.reading import load_graph
from graph.pipeline.build import BuildResult, build

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
MINI = FIXTURES / "mini"
ONTOLOGY = REPO / "ontology"
DATA = REPO / "data"


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    """The real ontology and data, loaded once. Tests must not change it."""
    return load_graph(ONTOLOGY, DATA)


@pytest.fixture(scope="session")
def mini_dataset() -> Dataset:
    """The miniature fixture project (tests/fixtures/mini)."""
    return load_graph(MINI / "ontology", MINI / "data")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The real project built once into a scratch dist/."""
    out = tmp_path_factory.mktemp("built") / "dist"
    return build(out, ontology_dir=ONTOLOGY, data_dir=DATA)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch copy of the real ontology/ and data/, to add one bad file to."""
    shutil.copytree(ONTOLOGY, tmp_path / "ontology")
    shutil.copytree(DATA, tmp_path / "data")
    return tmp_path


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` with its bytes, to compare before and after."""
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


#: The first line every command that reads the inputs prints on stderr (issue 15).
INPUTS_LINE = re.compile(r"kzgraph: reading (ontology/ and data/|the ontology) from ")


def problem_lines(err: str) -> list[str]:
    """stderr without the line that says which inputs were read: what a command complained of."""
    return [line for line in err.splitlines() if not INPUTS_LINE.match(line)]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """After a run with W3C conformance tests: their counts, and the known deviations list."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "xfailed", "xpassed", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if "test_w3c_" not in nodeid or getattr(report, "when", "call") not in (
                "call",
                "setup",
            ):
                continue
            if outcome == "passed" and report.when != "call":
                continue
            door = nodeid.split("::")[-1].split("[")[0]
            counts.setdefault(door, {}).setdefault(outcome, 0)
            counts[door][outcome] += 1
    if not counts:
        return
    from tests.w3c_deviations import API_DEVIATIONS, DEVIATIONS, W3C

    terminalreporter.section("W3C SPARQL 1.1 conformance")
    for door, by_outcome in sorted(counts.items()):
        if sum(by_outcome.values()) > 1:  # the parametrised tests: one per W3C test
            line = ", ".join(f"{n} {outcome}" for outcome, n in sorted(by_outcome.items()))
            terminalreporter.write_line(f"{door}: {line}")
    terminalreporter.write_line("known engine deviations (tests/w3c_deviations.py):")
    listed = list(DEVIATIONS) + list(API_DEVIATIONS)
    for known in listed:
        terminalreporter.write_line(
            f"  {known.test.removeprefix(W3C)} [{known.engine}]: {known.reason}."
            f" Upstream: {known.upstream}"
        )
