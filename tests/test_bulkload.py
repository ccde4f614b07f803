"""Bulk loading into the persistent Oxigraph store: content, all-or-nothing, crashes, progress.

The crash test kills ``kzgraph load`` with SIGKILL at spread-out moments of a real load and
reopens the store each time: it must hold exactly the previous content or exactly the new one.
"""

from __future__ import annotations

import gzip
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from benchmarks.generate import generate
from graph.cli.main import main
from graph.errors import InputError
from graph.stores.bulkload import ACTIVE, load, read_marker, source_for, store_dir, writer_lock
from tests.conftest import REPO
from tests.reliability import scale, store_digest

EX = "https://w3id.org/kzgraph/id/"
G1 = "https://w3id.org/kzgraph/evidence/one"
G2 = "https://w3id.org/kzgraph/evidence/two"
QUADS = f"""<{EX}a> <{EX}p> <{EX}b> <{G1}> .
<{EX}a> <{EX}p> <{EX}b> <{G2}> .
<{EX}a> <{EX}q> "x"@en <{G2}> .
"""


def opened(location: Path) -> ox.Store:
    return ox.Store.read_only(str(store_dir(location)))


def default_graph(store: ox.Store) -> set[str]:
    return {str(q.triple) for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_named_graphs_are_kept_and_the_default_graph_is_their_merge(tmp_path):
    report = load(tmp_path / "store", [source_for(write(tmp_path / "a.nq", QUADS))])
    store = opened(tmp_path / "store")
    assert {g.value for g in store.named_graphs()} == {G1, G2}
    # the triple stated in two graphs is in the default graph once, as in rdflib's union
    assert len(default_graph(store)) == 2
    assert report.quads == 5
    count = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(next(iter(count))["n"].value) == 2


def test_triples_go_to_the_given_graph_and_the_default_graph(tmp_path):
    nt = write(tmp_path / "wikidata-extract.nt", f"<{EX}a> <{EX}p> <{EX}c> .\n")
    load(tmp_path / "s", [source_for(nt)])
    load(tmp_path / "t", [source_for(nt, graph="https://w3id.org/kzgraph/graph/wd")])
    assert [g.value for g in opened(tmp_path / "s").named_graphs()] == [
        "https://w3id.org/kzgraph/graph/wikidata-extract"
    ]
    assert [g.value for g in opened(tmp_path / "t").named_graphs()] == [
        "https://w3id.org/kzgraph/graph/wd"
    ]
    assert len(default_graph(opened(tmp_path / "t"))) == 1


def test_blank_nodes_agree_between_copies_and_never_merge_across_loads(tmp_path):
    text = f'_:x <{EX}p> "1" <{G1}> .\n_:x <{EX}q> "2" <{G1}> .\n'
    path = write(tmp_path / "b.nq", text)
    load(tmp_path / "s", [source_for(path)])
    load(tmp_path / "s", [source_for(path)])
    store = opened(tmp_path / "s")
    named = {q.subject for q in store.quads_for_pattern(None, None, None, ox.NamedNode(G1))}
    default = {q.subject for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())}
    assert len(named) == 2  # one node per load: two loads of a file are two documents
    assert named == default  # both copies of a triple name the same node


def test_adding_and_replacing(tmp_path):
    a = write(tmp_path / "a.nq", f"<{EX}a> <{EX}p> <{EX}b> <{G1}> .\n")
    b = write(tmp_path / "b.nq", f"<{EX}c> <{EX}p> <{EX}d> <{G2}> .\n")
    where = tmp_path / "s"
    load(where, [source_for(a)])
    load(where, [source_for(b)])
    assert len(default_graph(opened(where))) == 2
    assert read_marker(where)["loaded"] == ["a.nq", "b.nq"]
    load(where, [source_for(b)], replace=True)
    assert default_graph(opened(where)) == {f"<{EX}c> <{EX}p> <{EX}d>"}
    assert read_marker(where)["loaded"] == ["b.nq"]
    # the previous generation is kept for readers still open on it, older ones are removed
    assert len([p for p in where.iterdir() if p.name.startswith("gen-")]) == 2


def test_gzipped_input(tmp_path):
    path = tmp_path / "a.nq.gz"
    path.write_bytes(gzip.compress(QUADS.encode()))
    load(tmp_path / "s", [source_for(path)])
    assert len(default_graph(opened(tmp_path / "s"))) == 2


def test_malformed_input_is_a_clear_error_and_changes_nothing(tmp_path):
    where = tmp_path / "s"
    load(where, [source_for(write(tmp_path / "a.nq", QUADS))])
    before = store_digest(where)
    bad = write(tmp_path / "bad.nq", QUADS + f'<{EX}a> <{EX}p> "unterminated <{G1}> .\n')
    with pytest.raises(InputError, match=r"bad\.nq: not valid N-Quads: .*line 4"):
        load(where, [source_for(bad)])
    assert store_digest(where) == before
    assert sorted(p.name for p in where.iterdir() if p.name.startswith("gen-")) == ["gen-000001"]


def test_unknown_extension_needs_a_format(tmp_path):
    path = write(tmp_path / "data.txt", QUADS)
    with pytest.raises(InputError, match="give --format"):
        source_for(path)
    assert source_for(path, "nquads").format == ox.RdfFormat.N_QUADS


def test_a_plain_oxigraph_database_is_read_and_then_moved_to_generations(tmp_path):
    where = tmp_path / "plain"
    plain = ox.Store(str(where))
    plain.load(QUADS.encode(), format=ox.RdfFormat.N_QUADS)
    plain.flush()
    del plain
    assert store_dir(where) == where
    load(where, [source_for(write(tmp_path / "b.nq", f"<{EX}c> <{EX}p> <{EX}d> <{G1}> .\n"))])
    assert store_dir(where) == (where / "gen-000001").resolve()
    store = opened(where)
    assert len(store) == 3 + 1 + 1  # the old quads, the new one, and its default-graph copy


def test_a_second_writer_is_refused_while_one_is_writing(tmp_path):
    where = tmp_path / "s"
    with writer_lock(where), pytest.raises(InputError, match="another kzgraph process"):
        load(where, [source_for(write(tmp_path / "a.nq", QUADS))])


def test_load_command_exit_codes_and_quiet_when_piped(tmp_path, capsys):
    good = write(tmp_path / "a.nq", QUADS)
    assert main(["load", str(good), "--location", str(tmp_path / "s")]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err == ""  # quiet when not on a terminal
    assert main(["load", str(tmp_path / "missing.nq"), "--location", str(tmp_path / "s")]) == 2
    assert (
        main(["load", str(good), "--location", str(tmp_path / "s"), "--graph", "not an iri"]) == 2
    )
    assert main(["load", "--location", str(tmp_path / "s")]) == 2
    _out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("kzgraph: ") for line in lines)
    assert main(["load", str(good), "--location", str(tmp_path / "s"), "-v"]) == 0
    assert "quads" in capsys.readouterr().err


# -- crashes --


@pytest.fixture(scope="module")
def crash_data(tmp_path_factory):
    """A small store content A, a larger file B, and the digests of A and of A plus B."""
    base = tmp_path_factory.mktemp("crash")
    small = generate(base, "q2000", target=2000)
    big = generate(base, "q60000", target=scale(60_000, 150_000))
    a, b = base / small.files["nquads"], base / big.files["nquads"]
    load(base / "a", [source_for(a)], show_progress=False)
    load(base / "ab", [source_for(a)], show_progress=False)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "graph.cli", "load", str(b), "--location", str(base / "ab")],
        cwd=REPO,
        capture_output=True,
    )
    duration = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    return {
        "a": a,
        "b": b,
        "before": store_digest(base / "a"),
        "after": store_digest(base / "ab"),
        "duration": duration,
        "base": base,
    }


def _kill_during(args: list[str], delay: float) -> int | None:
    process = subprocess.Popen(
        [sys.executable, "-m", "graph.cli", *args],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    return process.wait(30)


@pytest.mark.slow
def test_killed_load_leaves_the_whole_previous_or_the_whole_new_state(crash_data, tmp_path):
    import shutil

    rng = random.Random(7)
    kills = scale(5, 30)
    seen: list[str] = []
    for i in range(kills):
        where = tmp_path / f"s{i}"
        shutil.copytree(crash_data["base"] / "a", where, symlinks=True)
        # spread over the whole run: start-up, parsing, the default-graph pass, the switch
        delay = crash_data["duration"] * (i + rng.random()) / kills
        code = _kill_during(["load", str(crash_data["b"]), "--location", str(where)], delay)
        state = store_digest(where)  # must open, and be one of the two states
        assert state in (crash_data["before"], crash_data["after"]), (i, delay, code)
        seen.append("new" if state == crash_data["after"] else "old")
        # the store stays usable: the next load completes and holds A plus B
        load(where, [source_for(crash_data["b"])], show_progress=False)
        assert store_digest(where) == crash_data["after"]
        assert not list(where.glob(f".{ACTIVE}.*.tmp"))
    assert "old" in seen  # at least one kill landed before the switch
    print(
        f"{kills} kills during a load: the previous state {seen.count('old')} times,"
        f" the new one {seen.count('new')} times, never anything else"
    )


@pytest.mark.slow
def test_killed_replacing_load_leaves_old_or_new_state(crash_data, tmp_path):
    import shutil

    replaced = tmp_path / "b-only"
    load(replaced, [source_for(crash_data["b"])], show_progress=False)
    new = store_digest(replaced)
    for i, fraction in enumerate((0.3, 0.6, 0.9, 1.2)[: scale(2, 4)]):
        where = tmp_path / f"r{i}"
        shutil.copytree(crash_data["base"] / "a", where, symlinks=True)
        _kill_during(
            ["load", "--replace", str(crash_data["b"]), "--location", str(where)],
            crash_data["duration"] * fraction,
        )
        assert store_digest(where) in (crash_data["before"], new)


def test_loaded_store_is_queried_and_served_as_it_is(tmp_path, capsys):
    """`kzgraph load --curated FILE` then `kzgraph query --location`: both, and no refresh."""
    extra = write(tmp_path / "acts.nq", f'<{EX}act-1> <{EX}p> "x" <{G1}> .\n')
    where = str(tmp_path / "store")
    assert main(["load", "--curated", str(extra), "--location", where]) == 0
    capsys.readouterr()
    ask = (
        "ASK { kzr:igor-rogov org:holds ?post . GRAPH kze:one { kzr:act-1 ?p ?o } kzr:act-1 ?p ?o }"
    )
    assert main(["query", "--location", where, ask]) == 0
    out, err = capsys.readouterr()
    assert "true" in out
    # the store was current: nothing reloaded, only the inputs read are named
    assert err.startswith("kzgraph: reading ") and err.count("\n") == 1
    marker = read_marker(where)
    assert marker["loaded"] == ["curated graph", "acts.nq"] and len(marker["sha256"]) == 64
