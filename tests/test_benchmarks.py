"""The benchmark's data generator and runner (the benchmarks themselves are not timed here).

The generator must be reproducible and write data in our ontology that kzgraph's own loader,
SHACL shapes and quality checks accept; the runner must produce its JSON and Markdown results.
"""

from __future__ import annotations

import json
from collections import Counter

import pyoxigraph as ox
import pytest

from benchmarks.generate import generate, parse_size
from benchmarks.run import evaluate, main
from tests.conftest import ONTOLOGY
from tests.support.wrk import parse_wrk

KZ = "https://w3id.org/kzgraph/ontology#"


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a = generate(tmp_path / "a", "3k")
    b = generate(tmp_path / "b", "3k")
    c = generate(tmp_path / "c", "3k", seed=1)
    read = lambda d, m: (d / m.files["nquads"]).read_bytes()  # noqa: E731
    assert read(tmp_path / "a", a) == read(tmp_path / "b", b)
    assert read(tmp_path / "a", a) != read(tmp_path / "c", c)
    assert 3000 <= a.quads < 3300


def test_sizes():
    assert [parse_size(s) for s in ("10k", "100k", "1m", "2500")] == [
        10_000,
        100_000,
        1_000_000,
        2500,
    ]
    with pytest.raises(ValueError):
        parse_size("lots")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    manifest = generate(out, "20k")
    store = ox.Store()
    store.load(path=str(out / manifest.files["nquads"]), format=ox.RdfFormat.N_QUADS)
    return manifest, store, out


def test_the_shapes_of_the_curated_data_are_all_there(sample):
    manifest, store, _out = sample
    counts: Counter[str] = Counter()
    for row in store.query(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?c } "
        "FILTER(?g != <https://w3id.org/kzgraph/graph/ontology>) } GROUP BY ?c"
    ):
        counts[row["c"].value.rsplit("/", 1)[-1].rsplit("#", 1)[-1]] = int(row["n"].value)
    for kind in (
        "Person",
        "Post",
        "Membership",
        "StateBody",
        "Decree",
        "AmendingAct",
        "Treaty",
        "TreatyAccession",
        "ReformMeasure",
        "Claim",
        "NewsArticle",
        "Assertion",
        "Signing",
    ):
        assert counts[kind] > 0, kind
    # amendment chains several acts long
    depth = store.query(
        "SELECT (MAX(?n) AS ?longest) WHERE { { SELECT ?d (COUNT(?a) AS ?n) WHERE {"
        " ?a <http://data.europa.eu/eli/ontology#amends>+ ?d . ?d a <" + KZ + "Decree> }"
        " GROUP BY ?d } }",
        use_default_graph_as_union=True,
    )
    assert int(next(iter(depth))["longest"].value) >= 3
    # every evidence graph is described in kzg:provenance, and a triple has two sources
    s, p, o = (ox.NamedNode(x) for x in manifest.provenance_triple)
    graphs = {q.graph_name for q in store.quads_for_pattern(s, p, o)}
    assert len(graphs) >= 2
    for g in graphs:
        assert list(
            store.quads_for_pattern(
                g, None, None, ox.NamedNode("https://w3id.org/kzgraph/graph/provenance")
            )
        )
    assert manifest.hub_degree > 0 and len(manifest.lookup_subjects) >= 20


@pytest.mark.slow
def test_generated_data_passes_kzgraphs_loader_shapes_and_checks(tmp_path):
    """Written as TriG into a data directory, a sample loads and validates like curated data."""
    from graph.inputs.reading import load_graph
    from graph.pipeline.validation import validate

    manifest = generate(tmp_path, "2k")
    quads = [
        q
        for q in ox.parse(
            path=str(tmp_path / manifest.files["nquads"]), format=ox.RdfFormat.N_QUADS
        )
        if q.graph_name.value != "https://w3id.org/kzgraph/graph/ontology"
    ]
    data = tmp_path / "data"
    data.mkdir()
    (data / "synthetic.trig").write_bytes(ox.serialize(quads, format=ox.RdfFormat.TRIG))
    dataset = load_graph(ONTOLOGY, data)
    result = validate(dataset, ONTOLOGY / "shapes.ttl", ONTOLOGY / "checks")
    assert result.conforms, result.report_text[:3000]


WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:7878
  1 threads and 1 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   812.33us  301.12us   9.87ms   95.12%
    Req/Sec     1.25k    80.11     1.40k    70.00%
  Latency Distribution
     50%  766.00us
     75%  830.00us
     90%    0.95ms
     99%    2.10ms
  6231 requests in 5.00s, 2.11MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:   1246.02
Transfer/sec:    431.22KB
"""


def test_wrk_report_is_read():
    result = parse_wrk(WRK_OUTPUT)
    assert result["p50_ms"] == pytest.approx(0.766)
    assert result["p99_ms"] == pytest.approx(2.10)
    assert result["requests"] == 6231 and result["requests_per_s"] == pytest.approx(1246.02)
    assert result["errors"] == 7


def test_targets_are_judged_from_the_measurements():
    results = {
        "http": {
            "size": "100k",
            "oxigraph serve": {"median_ms": 1.0, "concurrent_rps": 1000.0},
            "kzgraph serve --store oxigraph": {
                "median_ms": 2.5,
                "median_ratio": 2.5,
                "concurrent_rps": 600.0,
                "throughput_ratio": 0.6,
                "errors": 0,
                "requests": 5000,
            },
        },
    }
    targets = {t["key"]: t for t in evaluate(results)}
    assert targets["http_median"]["met"] is False
    assert targets["http_throughput"]["met"] is True
    assert targets["http_errors"]["met"] is True
    assert targets["load_time"]["met"] is None  # not measured: never reported as met


@pytest.mark.slow
def test_runner_writes_json_and_markdown(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Title\n\n<!-- benchmark-results:start -->\nold table\n"
        "<!-- benchmark-results:end -->\n\nAfter.\n"
    )
    code = main(
        [
            "--readme",
            str(readme),
            "--quick",
            "--sizes",
            "3k",
            "--only",
            "load,queries",
            "--data-dir",
            str(tmp_path / "data"),
            "--results",
            str(tmp_path / "results"),
        ]
    )
    assert code == 0
    results = json.loads((tmp_path / "results" / "latest.json").read_text())
    assert results["machine"]["cores"] >= 1 and results["machine"]["cpu"]
    load = results["load"]["3k"]
    assert load["pyoxigraph-disk"]["time_ratio"] == 1.0
    assert load["kzgraph-oxigraph"]["seconds"] > 0 and load["kzgraph-oxigraph"]["peak_mb"] > 0
    names = [q["name"] for q in results["queries"]["3k"]["queries"]]
    assert names == ["lookup", "join", "group", "path", "construct", "provenance"]
    for query in results["queries"]["3k"]["queries"]:
        rows = {e: t["rows"] for e, t in query["engines"].items()}
        assert rows["kzgraph-oxigraph"] == rows["pyoxigraph"] > 0, (query["name"], rows)
    markdown = (tmp_path / "results" / "latest.md").read_text()
    assert "## Targets" in markdown and "## Load" in markdown and "## Queries" in markdown
    assert results["machine"]["cpu"] in markdown
    # the README's block holds the machine and the targets, the rest of it is untouched
    text = readme.read_text()
    assert text.startswith("# Title\n\n<!-- benchmark-results:start -->\nRun ")
    assert "old table" not in text and "#### Targets" in text and text.endswith("\nAfter.\n")
    assert results["machine"]["cpu"] in text
