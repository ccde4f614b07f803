"""Building dist/: every output round-trips, builds are reproducible, the swap is atomic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from graph.inputs.reading import INFERRED_GRAPH, load_graph, named_graphs, quads
from graph.inputs.writing import jsonld_context
from graph.namespaces import PREFIXES
from graph.pipeline.build import ARTIFACT_WRITERS, MARKER, build
from graph.pipeline.statistics import stats

from .conftest import DATA, MINI, ONTOLOGY, REPO, snapshot

EXPECTED_FILES = {
    "kzgraph.nq",
    "kzgraph.trig",
    "kzgraph.ttl",
    "kzgraph.nt",
    "kzgraph.jsonld",
    "context.jsonld",
    "prefixes.json",
    "summary.json",
    "summary.md",
    "validation.txt",
    "shapes.ttl",
}


def merged(ds: Dataset) -> Graph:
    graph = Graph()
    for s, p, o, _g in quads(ds):
        graph.add((s, p, o))
    return graph


def test_build_writes_every_output(built):
    # Feature artifact writers (VoID, the network view) add their own files beside these.
    assert set(built.files) >= EXPECTED_FILES
    assert {p.name for p in built.out_dir.iterdir()} == set(built.files) | {MARKER}


@pytest.mark.parametrize(
    ("filename", "fmt"),
    [("kzgraph.nq", "nquads"), ("kzgraph.trig", "trig"), ("kzgraph.jsonld", "json-ld")],
)
def test_dataset_outputs_round_trip_per_named_graph(built, dataset, filename, fmt):
    parsed = Dataset()
    parsed.parse(built.out_dir / filename, format=fmt)
    assert named_graphs(parsed) == named_graphs(dataset)
    for name in named_graphs(dataset):
        assert isomorphic(parsed.graph(name), dataset.graph(name)), name
    assert isomorphic(merged(parsed), merged(dataset))


@pytest.mark.parametrize(("filename", "fmt"), [("kzgraph.ttl", "turtle"), ("kzgraph.nt", "nt")])
def test_graph_outputs_round_trip_as_the_union(built, dataset, filename, fmt):
    parsed = Graph().parse(built.out_dir / filename, format=fmt)
    assert isomorphic(parsed, merged(dataset))


def test_side_files(built, dataset):
    out = built.out_dir
    assert json.loads((out / "prefixes.json").read_text()) == dict(sorted(PREFIXES.items()))
    assert json.loads((out / "context.jsonld").read_text()) == jsonld_context()
    assert json.loads((out / "summary.json").read_text()) == stats(dataset)
    assert (out / "summary.md").read_text().startswith("# kzgraph summary")
    assert (out / "validation.txt").read_text().startswith("Validation: conforms")
    assert (out / "shapes.ttl").read_bytes() == (ONTOLOGY / "shapes.ttl").read_bytes()


def test_outputs_use_the_canonical_prefixes(built):
    turtle = (built.out_dir / "kzgraph.ttl").read_text()
    trig = (built.out_dir / "kzgraph.trig").read_text()
    for text in (turtle, trig):
        assert "@prefix kz: <https://w3id.org/kzgraph/ontology#> ." in text
        assert "@prefix ns1:" not in text
    assert "@prefix kze: <https://w3id.org/kzgraph/evidence/> ." in trig


@pytest.mark.slow
def test_two_builds_are_byte_identical_across_processes(built, tmp_path):
    out = tmp_path / "dist"
    env = dict(os.environ, PYTHONHASHSEED=str(os.getpid() % 4000 + 1))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "graph.cli",
            "build",
            "-o",
            str(out),
            "--ontology",
            str(ONTOLOGY),
            "--data",
            str(DATA),
        ],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    assert snapshot(out) == snapshot(built.out_dir)


@pytest.mark.slow
def test_infer_rdfs_adds_triples_only_to_the_inferred_graph(tmp_path, dataset):
    result = build(tmp_path / "dist", infer="rdfs", ontology_dir=ONTOLOGY, data_dir=DATA)
    assert result.inferred > 0
    parsed = Dataset()
    parsed.parse(tmp_path / "dist" / "kzgraph.nq", format="nquads")
    assert set(named_graphs(parsed)) == set(named_graphs(dataset)) | {INFERRED_GRAPH}
    for name in named_graphs(dataset):
        assert isomorphic(parsed.graph(name), dataset.graph(name)), name
    curated = merged(dataset)
    inferred = parsed.graph(INFERRED_GRAPH)
    assert len(inferred) == result.inferred
    assert not any(triple in curated for triple in inferred)


def test_infer_owlrl_on_the_mini_project(tmp_path):
    result = build(
        tmp_path / "dist", infer="owlrl", ontology_dir=MINI / "ontology", data_dir=MINI / "data"
    )
    assert result.inferred > 0
    assert "kzg:inferred {" in (tmp_path / "dist" / "kzgraph.trig").read_text()


def test_base_option_rewrites_outputs(tmp_path):
    base = "https://example.org/kz/"
    build(tmp_path / "dist", base=base, ontology_dir=MINI / "ontology", data_dir=MINI / "data")
    nquads = (tmp_path / "dist" / "kzgraph.nq").read_text()
    assert "https://w3id.org/kzgraph/" not in nquads
    assert "<https://example.org/kz/graph/provenance>" in nquads
    prefixes = json.loads((tmp_path / "dist" / "prefixes.json").read_text())
    assert prefixes["kz"] == base + "ontology#"
    assert (
        "@prefix kzr: <https://example.org/kz/id/> ."
        in (tmp_path / "dist" / "kzgraph.ttl").read_text()
    )


def test_artifact_writers_add_files_inside_the_swap(tmp_path):
    def write_hello(ds: Dataset, out: Path) -> None:
        (out / "hello.txt").write_text(f"{len(ds)} quads\n")

    result = build(
        tmp_path / "dist",
        ontology_dir=MINI / "ontology",
        data_dir=MINI / "data",
        artifact_writers=[write_hello],
    )
    assert "hello.txt" in result.files
    assert (tmp_path / "dist" / "hello.txt").read_text().endswith("quads\n")
    assert write_hello not in ARTIFACT_WRITERS  # passing writers does not register them


def test_artifact_writer_by_dotted_name(tmp_path, monkeypatch):
    module = tmp_path / "kz_extra_writer.py"
    module.write_text("def write(ds, out):\n    (out / 'extra.txt').write_text('x')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    result = build(
        tmp_path / "dist",
        ontology_dir=MINI / "ontology",
        data_dir=MINI / "data",
        artifact_writers=["kz_extra_writer:write"],
    )
    assert "extra.txt" in result.files


def test_failing_writer_leaves_previous_dist_untouched(tmp_path):
    dist = tmp_path / "dist"
    build(dist, ontology_dir=MINI / "ontology", data_dir=MINI / "data")
    (dist / "marker.txt").write_text("previous build")
    before = snapshot(dist)

    def explode(ds: Dataset, out: Path) -> None:
        raise RuntimeError("writer failed")

    with pytest.raises(RuntimeError, match="writer failed"):
        build(
            dist, ontology_dir=MINI / "ontology", data_dir=MINI / "data", artifact_writers=[explode]
        )
    assert snapshot(dist) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_rebuild_replaces_old_dist_whole(tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / MARKER).write_text("an earlier build")
    (dist / "stale.txt").write_text("old")
    build(dist, ontology_dir=MINI / "ontology", data_dir=MINI / "data")
    assert not (dist / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_mini_build_matches_loaded_dataset(tmp_path, mini_dataset):
    build(tmp_path / "dist", ontology_dir=MINI / "ontology", data_dir=MINI / "data")
    parsed = Dataset()
    parsed.parse(tmp_path / "dist" / "kzgraph.trig", format="trig")
    for name in named_graphs(mini_dataset):
        assert isomorphic(parsed.graph(name), mini_dataset.graph(name))
    assert load_graph(MINI / "ontology", MINI / "data") is not mini_dataset


@pytest.mark.slow
def test_a_copy_without_the_source_texts_builds_only_when_asked(project, tmp_path, monkeypatch):
    """The articles are cited, not redistributed: a clone without them fails the evidence
    checks, naming the texts, unless --without-source-texts says to leave their quotes
    unchecked, which validation.txt and stderr then report."""
    from graph.cli.main import main

    monkeypatch.setenv("KZGRAPH_SEEDS", str(tmp_path / "no-seeds-here"))
    inputs = ["--ontology", str(project / "ontology"), "--data", str(project / "data")]
    out = tmp_path / "dist"
    assert main(["build", "-o", str(out), *inputs]) == 1
    assert not out.exists()
    assert main(["build", "-o", str(out), "--without-source-texts", *inputs]) == 0
    report = (out / "validation.txt").read_text(encoding="utf-8")
    assert "Validation: conforms" in report
    assert "NOT CHECKED (2 source text(s) not found" in report
    assert "000_a0a385c98595ef08.txt is missing" in report
