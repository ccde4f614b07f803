"""Issue 17: every command answers bad input with one line naming file, line and problem (exit 2),
writes ``-o`` through links, pipes and devices, and never prints what a terminal would obey.

Each test names the bug it pins down, as the red-team report found it.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from graph.cli.main import main
from graph.errors import InputError
from graph.inputs.reading import parse_file
from graph.terminal import printable

from .conftest import FIXTURES, MINI, REPO, problem_lines

MINI_INPUTS = ["--ontology", str(MINI / "ontology"), "--data", str(MINI / "data")]
INVALID = FIXTURES / "invalid"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(capsys, *argv) -> str:
    """Run ``argv``; assert exit 2 and exactly one line on stderr, no traceback; return it."""
    code, _out, err = run(capsys, *argv)
    assert code == 2, err
    assert len(problem_lines(err)) == 1 and "Traceback" not in err, err
    return problem_lines(err)[0].strip()


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    shutil.copytree(MINI, tmp_path / "mini")
    return tmp_path / "mini"


def inputs(project: Path) -> list[str]:
    return ["--ontology", str(project / "ontology"), "--data", str(project / "data")]


# -- usage errors: one line, exit 2 --


def test_build_base_that_is_not_an_iri(capsys, tmp_path):
    """Bug: `build --base 'not a base'` ended in a traceback after validating everything."""
    err = one_line_error(capsys, "build", "-o", str(tmp_path / "d"), "--base", "not a base")
    assert "--base 'not a base' is not an absolute IRI" in err
    assert not (tmp_path / "d").exists()


def test_export_base_without_a_trailing_separator(capsys):
    err = one_line_error(capsys, "export", "--base", "https://example.org/kz", *MINI_INPUTS)
    assert "must end with '/' or '#'" in err


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "soon"])
def test_query_timeout_must_be_a_finite_positive_number(capsys, value):
    """Bug: `query --timeout nan|inf|-1` ended in a traceback from the worker pool."""
    err = one_line_error(capsys, "query", "--timeout", value, "ASK {}", *MINI_INPUTS)
    assert err.startswith("kzgraph query: error: argument --timeout:") and value in err


@pytest.mark.parametrize("url", ["notaurl", "ftp://example.org/sparql", "http://", "http://h:99x/"])
def test_query_endpoint_must_be_an_http_url(capsys, url):
    """Bug: `query --endpoint notaurl` ended in an httpx traceback."""
    err = one_line_error(capsys, "query", "--endpoint", url, "ASK {}")
    assert f"--endpoint '{url}'" in err


def test_publish_urls_are_checked_before_anything_is_sent(capsys):
    err = one_line_error(capsys, "publish", "--endpoint", "localhost:7878/query", *MINI_INPUTS)
    assert "is not an http:// or https:// URL" in err


def test_serve_port_out_of_range(capsys):
    """Bug: `serve --port 99999` announced a port it did not listen on."""
    err = one_line_error(capsys, "serve", "--port", "99999")
    assert "argument --port: 99999 is not a port number (1 to 65535)" in err


def test_load_graph_name_with_a_space(capsys, tmp_path):
    """Bug: `load --graph 'kzg:a b'` ended in a traceback from Oxigraph."""
    data = tmp_path / "x.nt"
    data.write_text("<http://e/s> <http://e/p> <http://e/o> .\n")
    store = tmp_path / "store"
    err = one_line_error(capsys, "load", str(data), "--graph", "kzg:a b", "--location", str(store))
    assert "--graph 'kzg:a b' is not a valid IRI" in err
    assert not any(p.name.startswith("gen-") for p in store.glob("*"))


def test_load_truncated_gzip(capsys, tmp_path):
    """Bug: `load` of a truncated .gz ended in an EOFError traceback; the store is kept."""
    good = tmp_path / "good.nt"
    good.write_text("<http://e/s> <http://e/p> <http://e/o> .\n")
    store = tmp_path / "store"
    assert main(["load", str(good), "--location", str(store)]) == 0
    before = sorted(p.name for p in store.iterdir())
    body = b"".join(b"<http://e/s%d> <http://e/p> <http://e/o> .\n" % i for i in range(20000))
    packed = gzip.compress(body)
    broken = tmp_path / "cut.nt.gz"
    broken.write_bytes(packed[: len(packed) // 2])
    capsys.readouterr()
    err = one_line_error(capsys, "load", str(broken), "--location", str(store))
    assert "cut.nt.gz: truncated or corrupt gzip file" in err
    assert sorted(p.name for p in store.iterdir()) == before


# -- inputs that validate and build must refuse alike, with file and line --


@pytest.mark.parametrize(
    "fixture", ["iri-with-space", "relative-iri", "bad-language-tag", "short-language-tag"]
)
def test_validate_build_and_export_agree_and_name_file_and_line(capsys, mini, tmp_path, fixture):
    """Bug: an IRI with a space or a relative IRI passed validation, then broke the build, the
    export or the Oxigraph load; a bad language tag was reported without its line."""
    shutil.copy(INVALID / f"{fixture}.trig", mini / "data")
    expected = next(
        line.split(":", 1)[1].strip()
        for line in (INVALID / f"{fixture}.trig").read_text().splitlines()
        if line.startswith("# expect:")
    )
    wanted = f"kzgraph: {mini / 'data'}/{expected}"
    assert one_line_error(capsys, "validate", *inputs(mini)) == wanted
    assert one_line_error(capsys, "build", "-o", str(tmp_path / "d"), *inputs(mini)) == wanted
    assert one_line_error(capsys, "export", "--format", "nquads", *inputs(mini)) == wanted


def test_a_fifo_named_like_data_does_not_hang_validate(mini):
    """Bug: a FIFO named *.trig in data/ made `validate` wait forever for a writer."""
    os.mkfifo(mini / "data" / "pipe.trig")
    done = subprocess.run(
        [sys.executable, "-m", "graph.cli", "validate", *inputs(mini)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().endswith(
        "pipe.trig: not a regular file (a FIFO, device or socket?); refusing to read it"
    )


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n<!ENTITY a0 "laughlaughlaughlaugh">\n'
    + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">\n' for i in range(1, 10))
    + ']>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    ' xmlns:ex="http://example.org/">\n<rdf:Description rdf:about="http://example.org/s">'
    "<ex:p>&a9;</ex:p></rdf:Description>\n</rdf:RDF>\n"
)


def test_rdfxml_nested_entities_are_refused_by_load(capsys, tmp_path):
    """Bug: 1.2 KB of nested internal entities took `kzgraph load` out of memory."""
    bomb = tmp_path / "laughs.rdf"
    bomb.write_text(BILLION_LAUGHS)
    assert len(bomb.read_bytes()) < 1300
    err = one_line_error(capsys, "load", str(bomb), "--location", str(tmp_path / "store"))
    assert err == (
        f"kzgraph: {bomb}:6: RDF/XML entity &a3; expands to more than 10,000 characters"
        " (nested entities, the 'billion laughs' pattern); refused"
    )


def test_rdfxml_nested_entities_are_refused_on_rdflibs_path(tmp_path):
    from rdflib import Graph

    bomb = tmp_path / "laughs.rdf"
    bomb.write_text(BILLION_LAUGHS)
    with pytest.raises(InputError, match=r"laughs.rdf:6: RDF/XML entity &a3; expands"):
        parse_file(Graph(), bomb, "xml")


def test_rdfxml_with_namespace_entities_still_loads(capsys, tmp_path):
    owl = tmp_path / "onto.owl"
    owl.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n'
        '  <!ENTITY ex "http://example.org/" >\n'
        '  <!ENTITY rdf "http://www.w3.org/1999/02/22-rdf-syntax-ns#" >\n]>\n'
        '<rdf:RDF xmlns:rdf="&rdf;" xmlns:ex="&ex;">\n'
        '  <rdf:Description rdf:about="&ex;s"><ex:p rdf:resource="&ex;o"/></rdf:Description>\n'
        "</rdf:RDF>\n"
    )
    code, _out, err = run(capsys, "load", str(owl), "--location", str(tmp_path / "store"))
    assert code == 0, err


@pytest.mark.parametrize(
    ("doctype", "problem"),
    [
        ('<!ENTITY a "&b;"><!ENTITY b "&a;">', "refers to itself (&a; -> &b; -> &a;)"),
        ('<!ENTITY x SYSTEM "file:///etc/passwd">', "external entity &x; is not supported"),
        ('<!ENTITY % p "x">', "parameter entity %p; is not supported"),
    ],
)
def test_rdfxml_other_entity_tricks_are_refused(tmp_path, doctype, problem):
    from graph.inputs.rdfxml import check_entities

    doc = f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [{doctype}]>\n<rdf:RDF/>\n'.encode()
    with pytest.raises(InputError, match=re.escape(problem)):
        check_entities(doc, tmp_path / "x.rdf")


# -- -o FILE: through links, pipes and devices; the user's umask --


def test_output_through_a_symlink_replaces_the_target_not_the_link(capsys, tmp_path):
    """Bug: `-o link` replaced the symlink itself with a regular file."""
    real = tmp_path / "real.nt"
    real.write_text("old")
    link = tmp_path / "link.nt"
    link.symlink_to(real.name)
    code, _out, _err = run(capsys, "export", "--format", "ntriples", "-o", str(link), *MINI_INPUTS)
    assert code == 0
    assert link.is_symlink() and real.read_text().startswith("<")


def test_output_into_a_fifo_writes_into_the_pipe(capsys, tmp_path):
    """Bug: `-o fifo` replaced the FIFO with a regular file."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, _out, _err = run(capsys, "export", "--format", "ntriples", "-o", str(fifo), *MINI_INPUTS)
    reader.join(30)
    assert code == 0
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received and received[0].startswith(b"<")


def test_output_to_devices_writes_through_and_keeps_the_node(capsys):
    """Bug: run as root, `-o /dev/full` replaced the device node with a regular file."""
    code, _out, _err = run(capsys, "export", "-o", "/dev/null", *MINI_INPUTS)
    assert code == 0 and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    err = one_line_error(capsys, "export", "-o", "/dev/full", *MINI_INPUTS)
    assert err == "kzgraph: /dev/full: cannot write: No space left on device"
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_output_to_a_directory_is_one_line(capsys, tmp_path):
    err = one_line_error(capsys, "export", "-o", str(tmp_path), *MINI_INPUTS)
    assert "cannot write: is a directory" in err


def test_output_files_follow_the_umask_and_keep_an_existing_mode(capsys, tmp_path):
    """Bug: every -o file was created 0600 whatever the umask."""
    old = os.umask(0o022)
    try:
        new = tmp_path / "new.ttl"
        assert main(["export", "-o", str(new), *MINI_INPUTS]) == 0
        assert stat.S_IMODE(new.stat().st_mode) == 0o644
        kept = tmp_path / "kept.ttl"
        kept.write_text("x")
        kept.chmod(0o640)
        assert main(["export", "-o", str(kept), *MINI_INPUTS]) == 0
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    finally:
        os.umask(old)


# -- the terminal: escapes shown, never obeyed --

ESCAPES = "\x1b]0;owned\x07\x1b[2J\r\u202eevil\x9b"


def test_printable_shows_every_control_character():
    shown = printable(f"a{ESCAPES}b\nc\td")
    assert shown == "a\\x1b]0;owned\\x07\\x1b[2J\\r\\u202eevil\\x9bb\\nc\\td"
    assert printable("one\r\ntwo\tthree\n", newlines=True) == "one\r\ntwo\tthree\n"
    assert printable("x\x1by", newlines=True) == "x\\x1by"


def test_table_output_escapes_terminal_sequences_from_literals(capsys):
    """Bug: table output printed terminal escape sequences from literals raw."""
    text = 'SELECT ?x WHERE { BIND("a\\u001b[31mred\\u0007" AS ?x) }'
    code, out, _err = run(capsys, "query", text, *MINI_INPUTS)
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out
    assert "a\\x1b[31mred\\x07" in out


def test_error_messages_quoting_user_data_are_escaped(capsys):
    err = one_line_error(capsys, "load", "x.nt", "--graph", "\x1b[31mred", "--location", "/tmp/x")
    assert "\x1b" not in err and "\\x1b[31mred" in err


def test_emit_escapes_only_when_stdout_is_a_terminal(monkeypatch, capsysbinary):
    from graph.cli.options import emit

    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    emit("raw\x1b[0m\n", "-")
    assert capsysbinary.readouterr().out == b"raw\x1b[0m\n"
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    emit("raw\x1b[0m\r\n", "-")
    assert capsysbinary.readouterr().out == b"raw\\x1b[0m\r\n"


@pytest.mark.parametrize(
    "command",
    [
        ["central"],
        ["timeline"],
        ["paths", "kzr:jane-example", "kzr:decree-2021"],
        ["stats"],
        ["query", "SELECT ?l WHERE { ?s rdfs:label ?l }"],
    ],
)
def test_analysis_outputs_escape_terminal_sequences_from_labels(capsys, mini, command):
    """Bug: labels holding ESC sequences reached the terminal raw through every text output."""
    data = mini / "data" / "mini.trig"
    text = data.read_text(encoding="utf-8")
    data.write_text(text.replace('"Jane Example"@en', '"Jane\\u001b[31mExample\\u0007"@en'))
    code, out, _err = run(capsys, *command, *inputs(mini))
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out
    if command[0] != "stats":
        assert "Jane\\x1b[31mExample\\x07" in out
