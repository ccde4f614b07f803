"""Reconciliation, enrichment and federated queries against a real SPARQL server.

A real ``oxigraph serve-read-only`` on 127.0.0.1 holds the fixture in Wikidata's data model
(tests/fixtures/wikidata/); the reconciler, the enricher and the federated query talk to it
over HTTP exactly as they would to Wikidata. A small real HTTP server in front of it fails on
purpose to show the retries. Nothing mocks the HTTP layer.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

from graph.cli.main import main
from graph.errors import InputError
from graph.inputs.reading import load_graph, quads
from graph.linking.alignments import alignments
from graph.linking.client import ClientSettings, NetworkError, SparqlClient
from graph.linking.enrich import enrich
from graph.linking.external import external_links
from graph.linking.federated import federated_query
from graph.linking.reconcile import (
    alignments_text,
    apply_matches,
    read_alignments,
    recheck,
    reconcile,
)
from graph.linking.targets import ENRICHMENT_GRAPH
from graph.namespaces import ELI, KZ, KZR, WD
from graph.pipeline.validation import validate
from graph.serving.labels import label_for
from graph.sparql.catalogue import get_query
from tests.conftest import FIXTURES, client_args, snapshot
from tests.support.servers import free_port, oxigraph_binary, oxigraph_server

pytestmark = pytest.mark.server

WIKIDATA = "https://query.wikidata.org/sparql"
SCHEMA = "https://schema.org/"
TODAY = dt.date(2026, 11, 25)


def settings(endpoint: str, cache: Path | None, **extra: object) -> ClientSettings:
    options: dict[str, object] = {"rate": 200.0, "retries": 2, "backoff": 0.01, "timeout": 10.0}
    options.update(extra)
    return ClientSettings(endpoint=endpoint, cache_dir=cache, **options)  # type: ignore[arg-type]


def inputs(project: Path) -> list[str]:
    """``--data`` and ``--ontology`` of a scratch project."""
    return ["--data", str(project / "data"), "--ontology", str(project / "ontology")]


# -- Reconciliation --


def test_reconcile_ranks_real_items_and_stand_ins_above_decoys(
    dataset, wikidata_endpoint, tmp_path
):
    names = [
        "kazakhstan",
        "igor-rogov",
        "ministry-of-justice",
        "ilo-c190",
        "venice-commission",
    ]
    with SparqlClient(settings(wikidata_endpoint, tmp_path)) as client:
        report = reconcile(dataset, client, [KZR[n] for n in names])
    accepted = {c.entity.iri: c for c in report.accepted}
    assert {e: c.target for e, c in accepted.items()} == {
        KZR["kazakhstan"]: WD["Q232"],
        KZR["igor-rogov"]: WD["Q999999802"],
        KZR["ministry-of-justice"]: WD["Q999999803"],
        KZR["ilo-c190"]: WD["Q999999801"],
    }
    assert accepted[KZR["igor-rogov"]].score == 1.0
    assert any("country wd:Q232" in e for e in accepted[KZR["igor-rogov"]].evidence)
    review = {(c.entity.iri, c.target): c.score for c in report.review}
    # decoys: same label, wrong type or wrong country: shown for review, never accepted
    assert review[(KZR["kazakhstan"], WD["Q999999901"])] < 0.75
    assert review[(KZR["igor-rogov"], WD["Q999999902"])] == 0.8
    assert review[(KZR["ministry-of-justice"], WD["Q999999903"])] < 0.75
    assert review[(KZR["venice-commission"], WD["Q999999905"])] < 0.75
    assert KZR["venice-commission"] not in accepted


def test_link_dry_run_writes_nothing_then_link_writes(project, wikidata_endpoint, tmp_path, capsys):
    data = project / "data"
    before = snapshot(data)
    args = [
        "link",
        "--entity",
        "igor-rogov",
        "--entity",
        "venice-commission",
        *client_args(wikidata_endpoint, tmp_path / "cache"),
        "--data",
        str(data),
        "--ontology",
        str(project / "ontology"),
    ]
    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "accept  igor-rogov" in out and "wd:Q999999802" in out
    assert "review  igor-rogov" in out and "wd:Q999999902" in out
    assert "dry run: nothing written" in out
    assert snapshot(data) == before

    assert main(args) == 0
    out = capsys.readouterr().out
    assert "0 request(s) to the endpoint" in out  # the rerun was answered from the cache
    assert "wrote 1 alignment(s)" in out
    ds = load_graph(project / "ontology", data)
    assert (KZR["igor-rogov"], OWL.sameAs, WD["Q999999802"]) in ds
    record = next(
        r
        for r in alignments(ds)
        if r.source == KZR["igor-rogov"] and r.dataset == KZR["dataset-wikidata"]
    )
    assert record.status == KZ.Verified
    assert ds.value(record.iri, KZ.mappingMethod) == KZ.Reconciled
    assert ds.value(record.iri, KZ.confidence) == Literal("1.000", datatype=XSD.decimal)
    assert ds.value(record.iri, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")) == URIRef(
        wikidata_endpoint
    )
    assert validate(
        ds, project / "ontology" / "shapes.ttl", project / "ontology" / "checks"
    ).conforms


def test_verified_alignments_are_never_overwritten(project, dataset, wikidata_endpoint, tmp_path):
    path = project / "data" / "alignments.ttl"
    with SparqlClient(settings(wikidata_endpoint, tmp_path)) as client:
        report = reconcile(dataset, client, [KZR["kazakhstan"]])
    before = path.read_bytes()
    assert apply_matches(path, report.accepted, "wikidata", wikidata_endpoint, TODAY) == []
    assert path.read_bytes() == before


def test_rerun_costs_no_requests(dataset, wikidata_endpoint, tmp_path):
    entities = [KZR["igor-rogov"], KZR["russia"]]
    with SparqlClient(settings(wikidata_endpoint, tmp_path)) as client:
        first = reconcile(dataset, client, entities)
        assert client.network_requests == 2 and client.cache_hits == 0
    with SparqlClient(settings(wikidata_endpoint, tmp_path)) as client:
        second = reconcile(dataset, client, entities)
        assert client.network_requests == 0 and client.cache_hits == 2
    assert [c.target for c in first.accepted] == [c.target for c in second.accepted]
    with SparqlClient(settings(wikidata_endpoint, tmp_path, refresh=True)) as client:
        reconcile(dataset, client, entities)
        assert client.network_requests == 2


def test_network_failure_is_one_clear_line_and_changes_no_file(project, tmp_path, capsys):
    dead = f"http://127.0.0.1:{free_port()}/query"
    before = snapshot(project / "data")
    for command in (["link", "--entity", "igor-rogov"], ["enrich"]):
        code = main(
            [
                *command,
                *client_args(dead, tmp_path / "cache"),
                "--data",
                str(project / "data"),
                "--ontology",
                str(project / "ontology"),
            ]
        )
        err = capsys.readouterr().err
        assert code == 2
        assert err.startswith(f"kzgraph: cannot reach {dead} (connection refused)")
        assert "nothing was written" in err and "Traceback" not in err
    assert snapshot(project / "data") == before


# -- Politeness: a real server that fails on purpose --


class Flaky(http.server.ThreadingHTTPServer):
    """Answers ``failures`` requests with ``status`` (and Retry-After: 0), then proxies."""

    def __init__(self, upstream: str, status: int, failures: int) -> None:
        self.upstream, self.status, self.failures = upstream, status, failures
        self.hits = 0
        self.agents: list[str] = []
        super().__init__(("127.0.0.1", 0), FlakyHandler)


class FlakyHandler(http.server.BaseHTTPRequestHandler):
    server: Flaky

    def do_GET(self) -> None:
        server = self.server
        server.hits += 1
        server.agents.append(self.headers.get("User-Agent", ""))
        if server.hits <= server.failures:
            self.send_response(server.status)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        query = self.path.split("?", 1)[1]
        request = urllib.request.Request(
            f"{server.upstream}?{query}", headers={"Accept": "application/sparql-results+json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky(wikidata_endpoint: str, request: pytest.FixtureRequest) -> Iterator[Flaky]:
    status, failures = request.param
    server = Flaky(wikidata_endpoint, status, failures)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("flaky", [(503, 2), (429, 1)], indirect=True)
def test_retries_after_429_and_5xx_then_succeeds(dataset, flaky, tmp_path):
    url = f"http://127.0.0.1:{flaky.server_address[1]}/query"
    with SparqlClient(settings(url, tmp_path, retries=3)) as client:
        report = reconcile(dataset, client, [KZR["igor-rogov"]])
    assert report.accepted[0].target == WD["Q999999802"]
    assert flaky.hits == flaky.failures + 1
    assert all(
        agent.startswith("kzgraph/") and "w3id.org/kzgraph" in agent for agent in flaky.agents
    )


@pytest.mark.parametrize("flaky", [(503, 100)], indirect=True)
def test_gives_up_after_the_retries(dataset, flaky, tmp_path):
    url = f"http://127.0.0.1:{flaky.server_address[1]}/query"
    with (
        SparqlClient(settings(url, tmp_path, retries=2)) as client,
        pytest.raises(NetworkError, match="kept failing after 2 retries"),
    ):
        reconcile(dataset, client, [KZR["igor-rogov"]])
    assert flaky.hits == 3
    # errors are never cached: the next run asks again
    with SparqlClient(settings(url, tmp_path, retries=0)) as client, pytest.raises(NetworkError):
        reconcile(dataset, client, [KZR["igor-rogov"]])
    assert flaky.hits == 4


# -- Enrichment --


def test_enrich_imports_into_its_own_graph_and_drops(project, wikidata_endpoint, tmp_path, capsys):
    data, ontology = project / "data", project / "ontology"
    curated = load_graph(ontology, data)
    # link ILO C190 (pending) to its stand-in first, as `kzgraph link` would
    with SparqlClient(settings(wikidata_endpoint, tmp_path / "cache")) as client:
        report = reconcile(curated, client, [KZR["ilo-c190"]])
    apply_matches(data / "alignments.ttl", report.accepted, "wikidata", wikidata_endpoint, TODAY)
    curated = load_graph(ontology, data)

    args = [
        "enrich",
        "--lang",
        "kk,ru",
        *client_args(wikidata_endpoint, tmp_path / "cache"),
        *inputs(project),
    ]
    assert main(args) == 0
    assert "treaty-party records" in capsys.readouterr().out
    ds = load_graph(ontology, data)
    enriched = {(s, p, o) for s, p, o, g in quads(ds) if g == ENRICHMENT_GRAPH}
    name = URIRef(SCHEMA + "name")
    assert (KZR["kazakhstan"], name, Literal("Қазақстан", lang="kk")) in enriched
    assert (KZR["kazakhstan"], name, Literal("Казахстан", lang="ru")) in enriched
    assert (
        KZR["kassym-jomart-tokayev"],
        URIRef(SCHEMA + "birthDate"),
        Literal("1953-05-17", datatype=XSD.date),
    ) in enriched
    assert (KZR["iccpr"], ELI.date_document, Literal("1966-12-16", datatype=XSD.date)) in enriched
    assert (
        KZR["kazakhstan"],
        URIRef(SCHEMA + "foundingDate"),
        Literal("1991", datatype=XSD.gYear),
    ) in enriched
    # P6193 with its P585 qualifier, at the precision the endpoint gives
    parties = {
        (ds.value(r, KZ.partyState), ds.value(r, KZ.partyTreaty)): ds.value(r, KZ.partySince)
        for r in ds.subjects(RDF.type, KZ.TreatyParty)
    }
    assert parties[(KZR["kazakhstan"], KZR["iccpr"])] == Literal("2006-01-24", datatype=XSD.date)
    assert parties[(KZR["kazakhstan"], KZR["ilo-c190"])] == Literal(
        "1998-08", datatype=XSD.gYearMonth
    )
    assert parties[(KZR["russia"], KZR["iccpr"])] == Literal("1973", datatype=XSD.gYear)
    # marked with its source and retrieval time
    assert (
        ENRICHMENT_GRAPH,
        URIRef("http://purl.org/dc/terms/source"),
        URIRef(wikidata_endpoint),
    ) in ds
    assert ds.value(ENRICHMENT_GRAPH, URIRef("http://www.w3.org/ns/prov#generatedAtTime"))

    # never mixed with curated facts: every other graph is exactly as before
    def others(d):
        return {q for q in quads(d) if q[3] != ENRICHMENT_GRAPH}

    assert others(ds) == others(curated)
    assert validate(ds, ontology / "shapes.ttl", ontology / "checks").conforms
    # labels with a language switch and English fallback
    assert label_for(ds, KZR["kazakhstan"], "kk") == "Қазақстан"
    assert label_for(ds, KZR["kassym-jomart-tokayev"], "ru") == "Касым-Жомарт Токаев"
    assert label_for(ds, KZR["kazakhstan"], "de") == "Kazakhstan"
    assert label_for(ds, KZR["igor-rogov"], "kk") == "Igor Rogov"

    assert main(["enrich", "--drop", "--data", str(data)]) == 0
    assert not (data / "enrichment.ttl").exists()
    assert set(quads(load_graph(ontology, data))) == set(quads(curated))


def test_enrich_in_process_counts(dataset, wikidata_endpoint, tmp_path):
    with SparqlClient(settings(wikidata_endpoint, tmp_path)) as client:
        result = enrich(dataset, client, ["kk", "ru"], now=dt.datetime(2026, 11, 25, tzinfo=dt.UTC))
    assert result.labels == 9 and result.dates == 5 and result.parties == 2


# -- Keeping links current --


def test_recheck_reports_links_the_endpoint_does_not_know(
    project, dataset, wikidata_endpoint, tmp_path
):
    """The older fixture knows only the 11 items of issue 5: the rest are reported, not dated."""
    path = project / "data" / "alignments.ttl"
    with SparqlClient(settings(wikidata_endpoint, tmp_path)) as client:
        confirmed, problems = recheck(dataset, client, path, dt.date(2027, 1, 2))
    assert len(confirmed) == 11
    assert problems and all("has no English label at the endpoint" in why for _a, why in problems)
    assert path.read_text(encoding="utf-8").count('"2027-01-02"^^xsd:date') == 11


# -- Federated queries --


def test_federated_catalogue_query_through_the_allow_list(dataset, wikidata_endpoint):
    text = get_query("federated-treaty-adoption-dates").text
    assert f"SERVICE <{WIKIDATA}>" in text
    result = federated_query(
        dataset, text, allow=[WIKIDATA, wikidata_endpoint], endpoints={WIKIDATA: wikidata_endpoint}
    )
    rows = [tuple(row) for row in result]
    assert len(rows) == 1
    treaty, _label, item, adopted, parties = rows[0]
    assert (treaty, item) == (KZR["iccpr"], WD["Q392119"])
    assert str(adopted).startswith("1966-12-16") and int(parties) == 2


def test_federated_query_refused_off_the_allow_list(dataset, wikidata_endpoint):
    text = get_query("federated-treaty-adoption-dates").text
    with pytest.raises(InputError, match="is not allowed"):
        federated_query(
            dataset, text, allow=[wikidata_endpoint], endpoints={WIKIDATA: wikidata_endpoint}
        )
    with pytest.raises(InputError, match="is not allowed"):
        federated_query(dataset, text, allow=[WIKIDATA], endpoints={WIKIDATA: wikidata_endpoint})


# -- The recorded reconciliation run: a snapshot of Wikidata behind a local `oxigraph serve` --

SNAPSHOT = FIXTURES / "wikidata" / "snapshot" / "statements.ttl"
#: What reconciliation finds again once the curated exact Wikidata links are set aside
#: (Kazakhstan kept, as the country every Kazakh body is checked against).
RECONCILED_AGAIN = {
    "iccpr": "Q392119",
    "russia": "Q159",
    "ukraine": "Q212",
    "topic/human-rights": "Q8458",
    "topic/rule-of-law": "Q44918",
    "topic/civil-and-political-rights": "Q191600",
    "topic/judicial-system": "Q105985",
    "topic/criminal-justice": "Q117488",
    "topic/freedom-of-religion": "Q171899",
    "topic/womens-rights": "Q223569",
}


@pytest.fixture(scope="module")
def snapshot_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``oxigraph serve`` on 127.0.0.1 holding only the recorded snapshot; its query URL."""
    location = tmp_path_factory.mktemp("wikidata-snapshot")
    subprocess.run(
        [oxigraph_binary(), "load", "--location", str(location), "--file", str(SNAPSHOT)],
        check=True,
        capture_output=True,
    )
    with oxigraph_server(location) as server:
        yield f"{server.base}/query"


def _verified_wikidata(ds) -> dict[URIRef, tuple[URIRef, URIRef]]:
    """Entity -> (target, linking property) for every verified Wikidata alignment."""
    return {
        r.source: (r.target, r.prop)
        for r in alignments(ds)
        if r.dataset == KZR["dataset-wikidata"] and r.status == KZ.Verified
    }


def _set_aside_exact_links(path: Path, keep: set[URIRef]) -> dict[URIRef, URIRef]:
    """Turn the curated exact Wikidata links (but ``keep``) back into pending alignments, as
    they were before issue 16; return what they linked to."""
    graph = read_alignments(path)
    removed = {}
    for r in alignments(graph):
        if (
            r.dataset != KZR["dataset-wikidata"]
            or r.status != KZ.Verified
            or r.prop not in (OWL.sameAs, SKOS.exactMatch)
            or r.source in keep
        ):
            continue
        removed[r.source] = r.target
        graph.remove((r.source, r.prop, r.target))
        graph.remove((r.iri, None, None))
        for p, o in (
            (RDF.type, KZ.Alignment),
            (RDFS.label, Literal("set aside for the test", lang="en")),
            (OWL.annotatedSource, r.source),
            (KZ.alignmentStatus, KZ.PendingReconciliation),
            (KZ.targetDataset, KZR["dataset-wikidata"]),
            (KZ.lastChecked, Literal("2026-12-02", datatype=XSD.date)),
            (SKOS.editorialNote, Literal("set aside for the test", lang="en")),
        ):
            graph.add((r.iri, p, o))
    path.write_text(alignments_text(graph), encoding="utf-8")
    return removed


def test_snapshot_holds_the_verified_items_and_each_has_a_record():
    snapshot = Graph().parse(SNAPSHOT, format="turtle")
    readme = (SNAPSHOT.parent / "README.md").read_text(encoding="utf-8")
    linked = {t for t, _p in _verified_wikidata(load_graph()).values()}
    assert len(linked) >= 25
    labelled = set(snapshot.subjects(RDFS.label, None))
    assert linked <= labelled
    for item in labelled:
        # every item, class or linked, is named in the provenance table beside the snapshot
        assert f"Q{str(item).rsplit('Q', 1)[1]}" in readme, item
    # and nothing else: each item is linked from the data or a class of a linked item
    classes = set(snapshot.objects(None, URIRef("http://www.wikidata.org/prop/direct/P31")))
    assert labelled == linked | classes


def test_recheck_confirms_every_verified_link_against_the_snapshot(
    project, snapshot_endpoint, tmp_path, capsys
):
    data = project / "data"
    code = main(
        [
            "link",
            "--recheck",
            *client_args(snapshot_endpoint, tmp_path / "cache"),
            "--data",
            str(data),
            "--ontology",
            str(project / "ontology"),
        ]
    )
    out = capsys.readouterr().out
    verified = _verified_wikidata(load_graph(project / "ontology", data))
    assert code == 0 and f"confirmed {len(verified)} link(s)" in out and "PROBLEM" not in out
    ds = load_graph(project / "ontology", data)
    today = Literal(dt.date.today().isoformat(), datatype=XSD.date)
    for r in alignments(ds):
        if r.dataset == KZR["dataset-wikidata"] and r.status == KZ.Verified:
            assert ds.value(r.iri, KZ.lastChecked) == today, r.iri


def test_reconciliation_run_finds_the_curated_items_again(
    project, snapshot_endpoint, tmp_path, capsys
):
    data, ontology = project / "data", project / "ontology"
    curated = _verified_wikidata(load_graph(ontology, data))
    removed = _set_aside_exact_links(data / "alignments.ttl", keep={KZR["kazakhstan"]})
    assert len(removed) >= 15
    report_file = tmp_path / "report.json"
    args = [
        "link",
        "--format",
        "json",
        "-o",
        str(report_file),
        *client_args(snapshot_endpoint, tmp_path / "cache"),
        "--data",
        str(data),
        "--ontology",
        str(ontology),
    ]
    assert main(args) == 0
    report = json.loads(report_file.read_text(encoding="utf-8"))
    accepted = {URIRef(a["entity"]): URIRef(a["candidate"]) for a in report["accepted"]}
    # every match reconciliation accepts is the item curation verified: it never contradicts
    for entity, item in accepted.items():
        assert curated[entity][0] == item, entity
    assert accepted == {KZR[slug]: WD[qid] for slug, qid in RECONCILED_AGAIN.items()}
    # the rest of the set-aside links go to review, never to a wrong item
    review = {URIRef(c["entity"]) for c in report["review"]}
    assert KZR["convention-against-torture"] in review and KZR["council-of-europe"] in review
    for c in report["review"]:
        assert URIRef(c["candidate"]) == curated[URIRef(c["entity"])][0]
    # written as reconciled alignments, with their score: the data stays valid
    ds = load_graph(ontology, data)
    assert validate(ds, ontology / "shapes.ttl", ontology / "checks").conforms
    links = {e: external_links(ds, e) for e in accepted}
    assert all(any(x.status == "reconciled" for x in ls) for ls in links.values())
    from graph.pipeline.statistics import stats

    assert stats(ds)["alignments"]["reconciled"] == len(accepted)


def test_enrich_imports_the_snapshot_into_its_own_graph(
    project, snapshot_endpoint, tmp_path, capsys
):
    data, ontology = project / "data", project / "ontology"
    curated = load_graph(ontology, data)
    args = [
        "enrich",
        "--lang",
        "kk,ru",
        *client_args(snapshot_endpoint, tmp_path / "cache"),
        *inputs(project),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert ": 6 labels, 0 descriptions, 5 dates, 0 treaty-party records" in out
    ds = load_graph(ontology, data)
    enriched = {(s, p, o) for s, p, o, g in quads(ds) if g == ENRICHMENT_GRAPH}
    name = URIRef(SCHEMA + "name")
    for entity, text, lang in (
        (KZR["kazakhstan"], "Қазақстан", "kk"),
        (KZR["kazakhstan"], "Казахстан", "ru"),
        (KZR["kassym-jomart-tokayev"], "Қасым-Жомарт Тоқаев", "kk"),
        (KZR["topic/judicial-system"], "Сот билігі", "kk"),
        (KZR["topic/judicial-system"], "судебная власть", "ru"),
        (KZR["topic/rule-of-law"], "верховенство права", "ru"),
    ):
        assert (entity, name, Literal(text, lang=lang)) in enriched
    for entity, prop, value in (
        (
            KZR["kassym-jomart-tokayev"],
            SCHEMA + "birthDate",
            Literal("1953-05-17", datatype=XSD.date),
        ),
        (KZR["kazakhstan"], SCHEMA + "foundingDate", Literal("1991", datatype=XSD.gYear)),
        (KZR["ukraine"], SCHEMA + "foundingDate", Literal("1991-08-24", datatype=XSD.date)),
        (KZR["united-nations"], SCHEMA + "foundingDate", Literal("1945", datatype=XSD.gYear)),
        (KZR["iccpr"], str(ELI.date_document), Literal("1966-12-16", datatype=XSD.date)),
    ):
        assert (entity, URIRef(prop), value) in enriched
    # a close match (refugee for the rights of migrants and refugees) lends no label
    assert not any(s == KZR["topic/migrants-and-refugees"] for s, _p, _o in enriched)
    assert {q for q in quads(ds) if q[3] != ENRICHMENT_GRAPH} == set(quads(curated))
    assert validate(ds, ontology / "shapes.ttl", ontology / "checks").conforms
    # the imported Kazakh label is what `kzgraph show --lang kk` titles the entity with
    assert (
        main(
            ["show", "kazakhstan", "--lang", "kk", "--data", str(data), "--ontology", str(ontology)]
        )
        == 0
    )
    assert capsys.readouterr().out.startswith("Қазақстан\n")


# -- Each link with its status: the library function and the commands that show it --


@pytest.mark.parametrize("door", ["dataset", "store", "pyoxigraph"])
def test_external_links_read_the_same_from_every_door(dataset, door):
    import pyoxigraph as ox

    from graph.stores.memory import MemoryStore

    if door == "dataset":
        source: object = dataset
    elif door == "store":
        source = MemoryStore(dataset)
    else:
        source = ox.Store()
        source.load(dataset.serialize(format="nquads").encode(), format=ox.RdfFormat.N_QUADS)
    links = {(x.dataset_label, x.status): x for x in external_links(source, KZR["kazakhstan"])}
    wikidata = links[("Wikidata", "verified")]
    assert (wikidata.target, wikidata.prop, wikidata.match) == (WD["Q232"], OWL.sameAs, "exact")
    assert wikidata.last_checked == dt.date(2026, 12, 2)
    assert any("SpocWiki" in (e.label or "") for e in wikidata.evidence)
    assert links[("DBpedia", "verified")].short_target == "dbr:Kazakhstan"
    close = external_links(source, KZR["topic/right-to-life"])
    assert {(x.short_target, x.match, x.prop) for x in close} == {
        ("wd:Q8454", "close", SKOS.closeMatch),
        ("dbr:Capital_punishment", "close", SKOS.closeMatch),
    }
    (pending,) = external_links(source, KZR["igor-rogov"])
    assert pending.status == "pending" and pending.target is None and "Searched" in pending.note
    assert pending.status_text() == "pending, checked 2026-12-02"
    assert json.loads(json.dumps(pending.to_dict()))["status"] == "pending"
    assert external_links(source, KZR["nowhere"]) == []


def test_show_prints_facts_with_sources_and_links_with_status(capsys):
    assert main(["show", "kzr:iccpr"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("International Covenant on Civil and Political Rights\n")
    assert "kind: Treaty (kz:Treaty)" in out and "Facts (" in out and "from " in out
    assert (
        "  Wikidata                          wd:Q392119  exact, verified, checked 2026-12-02" in out
    )
    assert "evidence: https://github.com/SpocWiki/_Standards/blob/02cc438d" in out
    assert "IV-4" in out
    assert main(["show", "Igor Rogov", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["entity"]["iri"] == str(KZR["igor-rogov"])
    (link,) = data["external_links"]
    assert link["status"] == "pending" and link["target"] is None
    assert main(["show", "Rogov"]) == 2
    assert "matches" in capsys.readouterr().err


def test_show_escapes_control_characters_in_data(project, capsys):
    hostile = project / "data" / "zz-hostile.ttl"
    hostile.write_text(
        "<https://w3id.org/kzgraph/id/igor-rogov> <http://www.w3.org/2004/02/skos/core#note> "
        '"bad\\u001b[2Jclear\\u202Eflip"@en .\n',
        encoding="utf-8",
    )
    args = [
        "show",
        "igor-rogov",
        "--data",
        str(project / "data"),
        "--ontology",
        str(project / "ontology"),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "bad\\u001b[2Jclear\\u202eflip" in out


def test_paths_ends_with_the_links_of_both_ends(capsys):
    assert main(["paths", "kzr:decree-597", "kzr:iccpr", "--no-sources"]) == 0
    out = capsys.readouterr().out
    assert "\nExternal links\n" in out
    tail = out.split("\nExternal links\n", 1)[1]
    assert "International Covenant on Civil and Political Rights (kzr:iccpr)" in tail
    assert "wd:Q392119  exact, verified" in tail and "evidence:" not in tail
