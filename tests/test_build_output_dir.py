"""``kzgraph build -o DIR``: nothing destroyed, the swap atomic, killed builds repaired.

Regressions of issue 17: ``-o ~/notes`` (or a typo such as ``-o data``) renamed the user's
directory aside and deleted it; the swap was two renames, and a kill between them left no
``dist/``; killed builds left ``.dist.new-*`` directories that no later build removed; nothing
was flushed before the rename; ``dist/`` was made 0755 whatever the umask.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from graph.cli.main import main
from graph.pipeline.build import MARKER, build, recover

from .conftest import MINI, REPO, problem_lines, snapshot


def mini_project(root: Path, label: str = "Jane Example") -> tuple[Path, Path]:
    """A copy of the mini project; ``label`` changes one literal so two versions differ."""
    project = root / "project"
    if not project.exists():
        shutil.copytree(MINI, project)
    data = project / "data" / "mini.trig"
    text = (MINI / "data" / "mini.trig").read_text(encoding="utf-8")
    data.write_text(text.replace('"Jane Example"@en', f'"{label}"@en'), encoding="utf-8")
    return project / "ontology", project / "data"


def build_args(out: Path, ontology: Path, data: Path) -> list[str]:
    return ["build", "-o", str(out), "--ontology", str(ontology), "--data", str(data)]


@pytest.mark.parametrize("name", ["notes", "data"])
def test_build_refuses_a_directory_it_did_not_write(tmp_path, capsys, name):
    """Bug: `-o ~/notes` or `-o data` renamed the directory aside and deleted it."""
    ontology, data = mini_project(tmp_path)
    victim = data if name == "data" else tmp_path / name
    victim.mkdir(exist_ok=True)
    (victim / "keep.txt").write_text("the user's own file")
    before = snapshot(victim)

    code = main(build_args(victim, ontology, data))

    err = capsys.readouterr().err
    assert code == 2
    assert len(problem_lines(err)) == 1 and "Traceback" not in err
    assert "not written by kzgraph build" in err and "refusing to replace" in err
    assert str(victim.name) in err
    assert snapshot(victim) == before
    assert not [p for p in victim.parent.iterdir() if p.name.startswith(f".{victim.name}.")]


def test_build_refuses_a_file(tmp_path, capsys):
    ontology, data = mini_project(tmp_path)
    target = tmp_path / "report.txt"
    target.write_text("not a directory")
    assert main(build_args(target, ontology, data)) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith("exists and is not a directory; refusing to replace it")
    assert target.read_text() == "not a directory"


def test_build_writes_into_an_empty_directory_and_marks_it(tmp_path):
    ontology, data = mini_project(tmp_path)
    out = tmp_path / "empty"
    out.mkdir()
    build(out, ontology_dir=ontology, data_dir=data)
    assert (out / MARKER).is_file() and (out / "kzgraph.nq").is_file()
    build(out, ontology_dir=ontology, data_dir=data)  # its own output: replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "project"]


def test_build_writes_through_a_symlinked_output_directory(tmp_path):
    ontology, data = mini_project(tmp_path)
    real = tmp_path / "real-dist"
    link = tmp_path / "dist"
    link.symlink_to(real.name)
    build(link, ontology_dir=ontology, data_dir=data)
    build(link, ontology_dir=ontology, data_dir=data)
    assert link.is_symlink() and (real / "kzgraph.nq").is_file()


def test_outputs_follow_the_umask(tmp_path):
    """Bug: dist/ was always 0755 (and -o files 0600), whatever the user's umask."""
    ontology, data = mini_project(tmp_path)
    old = os.umask(0o027)
    try:
        build(tmp_path / "dist", ontology_dir=ontology, data_dir=data)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "dist").stat().st_mode) == 0o750
    assert stat.S_IMODE((tmp_path / "dist" / "kzgraph.nq").stat().st_mode) == 0o640


def test_next_build_removes_debris_but_not_a_running_builds_directory(tmp_path):
    ontology, data = mini_project(tmp_path)
    dist = tmp_path / "dist"
    build(dist, ontology_dir=ontology, data_dir=data)
    stale = tmp_path / ".dist.new-killed1"
    stale.mkdir()
    (stale / "kzgraph.nq").write_text("half a file")
    running = tmp_path / ".dist.new-running"
    running.mkdir()
    fd = os.open(running, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        build(dist, ontology_dir=ontology, data_dir=data)
        assert not stale.exists()
        assert running.is_dir()
    finally:
        os.close(fd)
    assert recover(dist) == ["removed .dist.new-running"]


KILLER = """
import os, signal, sys
import graph.atomic as atomic
from graph.pipeline.build import build as run_build

point, out, ontology, data = sys.argv[1:5]
real_exchange, real_rename = atomic.exchange, os.rename


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def exchange(a, b):
    if point == "before-exchange":
        die()
    if point == "between-renames":
        return False  # as on a file system without RENAME_EXCHANGE
    done = real_exchange(a, b)
    if point == "after-exchange":
        die()
    return done


def rename(a, b):
    real_rename(a, b)
    if point == "between-renames" and ".old-" in str(b):
        die()


atomic.exchange = exchange
os.rename = rename
run_build(out, ontology_dir=ontology, data_dir=data)
"""


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before-exchange", "after-exchange", "between-renames"])
def test_a_build_killed_at_the_swap_leaves_the_last_good_output(tmp_path, capsys, point):
    """Bug: a kill between the two renames of the swap left no dist/ at all."""
    ontology, data = mini_project(tmp_path, "Jane Example")
    dist = tmp_path / "dist"
    build(dist, ontology_dir=ontology, data_dir=data)
    first = snapshot(dist)
    mini_project(tmp_path, "Jane Example, second version")
    second_dir = tmp_path / "reference"
    build(second_dir, ontology_dir=ontology, data_dir=data)
    second = snapshot(second_dir)
    assert first != second

    killed = subprocess.run(
        [sys.executable, "-c", KILLER, point, str(dist), str(ontology), str(data)],
        cwd=REPO,
        capture_output=True,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    debris = [p.name for p in tmp_path.iterdir() if p.name.startswith(".dist.")]
    assert debris, "the kill happened mid-swap, so something is left to repair"
    if point == "between-renames":
        assert not dist.exists()  # until the next start puts the old output back
    else:
        assert snapshot(dist) == (first if point == "before-exchange" else second)

    # the next start (here a build that then fails on bad data) repairs, and writes nothing
    (data / "broken.trig").write_text("this is not TriG\n", encoding="utf-8")
    assert main(build_args(dist, ontology, data)) == 2
    assert "broken.trig" in capsys.readouterr().err
    assert snapshot(dist) == (second if point == "after-exchange" else first)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist", "project", "reference"]


def test_an_unmarked_output_of_an_earlier_kzgraph_is_replaced_but_not_with_user_files(
    tmp_path, capsys
):
    """Outputs built before the marker existed are recognised by their file names alone."""
    ontology, data = mini_project(tmp_path)
    dist = tmp_path / "dist"
    build(dist, ontology_dir=ontology, data_dir=data)
    (dist / MARKER).unlink()
    build(dist, ontology_dir=ontology, data_dir=data)
    assert (dist / MARKER).is_file()

    (dist / MARKER).unlink()
    (dist / "my-notes.txt").write_text("mine")
    assert main(build_args(dist, ontology, data)) == 2
    assert "refusing to replace" in capsys.readouterr().err
    assert (dist / "my-notes.txt").read_text() == "mine"
