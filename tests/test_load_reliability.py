"""``kzgraph serve`` under load and under a pathological query, as a real process on loopback.

- Load test: concurrent clients (wrk) for a while, a mix of catalogue queries, lookups, entity
  pages and errors the clients make: zero failed requests, and the memory of the server and its
  workers after the run within 20% of before it. Reduced form: 8 clients for 10 s; full form
  (``KZGRAPH_RELIABILITY=full``): 32 clients for 60 s.
- A cartesian product over the whole graph is stopped at the time limit with a clear 503, while
  other clients keep getting answers; their latency during it is asserted.
"""

from __future__ import annotations

import statistics
import threading
import time
from urllib.parse import quote

import httpx
import pytest

from graph.sparql.catalogue import list_queries
from tests.reliability import scale
from tests.support.servers import kzgraph_serve
from tests.support.wrk import Request, run_wrk

CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LOOKUP = "SELECT ?p ?o WHERE { kzr:igor-rogov ?p ?o }"
JSON = {"Accept": "application/sparql-results+json"}


def request_mix() -> list[Request]:
    """What the load test's clients send, in turn."""
    from graph.sparql.guard import check_query
    from graph.sparql.results import QueryRefused

    local = []
    for entry in list_queries():
        try:
            check_query(entry.text)
            local.append(entry.text)
        except QueryRefused:
            pass
    entities = ["igor-rogov", "kazakhstan", "decree-597", "commission-on-human-rights"]
    mix: list[Request] = []
    for text in local[:6]:
        mix.append(("GET", f"/sparql?query={quote(text)}", JSON, None))
    for entity in entities:
        lookup = f"SELECT ?p ?o WHERE {{ kzr:{entity} ?p ?o }}"
        mix.append(
            ("POST", "/sparql", {**JSON, "Content-Type": "application/sparql-query"}, lookup)
        )
        mix.append(("GET", f"/id/{entity}", {"Accept": "text/turtle"}, None))
    mix.append(("GET", f"/sparql?query={quote(LOOKUP)}", {"Accept": "text/csv"}, None))
    mix.append(("GET", "/void", {"Accept": "text/turtle"}, None))
    return mix


def warm_up(base: str, mix: list[Request], rounds: int) -> None:
    """Send every request of the mix a few times, so each worker has run each code path."""
    with httpx.Client(base_url=base, timeout=60) as client:
        for _ in range(rounds):
            for method, path, headers, body in mix:
                response = client.request(method, path, headers=headers, content=body)
                assert response.status_code == 200, (
                    path,
                    response.status_code,
                    response.text[:300],
                )


@pytest.mark.server
@pytest.mark.slow
@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_sustained_load_has_no_errors_and_no_memory_growth(store, tmp_path):
    clients, seconds = scale(8, 32), scale(10, 60)
    args = ["--workers", "2", "--timeout", "30"]
    if store == "oxigraph":
        args += ["--store", "oxigraph", "--location", str(tmp_path / "store")]
    mix = request_mix()
    with kzgraph_serve(*args) as server:
        warm_up(server.base, mix, rounds=4)
        before = server.tree_rss_mb()
        result = run_wrk(server.base, mix, clients=clients, seconds=seconds, workdir=tmp_path)
        time.sleep(1)
        after = server.tree_rss_mb()
        assert server.process.poll() is None, server.output()
    summary = (
        f"{store} store, {clients} clients for {seconds} s: {result['requests']} requests,"
        f" {result['non_2xx']} non-2xx, {result['socket_errors']} socket errors;"
        f" server memory before {before:.0f} MB, after {after:.0f} MB"
    )
    print(summary)  # shown with pytest -s: the figures of the full form
    assert result["requests"] >= seconds * 2, summary + "\n" + result["raw"] + result["stderr"]
    assert result["non_2xx"] == 0 and result["socket_errors"] == 0, (
        summary + "\n" + result["raw"] + result["stderr"]
    )
    assert after <= before * 1.2, summary


def timed_lookups(
    base: str, stop: threading.Event, latencies: list[float], failures: list[str]
) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        while not stop.is_set():
            started = time.perf_counter()
            response = client.get("/sparql", params={"query": LOOKUP}, headers=JSON)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200 or not response.json()["results"]["bindings"]:
                failures.append(f"{response.status_code} {response.text[:200]}")
            time.sleep(0.02)


@pytest.mark.server
@pytest.mark.slow
@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_cartesian_query_is_stopped_while_others_are_answered(store, tmp_path):
    limit = 3.0
    args = ["--workers", "2", "--timeout", str(limit)]
    if store == "oxigraph":
        args += ["--store", "oxigraph", "--location", str(tmp_path / "store")]
    with kzgraph_serve(*args) as server:
        with httpx.Client(base_url=server.base, timeout=30) as client:
            for _ in range(4):  # both workers warm
                assert (
                    client.get("/sparql", params={"query": LOOKUP}, headers=JSON).status_code == 200
                )
        baseline: list[float] = []
        stop = threading.Event()
        failures: list[str] = []
        watcher = threading.Thread(
            target=timed_lookups, args=(server.base, stop, baseline, failures)
        )
        watcher.start()
        time.sleep(1.0)
        stop.set()
        watcher.join()
        during: list[float] = []
        stop = threading.Event()
        watcher = threading.Thread(target=timed_lookups, args=(server.base, stop, during, failures))
        watcher.start()
        started = time.perf_counter()
        with httpx.Client(base_url=server.base, timeout=60) as client:
            response = client.get("/sparql", params={"query": CARTESIAN}, headers=JSON)
        elapsed = time.perf_counter() - started
        time.sleep(0.5)
        stop.set()
        watcher.join()
        # the pathological query: stopped at the limit, with a clear message
        assert response.status_code == 503, response.text
        assert "longer than the time limit of 3 s" in response.text
        assert limit <= elapsed < limit + 5, elapsed
        # the other client kept getting answers, and fast
        assert not failures, failures[:3]
        assert len(during) >= 10, len(during)
        median_during = statistics.median(during)
        assert median_during < max(0.25, 10 * statistics.median(baseline)), (
            f"lookups took {median_during * 1000:.0f} ms (median) during the cartesian query,"
            f" {statistics.median(baseline) * 1000:.0f} ms before"
        )
        assert max(during) < 2.0, max(during)
        print(
            f"{store} store: cartesian query stopped after {elapsed:.2f} s (limit {limit:g} s);"
            f" {len(during)} lookups meanwhile, median {median_during * 1000:.1f} ms,"
            f" max {max(during) * 1000:.1f} ms (before: median"
            f" {statistics.median(baseline) * 1000:.1f} ms)"
        )
        # and afterwards the pool is whole again: the killed worker was replaced
        with httpx.Client(base_url=server.base, timeout=30) as client:
            deadline = time.monotonic() + 60
            answered = 0
            while answered < 6 and time.monotonic() < deadline:
                r = client.get("/sparql", params={"query": LOOKUP}, headers=JSON)
                answered += r.status_code == 200
            assert answered == 6
