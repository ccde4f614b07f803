"""The package: public API, fast import, input directory resolution, packaging config."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib

import pytest

import graph
from graph.cli.main import main
from graph.errors import InputError
from graph.inputs import locations as loc

from .conftest import MINI, REPO


def test_public_api():
    for name in ("load_graph", "validate", "build", "export", "stats", "query", "list_queries"):
        assert callable(getattr(graph, name)), name
    assert issubclass(graph.KzGraphError, Exception)
    assert graph.__version__


def test_import_is_light():
    code = (
        "import sys, graph; heavy = ['pyshacl', 'owlrl', 'networkx', 'pyvis'];"
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


@pytest.fixture
def clean_env(monkeypatch):
    """No $KZGRAPH_HOME or $KZGRAPH_SEEDS from the caller's shell."""
    monkeypatch.delenv("KZGRAPH_HOME", raising=False)
    monkeypatch.delenv("KZGRAPH_SEEDS", raising=False)
    return monkeypatch


def test_resolution_order(tmp_path, clean_env):
    clean_env.chdir(REPO)
    assert loc.resolve_dir("data", tmp_path) == tmp_path
    assert loc.locate_dir("data") == loc.InputDir(REPO / "data", loc.WORKING_COPY)
    clean_env.setenv("KZGRAPH_HOME", str(tmp_path))
    assert loc.locate_dir("ontology") == loc.InputDir(tmp_path / "ontology", loc.HOME)
    assert loc.resolve_dir("ontology", "explicit") == loc.Path("explicit")


def test_working_copy_is_the_nearest_parent_holding_the_ontology(tmp_path, clean_env):
    shutil.copytree(MINI, tmp_path / "project")
    deep = tmp_path / "project" / "notes" / "drafts"
    deep.mkdir(parents=True)
    clean_env.chdir(deep)
    assert loc.find_project_root() == tmp_path / "project"
    assert loc.locate_dir("data") == loc.InputDir(tmp_path / "project" / "data", loc.WORKING_COPY)
    assert loc.describe_inputs() == (
        f"kzgraph: reading ontology/ and data/ from {tmp_path / 'project'} (working copy)"
    )


def test_packaged_copies_are_the_last_resort(tmp_path, clean_env):
    clean_env.chdir(tmp_path)  # no project here or above
    assert loc.find_project_root() is None
    resources = tmp_path / "_resources"
    clean_env.setattr(loc, "RESOURCES_DIR", resources)
    # an editable install or a source run: the checkout kzgraph runs from
    assert loc.locate_dir("data") == loc.InputDir(REPO / "data", loc.CHECKOUT)
    shutil.copytree(MINI / "ontology", resources / "ontology")
    assert loc.locate_dir("data") == loc.InputDir(resources / "data", loc.PACKAGED)


def test_describe_inputs_names_each_directory_and_why(tmp_path, clean_env):
    clean_env.chdir(REPO)
    line = loc.describe_inputs(tmp_path / "ont", None)
    assert line == (
        f"kzgraph: reading the ontology from {tmp_path / 'ont'} (given)"
        f" and the data from {REPO / 'data'} (working copy)"
    )


def test_seeds_dir(tmp_path, clean_env):
    clean_env.chdir(REPO)
    assert loc.seeds_dir() == REPO.parent / "shared" / "seeds"
    clean_env.setenv("KZGRAPH_SEEDS", str(tmp_path))
    assert loc.seeds_dir() == tmp_path
    assert loc.source_dirs(REPO / "data") == [tmp_path, REPO]
    clean_env.delenv("KZGRAPH_SEEDS")
    assert loc.source_dirs(REPO / "data") == [REPO.parent / "shared" / "seeds", REPO]


def test_init_copies_the_packaged_project_and_refuses_a_non_empty_directory(tmp_path):
    written = loc.init_project(tmp_path / "new")
    assert loc.Path("ontology/kzgraph.ttl") in written
    assert loc.Path("data/sources.trig") in written
    for name in written:
        assert (tmp_path / "new" / name).read_bytes() == (REPO / name).read_bytes()
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine\n")
    with pytest.raises(InputError, match="not empty"):
        loc.init_project(tmp_path / "busy")
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine\n"  # nothing lost


def _mini_project(tmp_path: loc.Path) -> loc.Path:
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    (project / "sub").mkdir()
    return project


def test_an_edit_in_the_working_copy_reaches_the_build(tmp_path, clean_env, capsys):
    """The source/editable path: run inside a project, its files are read, not the package's."""
    project = _mini_project(tmp_path)
    clean_env.chdir(project / "sub")
    assert main(["build", "-o", str(tmp_path / "dist")]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"kzgraph: reading ontology/ and data/ from {project} (working copy)")

    # a fact added as data/README.md says: locate the quote, paste the block, write the graph
    assert main(["locate", "kzr:source-mini", "It raised the quota from 12 to 15."]) == 0
    block = capsys.readouterr().out.split("\n\n", 1)[1]
    block = block.replace("kze:CHANGE-ME", "kze:quota-raised")
    block = block.replace("kzr:CHANGE-ME-agent", "kzr:kzgraph-editors")
    block = block.replace("    kz:assertionMode kz:CHANGE-ME-mode ;\n", "")
    mini = project / "data" / "mini.trig"
    mini.write_text(
        mini.read_text()
        + "\n"
        + block
        + 'kze:quota-raised { kzr:decree-2021 rdfs:comment "raises the quota"@en . }\n'
    )
    assert main(["build", "-o", str(tmp_path / "dist")]) == 0
    capsys.readouterr()
    assert "quota-raised" in (tmp_path / "dist" / "kzgraph.nq").read_text()

    # a broken Turtle line fails the build with file and line; the last dist/ is kept
    before = (tmp_path / "dist" / "kzgraph.nq").read_bytes()
    broken = project / "data" / "extra.ttl"
    broken.write_text("@prefix kzr: <https://w3id.org/kzgraph/id/> .\nkzr:x kzr:y .\n")
    assert main(["build", "-o", str(tmp_path / "dist")]) == 2
    err = capsys.readouterr().err
    assert f"{broken}:2: bad syntax" in err or "data/extra.ttl:2: bad syntax" in err
    assert (tmp_path / "dist" / "kzgraph.nq").read_bytes() == before


def test_kzgraph_home_wins_over_the_working_copy(tmp_path, clean_env, capsys):
    project = _mini_project(tmp_path)
    clean_env.chdir(REPO)
    clean_env.setenv("KZGRAPH_HOME", str(project))
    assert main(["stats", "--format", "json"]) == 0
    err = capsys.readouterr().err
    assert err == f"kzgraph: reading ontology/ and data/ from {project} ($KZGRAPH_HOME)\n"


def test_init_command(tmp_path, capsys):
    assert main(["init", str(tmp_path / "mine")]) == 0
    captured = capsys.readouterr()
    assert "ontology/kzgraph.ttl" in captured.out
    assert (tmp_path / "mine" / "data" / "curation.trig").is_file()
    assert main(["init", str(tmp_path / "mine")]) == 2
    assert "directory is not empty" in capsys.readouterr().err


def test_wheel_carries_ontology_and_data():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    include = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert include == {"ontology": "graph/_resources/ontology", "data": "graph/_resources/data"}
    assert config["project"]["scripts"] == {"kzgraph": "graph.cli.main:main"}
    assert "--strict-markers" in config["tool"]["pytest"]["ini_options"]["addopts"]


def _wheel_venv(tmp_path: loc.Path) -> loc.Path:
    """A fresh venv with kzgraph installed from this tree by a real, non-editable ``pip install``.

    Offline: kzgraph alone is installed (``--no-deps``), and its dependencies come from the
    test venv through a ``.pth`` file, appended after the new venv's own site-packages so that
    ``import graph`` finds the installed wheel, never this checkout.
    """
    import sysconfig

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]
    (loc.Path(site) / "zz_test_venv.pth").write_text(ours + "\n")
    base = [str(python), "-m", "pip", "install", "-q", "--no-deps", str(REPO)]
    done = subprocess.run(base, capture_output=True, text=True)
    if done.returncode != 0:  # no index reachable: build with the test venv's hatchling
        subprocess.run([*base, "--no-build-isolation"], check=True)
    where = subprocess.run(
        [str(python), "-c", "import graph; print(graph.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.strip()
    assert where.startswith(str(venv)), f"graph imported from {where}, not the installed wheel"
    return venv


@pytest.mark.slow
def test_pip_installed_kzgraph_reads_the_working_copy(tmp_path):
    """The README's path: `pip install .` then work in the clone; edits reach dist/."""
    seeds = loc.seeds_dir()
    assert seeds.is_dir(), f"the source texts are missing: {seeds}"
    venv = _wheel_venv(tmp_path)
    kzgraph = str(venv / "bin" / "kzgraph")
    env = {k: v for k, v in os.environ.items() if k not in ("KZGRAPH_HOME", "KZGRAPH_SEEDS")}
    env["KZGRAPH_SEEDS"] = str(seeds)
    env["KZGRAPH_CACHE_DIR"] = "off"

    def run(*args: str, cwd: loc.Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([kzgraph, *args], cwd=cwd, env=env, capture_output=True, text=True)

    clone = tmp_path / "clone"
    shutil.copytree(REPO / "ontology", clone / "ontology")
    shutil.copytree(REPO / "data", clone / "data")
    (clone / "docs").mkdir()

    # outside any project: the packaged copy, inside the venv
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    done = run("stats", "--format", "json", cwd=outside)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("kzgraph: reading ontology/ and data/ from " + str(venv))
    assert "(packaged copy)" in done.stderr

    # a fact added per data/README.md, from a subdirectory of the clone, reaches dist/
    quote = "At times of such crisis, Kazakhstan’s people and economy have shown themselves"
    done = run(
        "locate",
        "kzr:article-regional-crisis-opportunity",
        quote,
        "--assertion",
        "kze:opinion-p06-resilience",
        "--agent",
        "kzr:igor-rogov",
        "--mode",
        "kz:AuthorStatement",
        cwd=clone / "docs",
    )
    assert done.returncode == 0, done.stderr
    assert f"from {clone} (working copy)" in done.stderr
    block = done.stdout.split("\n\n", 1)[1]
    facts = (
        "kze:opinion-p06-resilience {\n"
        "    kzr:claim-people-resilient a kz:Claim ;\n"
        '        rdfs:label "Claim: Kazakhstan’s people and economy are resilient"@en ;\n'
        "        schema:author kzr:igor-rogov ;\n"
        "        schema:about kzr:kazakhstan ;\n"
        '        schema:text "Kazakhstan’s people and economy have shown themselves"@en ;\n'
        "        kz:claimKind kz:Characterisation .\n"
        "}\n"
    )
    opinion = clone / "data" / "opinion-regional-crisis.trig"
    opinion.write_text(opinion.read_text(encoding="utf-8") + "\n" + block + facts, "utf-8")
    done = run("build", "-o", str(tmp_path / "dist"), cwd=clone / "docs")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"from {clone} (working copy)" in done.stderr
    assert "claim-people-resilient" in (tmp_path / "dist" / "kzgraph.nq").read_text()

    # a broken Turtle line in data/alignments.ttl fails the build, naming file and line
    alignments = clone / "data" / "alignments.ttl"
    lines = alignments.read_text(encoding="utf-8").count("\n")
    with alignments.open("a", encoding="utf-8") as handle:
        handle.write("kzr:broken kzr:line .\n")  # no object: line lines + 1
    done = run("build", "-o", str(tmp_path / "dist"), cwd=clone)
    assert done.returncode == 2
    assert f"data/alignments.ttl:{lines + 1}: bad syntax" in done.stderr, done.stderr
    assert "claim-people-resilient" in (tmp_path / "dist" / "kzgraph.nq").read_text()  # kept

    # $KZGRAPH_HOME, and a project started with `kzgraph init` from the packaged copy
    done = run("init", str(tmp_path / "mine"), cwd=outside)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "mine" / "data" / "sources.trig").is_file()
    env["KZGRAPH_HOME"] = str(tmp_path / "mine")
    done = run("validate", cwd=outside)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.startswith(
        f"kzgraph: reading ontology/ and data/ from {tmp_path / 'mine'} ($KZGRAPH_HOME)"
    )
    assert "Evidence checks (0 problem(s))" in done.stdout
