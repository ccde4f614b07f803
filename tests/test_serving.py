"""``kzgraph serve`` as its users meet it: server processes on a real port, over each store.

The protocol details a client library relies on (an ``Upgrade: h2c`` offer ignored, HEAD, the
URL and header limits), the hardening found by the red team (slow clients, connection caps,
byte and memory caps, fairness, the update journal), and the supervisor's work: a process whose
query overruns is replaced, so is a killed one, and none outlives the server.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.conftest import REPO
from tests.support.servers import CountingServer, Server, kzgraph_serve, oxigraph_server

pytestmark = pytest.mark.server
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LOOKUP = "SELECT ?p ?o WHERE { kzr:igor-rogov ?p ?o }"
TOKEN = "a-token-for-the-serving-tests"


def server_processes(server: Server) -> list[psutil.Process]:
    """The server processes (children of the supervisor's forkserver)."""
    root = psutil.Process(server.process.pid)
    found = []
    for child in root.children(recursive=True):
        try:
            if child.ppid() != root.pid and child.is_running() and child.status() != "zombie":
                found.append(child)
        except psutil.Error:
            continue
    return found


def wait_for_processes(server: Server, count: int, timeout: float = 60) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while True:
        found = server_processes(server)
        if len(found) == count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(found)} server processes, expected {count}")
        time.sleep(0.2)


def wait_for_replacement(server: Server, before: set[int], count: int) -> None:
    deadline = time.monotonic() + 60
    now: set[int] = set()
    while time.monotonic() < deadline:
        now = {p.pid for p in server_processes(server)}
        if len(now) == count and now - before:
            return
        time.sleep(0.2)
    raise AssertionError(f"not replaced: {before} -> {now}")


def raw_exchange(server: Server, data: bytes, wait: float = 10) -> bytes:
    """Send ``data`` on a fresh connection and read until the server closes it (or ``wait``)."""
    host, port = server.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        sock.sendall(data)
        chunks = []
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serving") / "store"


@pytest.fixture(scope="module")
def served(store_dir: Path) -> Iterator[Server]:
    """A persistent store, two server processes, tight limits."""
    args = ["--store", "oxigraph", "--location", str(store_dir), "--workers", "2"]
    limits = ["--timeout", "3", "--request-timeout", "2", "--max-client-connections", "8"]
    with kzgraph_serve(*args, *limits, "--max-answer-bytes", "1000000") as server:
        wait_for_processes(server, 2)
        yield server


@pytest.fixture(scope="module")
def default_store() -> Iterator[Server]:
    with kzgraph_serve("--workers", "2", "--timeout", "3") as server:
        wait_for_processes(server, 2)
        yield server


# -- What the server says and where it runs --


@pytest.mark.parametrize("which", ["served", "default_store"])
def test_every_store_is_served_by_isolated_server_processes(which, request):
    server: Server = request.getfixturevalue(which)
    deadline = time.monotonic() + 120  # printed once every process is ready
    while "kzgraph: serving the" not in server.output() and time.monotonic() < deadline:
        time.sleep(0.1)
    banner = server.output()
    assert "2 server processes" in banner and "network isolation on" in banner, banner
    supervisor_ns = os.readlink(f"/proc/{server.process.pid}/ns/net")
    for process in server_processes(server):
        assert os.readlink(f"/proc/{process.pid}/ns/net") != supervisor_ns


def test_kzgraph_serve_help_has_no_mode():
    done = subprocess.run(
        [sys.executable, "-m", "graph.cli", "serve", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert "--mode" not in done.stdout and "uvicorn" in done.stdout
    for option in ("--request-timeout", "--max-client-connections", "--memory-limit"):
        assert option in done.stdout


# -- The protocol as clients send it --


CURL_HTTP2 = ["curl", "-s", "--http2", "-o", "-", "-w", "\n%{http_code} %{http_version}"]


def h2c_offer(method: str, body: bytes = b"", content_type: str = "") -> bytes:
    """A request as Java's HTTP client sends it over plain HTTP: with an HTTP/2 upgrade offer."""
    head = [
        f"{method} /sparql?{'query=ASK%7B%7D' if not body else ''} HTTP/1.1",
        "Host: 127.0.0.1",
        "Connection: Upgrade, HTTP2-Settings",
        "Upgrade: h2c",
        "HTTP2-Settings: AAEAAEAAAAIAAAABAAMAAABkAAQBAAAAAAUAAEAA",
        "Accept: application/sparql-results+json",
    ]
    if body:
        head += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", ""),
        (
            b"query=ASK%20%7B%20kzr%3Aigor-rogov%20%3Fp%20%3Fo%20%7D",
            "application/x-www-form-urlencoded",
        ),
        (b"ASK { kzr:igor-rogov ?p ?o }", "application/sparql-query"),
    ],
    ids=["get", "post-form", "post-direct"],
)
def test_an_h2c_upgrade_offer_is_ignored_and_answered(served, body, content_type):
    """Regression: direct mode answered 400, pooled mode lost the POST body."""
    reply = raw_exchange(served, h2c_offer("POST" if body else "GET", body, content_type), wait=5)
    assert reply.startswith(b"HTTP/1.1 200"), reply[:300]
    assert reply.rstrip().endswith(b'"boolean":true}'), reply[-300:]


def test_curl_http2_prior_offer_gets_http11(served):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    for extra in ([], ["--data-urlencode", "query=ASK { kzr:igor-rogov ?p ?o }"]):
        done = subprocess.run(
            [*CURL_HTTP2, *extra, f"{served.base}/sparql?{'' if extra else 'query=ASK%7B%7D'}"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.stdout.rstrip().endswith("200 1.1"), done.stdout[-300:]


def test_head_and_limits_on_the_wire(served):
    head = raw_exchange(served, b"HEAD /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n", 3)
    assert head.startswith(b"HTTP/1.1 200") and head.endswith(b"\r\n\r\n"), head
    assert b"x-content-type-options: nosniff" in head.lower()
    # the documented limits: 64 KiB of request target, --max-request-bytes of query string
    for size in (65_536, 100_000, 300_000, 2_000_000):
        target = b"/sparql?query=ASK%7B%7D%23" + b"x" * size
        reply = raw_exchange(served, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n", 5)
        assert reply.startswith(b"HTTP/1.1 414"), (size, reply[:200])
        assert b"longer than" in reply
    near = b"/sparql?query=ASK%7B%7D%23" + b"x" * 65_000
    reply = raw_exchange(served, b"GET " + near + b" HTTP/1.1\r\nHost: x\r\n\r\n", 5)
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
    with httpx.Client(base_url=served.base, timeout=30) as client:
        headers = {f"x-h{i}": "v" * 1000 for i in range(80)}
        assert client.get("/sparql", params={"query": "ASK {}"}, headers=headers).status_code == 431
        big = client.post("/sparql", data={"query": "ASK {}#" + "x" * 200_000})
        assert big.status_code == 413
        assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200


def test_unexpected_http_is_a_clean_400(served):
    reply = raw_exchange(
        served, b"GET /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n", 3
    )
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]


# -- Hardening --


def test_slow_clients_are_cut_off_and_capped_per_client(served):
    """Regression: 1,536 connections trickling a byte every 2 s locked every client out."""
    host, port = served.base.removeprefix("http://").split(":")
    trickling = []
    for _ in range(20):  # more than the per-client cap of 8 on each of the 2 processes
        sock = socket.create_connection((host, int(port)), timeout=10)
        sock.sendall(b"GET /sparql?query=ASK")
        trickling.append(sock)
    try:
        started = time.monotonic()
        # each connection is refused (cap) or cut off within --request-timeout (2 s)
        for sock in trickling:
            sock.settimeout(10)
            try:
                while sock.recv(1024):
                    pass
            except (ConnectionResetError, TimeoutError):
                pass
        assert time.monotonic() - started < 8
    finally:
        for sock in trickling:
            sock.close()
    with httpx.Client(base_url=served.base, timeout=10) as client:
        assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200


def test_answers_are_capped_in_bytes(served):
    """Regression: a 555-byte query of chained CONCATs answered 839 MB."""
    binds = " ".join(f"BIND(CONCAT(?s{i},?s{i}) AS ?s{i + 1})" for i in range(18))
    text = f'SELECT ?s18 WHERE {{ BIND("0123456789" AS ?s0) {binds} }}'
    response = httpx.post(f"{served.base}/sparql", data={"query": text}, timeout=60)
    assert response.status_code == 422, response.text[:300]
    assert "larger than the server's cap of 1,000,000 bytes" in response.text


@pytest.mark.slow
def test_a_slow_query_neither_starves_others_nor_survives(served):
    """Regression: two clients looping slow queries turned others' requests into 503s."""
    before = {p.pid for p in wait_for_processes(served, 2)}
    stop = threading.Event()
    slow_statuses: list[int] = []

    def loop_slow() -> None:
        with httpx.Client(base_url=served.base, timeout=60) as client:
            while not stop.is_set():
                slow_statuses.append(client.get("/sparql", params={"query": CARTESIAN}).status_code)

    loopers = [threading.Thread(target=loop_slow) for _ in range(2)]
    for thread in loopers:
        thread.start()
    time.sleep(0.5)
    statuses, timings = [], []
    try:
        with httpx.Client(base_url=served.base, timeout=30) as client:
            end = time.monotonic() + 8
            while time.monotonic() < end:
                started = time.monotonic()
                response = client.get("/sparql", params={"query": LOOKUP})
                timings.append(time.monotonic() - started)
                statuses.append(response.status_code)
                time.sleep(0.05)
    finally:
        stop.set()
        for thread in loopers:
            thread.join(60)
    assert statuses.count(200) / len(statuses) >= 0.95, statuses
    timings.sort()
    assert timings[len(timings) // 2] < 0.5, timings
    assert slow_statuses and set(slow_statuses) == {503}, slow_statuses
    wait_for_replacement(served, before, 2)
    assert "Traceback" not in served.output()


@pytest.mark.slow
def test_an_overrunning_query_is_503_and_its_process_replaced(served):
    before = {p.pid for p in wait_for_processes(served, 2)}
    started = time.perf_counter()
    response = httpx.get(f"{served.base}/sparql", params={"query": CARTESIAN}, timeout=60)
    elapsed = time.perf_counter() - started
    assert response.status_code == 503, response.text
    assert "longer than the time limit of 3 s" in response.text
    assert response.headers["retry-after"] == "5"
    assert 3 <= elapsed < 8, elapsed
    wait_for_replacement(served, before, 2)
    with httpx.Client(base_url=served.base, timeout=30) as client:
        for _ in range(6):
            assert client.get("/sparql", params={"query": LOOKUP}).status_code == 200


@pytest.mark.slow
def test_a_process_over_its_memory_cap_dies_alone(store_dir, served):
    """The answer cap bounds answers; the memory cap bounds what evaluation takes."""
    args = ["--store", "oxigraph", "--location", str(store_dir), "--workers", "1"]
    with kzgraph_serve(*args, "--memory-limit", "700", "--timeout", "30") as server:
        (process,) = wait_for_processes(server, 1)
        binds = " ".join(f"BIND(CONCAT(?s{i},?s{i}) AS ?s{i + 1})" for i in range(27))
        text = f'SELECT (STRLEN(?s27) AS ?n) WHERE {{ BIND("0123456789" AS ?s0) {binds} }}'
        with pytest.raises(httpx.HTTPError):
            response = httpx.post(f"{server.base}/sparql", data={"query": text}, timeout=60)
            raise AssertionError(f"answered {response.status_code}: {response.text[:200]}")
        wait_for_replacement(server, {process.pid}, 1)
        ok = httpx.get(f"{server.base}/sparql", params={"query": LOOKUP}, timeout=30)
        assert ok.status_code == 200


@pytest.mark.slow
def test_updates_are_journalled_replayed_at_start_and_bounded():
    """Regression: the journal was replayed inside a request's time limit."""
    env = {"KZGRAPH_UPDATE_TOKEN": TOKEN}
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with kzgraph_serve("--allow-update", "--timeout", "3", env=env) as server:
        (first,) = wait_for_processes(server, 1)
        with httpx.Client(base_url=server.base, timeout=60) as client:
            for i in range(3):
                update = f'INSERT DATA {{ GRAPH kze:new {{ kzr:n{i} rdfs:label "N{i}" }} }}'
                done = client.post("/sparql", data={"update": update}, headers=auth)
                assert done.status_code == 204, done.text
            slow = client.get("/sparql", params={"query": CARTESIAN})
            assert slow.status_code == 503
            wait_for_replacement(server, {first.pid}, 1)
            # the replacement replayed the journal before it took requests
            ask = "ASK { kzr:n0 rdfs:label ?a . kzr:n1 rdfs:label ?b . kzr:n2 rdfs:label ?c }"
            assert client.get("/sparql", params={"query": ask}).json()["boolean"] is True
            later = 'INSERT DATA { GRAPH kze:new { kzr:n9 rdfs:label "N9" } }'
            assert client.post("/sparql", data={"update": later}, headers=auth).status_code == 204
            (second,) = wait_for_processes(server, 1)
            second.kill()
            wait_for_replacement(server, {second.pid}, 1)
            ask9 = "ASK { kzr:n9 rdfs:label ?l }"
            assert client.get("/sparql", params={"query": ask9}).json()["boolean"] is True
            # a journal over its bound refuses further updates with a clear status
            filler = "x" * 90_000
            for _ in range(200):
                update = f'INSERT DATA {{ GRAPH kze:new {{ kzr:big rdfs:comment "{filler}" }} }}'
                response = client.post("/sparql", data={"update": update}, headers=auth)
                if response.status_code != 204:
                    break
            assert response.status_code == 507 and "journal is full" in response.text


# -- The supervisor --


@pytest.mark.slow
def test_a_killed_server_process_is_replaced(served):
    victim = wait_for_processes(served, 2)[0]
    victim.kill()
    victim.wait(10)
    wait_for_replacement(served, {p.pid for p in server_processes(served)} | {victim.pid}, 2)
    assert "a server process exited" in served.output()
    with httpx.Client(base_url=served.base, timeout=30) as client:
        for _ in range(6):
            assert client.get("/sparql", params={"query": LOOKUP}).status_code == 200


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_no_server_process_outlives_the_server(store_dir, served, sig):
    args = ["--store", "oxigraph", "--location", str(store_dir), "--workers", "2"]
    with kzgraph_serve(*args) as server:
        children = [psutil.Process(server.process.pid), *wait_for_processes(server, 2)]
        children += psutil.Process(server.process.pid).children(recursive=True)
        server.process.send_signal(sig)
        server.process.wait(20)
        _gone, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, alive
        assert server.process.returncode in (0, 130), server.output()


def test_server_processes_die_with_a_killed_supervisor(store_dir, served):
    args = ["--store", "oxigraph", "--location", str(store_dir), "--workers", "2"]
    with kzgraph_serve(*args) as server:
        processes = wait_for_processes(server, 2)
        server.process.kill()  # no chance to clean up
        server.process.wait(10)
        _gone, alive = psutil.wait_procs(processes, timeout=10)
        assert not alive, alive


def test_a_port_in_use_is_a_clear_error(served):
    port = served.base.rsplit(":", 1)[1]
    done = subprocess.run(
        [sys.executable, "-m", "graph.cli", "serve", "--port", port],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr, done.stderr[-500:]
    assert "Traceback" not in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_allowed_service_is_reached_through_the_relay_and_nothing_else(tmp_path, store):
    """Regression: --allow-service gave the server processes the network, and Oxigraph's HTTP
    client ignores the audit hook that was to keep them to the allow-list. Now the processes
    stay isolated and reach allowed endpoints only through the supervisor's relay."""
    import pyoxigraph as ox

    remote = ox.Store(str(tmp_path / "remote"))
    remote.add(
        ox.Quad(
            ox.NamedNode("https://w3id.org/kzgraph/id/igor-rogov"),
            ox.NamedNode("http://www.wikidata.org/prop/direct/P31"),
            ox.NamedNode("http://www.wikidata.org/entity/Q5"),
        )
    )
    remote.flush()
    del remote
    with oxigraph_server(tmp_path / "remote") as remote, CountingServer() as other:
        allowed = f"{remote.base}/query"
        where = (
            ["--store", "oxigraph", "--location", str(tmp_path / "s")] if store != "memory" else []
        )
        with kzgraph_serve("--workers", "1", "--allow-service", allowed, *where) as server:
            (process,) = wait_for_processes(server, 1)
            supervisor_ns = os.readlink(f"/proc/{server.process.pid}/ns/net")
            assert os.readlink(f"/proc/{process.pid}/ns/net") != supervisor_ns
            text = (
                "SELECT ?kind WHERE { kzr:igor-rogov a foaf:Person ."
                f" SERVICE <{allowed}> {{ kzr:igor-rogov wdt:P31 ?kind }} }}"
            )
            response = httpx.post(
                f"{server.base}/sparql",
                data={"query": text},
                headers={"Accept": "text/tab-separated-values"},
                timeout=60,
            )
            assert response.status_code == 200, response.text
            assert response.text.splitlines() == ["?kind", "<http://www.wikidata.org/entity/Q5>"]
            refused = httpx.post(
                f"{server.base}/sparql",
                data={"query": f"SELECT * WHERE {{ SERVICE <{other.url}/x> {{ ?s ?p ?o }} }}"},
                timeout=60,
            )
            assert refused.status_code == 403
            # the relay itself connects to nothing else, whoever asks
            host, port = other.url.removeprefix("http://").split(":")
            relays = list(Path(tempfile.gettempdir()).glob("kzgraph-relay-*/relay.sock"))
            assert relays
            for path in relays:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                    try:
                        sock.connect(str(path))
                    except OSError:
                        continue  # another server's, gone
                    sock.sendall(f"{host} {port}\nGET / HTTP/1.0\r\n\r\n".encode())
                    assert sock.recv(100) == b""
        assert other.hits == []
