"""Valid and invalid example files side by side: each is added to a copy of the real project.

Every file in fixtures/invalid/ says in its header what it must trigger::

    # must fail: load | validate
    # expect: <text>          (one or more; for load, the exact error after the directory)

For each, ``kzgraph build`` must exit non-zero with that message and leave an existing dist/
byte-for-byte unchanged. The file in fixtures/valid/ must build.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graph.cli.main import main

from .conftest import FIXTURES, problem_lines, snapshot

INVALID = sorted((FIXTURES / "invalid").glob("*.trig"))
VALID = sorted((FIXTURES / "valid").glob("*.trig"))


def header(path: Path) -> tuple[str, list[str]]:
    stage, expected = "", []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# must fail:"):
            stage = line.split(":", 1)[1].strip()
        elif line.startswith("# expect:"):
            expected.append(line.split(":", 1)[1].strip())
    return stage, expected


def test_every_invalid_example_says_what_it_must_trigger():
    assert len(INVALID) >= 10
    for path in INVALID:
        stage, expected = header(path)
        assert stage in {"load", "validate"}, path.name
        assert expected, path.name


@pytest.mark.slow
@pytest.mark.parametrize("example", INVALID, ids=lambda p: p.stem)
def test_invalid_example_fails_build_and_keeps_dist(example, project, built, capsys):
    stage, expected = header(example)
    shutil.copy(example, project / "data" / example.name)
    dist = project / "dist"
    shutil.copytree(built.out_dir, dist)
    before = snapshot(dist)

    code = main(
        [
            "build",
            "-o",
            str(dist),
            "--ontology",
            str(project / "ontology"),
            "--data",
            str(project / "data"),
        ]
    )

    err = capsys.readouterr().err
    assert snapshot(dist) == before
    assert sorted(p.name for p in project.iterdir()) == ["data", "dist", "ontology"]
    if stage == "load":
        assert code == 2
        assert problem_lines(err) == [f"kzgraph: {project / 'data'}/{expected[0]}"]
    else:
        assert code == 1
        report = [line.strip() for line in err.splitlines()]
        for text in expected:
            assert any(line.startswith(text) for line in report), (text, err)
        assert err.splitlines()[-1] == (
            "kzgraph: the data does not conform; nothing was written (run `kzgraph validate`)"
        )
        assert "Traceback" not in err


@pytest.mark.slow
@pytest.mark.parametrize("example", VALID, ids=lambda p: p.stem)
def test_valid_example_builds(example, project, capsys):
    shutil.copy(example, project / "data" / example.name)
    shutil.copy(example.parent / "test-article.txt", project / "test-article.txt")
    code = main(
        [
            "build",
            "-o",
            str(project / "dist"),
            "--ontology",
            str(project / "ontology"),
            "--data",
            str(project / "data"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "kze:test-" in (project / "dist" / "kzgraph.trig").read_text(encoding="utf-8")
