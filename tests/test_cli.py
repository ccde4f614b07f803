"""The command line, in-process through ``main(argv)``: output, exit codes, help."""

from __future__ import annotations

import json
import shutil

import pytest

from graph import __version__
from graph.cli.main import COMMANDS, main
from graph.pipeline.build import MARKER

from .conftest import FIXTURES, MINI, REPO

MINI_INPUTS = ["--ontology", str(MINI / "ontology"), "--data", str(MINI / "data")]
COMMAND_NAMES = [name for name, _module, _summary in COMMANDS]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys):
    code, out, _err = run(capsys, "--version")
    assert code == 0 and out == f"kzgraph {__version__}\n"


def test_no_command_prints_help_and_exits_2(capsys):
    code, _out, err = run(capsys)
    assert code == 2 and "build" in err


def test_unknown_command_is_a_usage_error(capsys):
    code, _out, err = run(capsys, "frobnicate")
    assert code == 2 and "invalid choice" in err


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_every_subcommand_has_help_ending_with_an_example(capsys, name):
    code, out, _err = run(capsys, name, "--help")
    assert code == 0
    assert out.startswith(f"usage: kzgraph {name}")
    tail = out.rstrip().splitlines()
    assert "example:" in tail[-2] or "example:" in tail[-3]
    assert tail[-1].strip().startswith(f"kzgraph {name}")


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_every_subcommand_is_named_in_the_readme(name):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"kzgraph {name}" in readme


def test_validate_ok(capsys):
    code, out, _err = run(
        capsys, "validate", *MINI_INPUTS, "--shapes", str(MINI / "ontology" / "shapes.ttl")
    )
    assert code == 0 and out.startswith("Validation: conforms")


def test_validate_reports_violations_with_exit_1(capsys, project):
    shutil.copy(FIXTURES / "invalid" / "no-provenance.trig", project / "data")
    code, out, _err = run(
        capsys,
        "validate",
        "--ontology",
        str(project / "ontology"),
        "--data",
        str(project / "data"),
    )
    assert code == 1
    assert "evidence-without-provenance-violation: Evidence graph without provenance" in out


def test_input_error_is_one_line_on_stderr_with_exit_2(capsys, tmp_path):
    shutil.copytree(MINI, tmp_path, dirs_exist_ok=True)
    shutil.copy(FIXTURES / "invalid" / "undeclared-prefix.trig", tmp_path / "data")
    code, out, err = run(
        capsys, "stats", "--ontology", str(tmp_path / "ontology"), "--data", str(tmp_path / "data")
    )
    assert code == 2 and out == ""
    assert err == (
        f"kzgraph: reading ontology/ and data/ from {tmp_path} (given)\n"
        f"kzgraph: {tmp_path / 'data' / 'undeclared-prefix.trig'}:8: "
        'undeclared prefix "ex:" (add an @prefix line for it)\n'
    )


@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_stats_formats(capsys, fmt):
    code, out, _err = run(capsys, "stats", "--format", fmt, *MINI_INPUTS)
    assert code == 0
    if fmt == "json":
        assert json.loads(out)["totals"]["evidence_graphs"] == 1
    elif fmt == "markdown":
        assert out.startswith("# kzgraph summary")
    else:
        assert out.startswith("Totals")


@pytest.mark.parametrize("fmt", ["nquads", "trig", "turtle", "ntriples", "jsonld"])
def test_export_to_stdout_and_file(capsys, tmp_path, fmt):
    code, out, _err = run(capsys, "export", "--format", fmt, *MINI_INPUTS)
    assert code == 0 and "decree-2021" in out
    target = tmp_path / f"out.{fmt}"
    code, out2, _err = run(capsys, "export", "--format", fmt, "-o", str(target), *MINI_INPUTS)
    assert code == 0 and out2 == ""
    assert target.read_text(encoding="utf-8") == out


def test_export_dash_means_stdout(capsys):
    code, out, _err = run(capsys, "export", "--format", "ntriples", "-o", "-", *MINI_INPUTS)
    assert code == 0 and out.startswith("<")


def test_build_prints_where_and_summary(capsys, tmp_path):
    code, out, _err = run(capsys, "build", "-o", str(tmp_path / "dist"), *MINI_INPUTS)
    assert code == 0
    written = sorted(p.name for p in (tmp_path / "dist").iterdir() if p.name != MARKER)
    assert f"Wrote {len(written)} files to {tmp_path / 'dist'}/:" in out
    assert all(f"  {name}" in out for name in written)
    assert "Named graphs by kind" in out
    assert (tmp_path / "dist" / "kzgraph.nq").is_file()


def test_build_with_inference_reports_it(capsys, tmp_path):
    code, out, _err = run(
        capsys, "build", "-o", str(tmp_path / "dist"), "--infer", "rdfs", *MINI_INPUTS
    )
    assert code == 0 and "into kzg:inferred (rdfs)" in out


def test_unwritable_output_is_one_line_exit_2(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    code, _out, err = run(capsys, "build", "-o", str(blocker / "dist"), *MINI_INPUTS)
    assert code == 2
    reading, problem = err.splitlines()
    assert reading.startswith("kzgraph: reading ") and problem.startswith("kzgraph: ")


def test_locate_prints_offsets_and_block(capsys):
    code, out, _err = run(
        capsys, "locate", str(MINI / "source.txt"), "The Ministry of Examples issued", *MINI_INPUTS
    )
    assert code == 0
    assert "paragraph:  2" in out and "offsets:    46..79" in out
    assert "prov:wasDerivedFrom kzr:source-mini ;" in out
    assert "kz:startOffset 46 ;" in out and "kz:endOffset 79 ." in out


def test_locate_ambiguous_quote_exit_2(capsys):
    code, out, err = run(capsys, "locate", str(MINI / "source.txt"), "quota from 12 to 15")
    assert code == 2 and out == ""
    reading, problem = err.splitlines()
    assert reading.startswith("kzgraph: reading ontology/ and data/ from ")
    assert problem.startswith("kzgraph: ") and "quote is ambiguous: found 2 times" in problem


def test_commands_are_imported_only_when_run():
    import subprocess
    import sys

    code = (
        "import sys; from graph.cli.main import main; main(['--version']); "
        "print(sorted(m for m in sys.modules if m.startswith('graph.cli.')"
        " and m not in ('graph.cli.main', 'graph.cli.options')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().endswith("[]")
