"""Shared fixtures: the real project loaded and built once per session, its networkx graph,
scratch copies, the web app over hostile or multilingual data, one headless browser, and the
Wikidata fixture behind a real endpoint.

The plumbing the benchmarks share too (servers on free ports, wrk) is in :mod:`tests.support`.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from rdflib import Dataset

from graph.inputs.reading import load_graph
from graph.pipeline.build import BuildResult, build
from tests.support.servers import oxigraph_binary, oxigraph_server

if TYPE_CHECKING:
    from networkx import MultiDiGraph
    from starlette.testclient import TestClient

    from graph.serving.sandbox import QueryRunner

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


@pytest.fixture(scope="module")
def network(dataset: Dataset) -> MultiDiGraph:
    """The real graph as networkx sees it, once per module (a test may change its copy)."""
    from graph.explore.network import to_networkx

    return to_networkx(dataset)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch copy of the real ontology/ and data/, to add one bad file to."""
    shutil.copytree(ONTOLOGY, tmp_path / "ontology")
    shutil.copytree(DATA, tmp_path / "data")
    return tmp_path


def mini_project(root: Path, extra: dict[str, str]) -> Path:
    """The miniature project copied into ``root``, with the data files ``extra`` (name: text)."""
    shutil.copytree(MINI / "ontology", root / "ontology")
    shutil.copytree(MINI / "data", root / "data")
    for name, text in extra.items():
        (root / "data" / name).write_text(text, encoding="utf-8")
    return root


def client_for(pool: QueryRunner, **config: object) -> TestClient:
    """The web app over ``pool`` with the catalogue and ``config``, through Starlette's client."""
    with warnings.catch_warnings():  # Starlette suggests httpx2; httpx is what it runs on today
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from graph.serving.app import ServerConfig, catalogue_entries, create_app

    conf = ServerConfig(catalogue=catalogue_entries(), **config)  # type: ignore[arg-type]
    return TestClient(create_app(pool, conf))


@contextlib.contextmanager
def app_client(project: Path | None = None, timeout: float = 30.0) -> Iterator[TestClient]:
    """The web app in this process over the real project, or ``project``'s ontology/ and data/."""
    from graph.serving.sandbox import QueryRunner
    from graph.stores.spec import StoreSpec

    spec = StoreSpec()
    if project is not None:
        spec = StoreSpec(ontology_dir=str(project / "ontology"), data_dir=str(project / "data"))
    with QueryRunner.open(spec, timeout=timeout) as pool:
        yield client_for(pool)


#: Labels and literals that try to inject HTML or a script, for the escaping tests.
HOSTILE = """\
@prefix kzr: <https://w3id.org/kzgraph/id/> .
@prefix kze: <https://w3id.org/kzgraph/evidence/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
kze:hostile {
  kzr:evil rdfs:label "<script>alert(1)</script> evil"@en ;
    skos:altLabel "\\"><img src=x onerror=alert(2)>"@en ;
    schema:description "\\"><img src=x onerror=alert(2)>" ;
    schema:url <javascript:alert(3)> ;
    schema:about kzr:decree-2021 .
}
"""

#: Kazakh and Russian names where ``kzgraph enrich`` puts them.
ENRICHMENT = """\
@prefix kzr: <https://w3id.org/kzgraph/id/> .
@prefix schema: <https://schema.org/> .

kzr:jane-example schema:name "Джейн Мысал"@kk, "Джейн Пример"@ru .
kzr:decree-2021 schema:name "Указ от 3 марта 2021 года"@ru ;
    schema:description "Указ о примерах"@ru, "A decree about examples"@en .
"""


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The web app over the miniature project plus labels and literals that inject HTML."""
    root = mini_project(tmp_path_factory.mktemp("hostile"), {"hostile.trig": HOSTILE})
    with app_client(root) as client:
        yield client


@pytest.fixture(scope="module")
def multilingual(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The miniature project plus Kazakh and Russian labels where `kzgraph enrich` puts them."""
    return mini_project(tmp_path_factory.mktemp("multilingual"), {"enrichment.ttl": ENRICHMENT})


@pytest.fixture(scope="module")
def multilingual_client(multilingual: Path) -> Iterator[TestClient]:
    """The web app over :func:`multilingual`."""
    with app_client(multilingual) as client:
        yield client


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium, one for the session (skipped without Playwright)."""
    pytest.importorskip("playwright.sync_api")
    from tests.support.browser import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def wikidata_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``oxigraph serve-read-only`` loaded with the Wikidata fixture; yields its query URL."""
    location = tmp_path_factory.mktemp("wikidata-fixture")
    files = sorted(str(p) for p in (FIXTURES / "wikidata").glob("*.ttl"))
    subprocess.run(
        [oxigraph_binary(), "load", "--location", str(location), "--file", *files],
        check=True,
        capture_output=True,
    )
    with oxigraph_server(location, read_only=True) as server:
        yield f"{server.base}/query"


def client_args(endpoint: str, cache: Path) -> list[str]:
    """``kzgraph link``'s client options against a local endpoint: fast, with one retry."""
    return [
        "--endpoint",
        endpoint,
        "--cache-dir",
        str(cache),
        "--rate",
        "200",
        "--retries",
        "1",
        "--backoff",
        "0.01",
        "--timeout",
        "10",
    ]


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
