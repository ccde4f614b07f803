"""The query guard: policy on the parsed algebra, and workers that are killed and locked down."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.query import QueryRefused, QuerySyntaxError, QueryTimeout, TooManyRows
from graph.sandbox import Policy, WorkerPool, check_query, check_update
from graph.stores import StoreSpec
from graph.syntax import query_syntax_error
from tests.sparql_servers import CountingServer, oxigraph_server

REPO = Path(__file__).resolve().parent.parent
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.mark.parametrize(
    "text, message",
    [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "SERVICE <http"),
        ("SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }", "SERVICE <file"),
        ("SELECT * WHERE { SERVICE SILENT ?where { ?s ?p ?o } }", "variable endpoint"),
        (
            "SELECT * WHERE { { SELECT ?s WHERE { SERVICE <http://x.example/> { ?s ?p ?o } } } }",
            "SERVICE <http://x.example/>",
        ),
        (
            "ASK { FILTER EXISTS { SERVICE <http://x.example/> { ?s ?p ?o } } }",
            "SERVICE <http://x.example/>",
        ),
        ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", "FROM <file:///etc/passwd>"),
        ("SELECT * FROM NAMED <http://example.org/g> WHERE { ?s ?p ?o }", "FROM NAMED <http"),
        ("CONSTRUCT { ?s ?p ?o } FROM <http://127.0.0.1:9/x.ttl> WHERE { ?s ?p ?o }", "FROM <"),
    ],
)
def test_queries_reaching_outside_are_refused(text, message):
    with pytest.raises(QueryRefused, match=message.replace("?", r"\?").replace("(", r"\(")):
        check_query(text)


@pytest.mark.parametrize(
    "text, message",
    [
        ("LOAD <file:///etc/passwd>", "LOAD is not allowed"),
        ("LOAD <http://127.0.0.1:9/x.ttl> INTO GRAPH kzg:x", "LOAD is not allowed"),
        ("INSERT { ?s ?p ?o } USING <http://x.example/> WHERE { ?s ?p ?o }", "USING <http"),
        (
            "INSERT { ?s ?p ?o } WHERE { SERVICE <http://x.example/> { ?s ?p ?o } }",
            "SERVICE <http://x.example/>",
        ),
    ],
)
def test_updates_reaching_outside_are_refused(text, message):
    with pytest.raises(QueryRefused, match=message):
        check_update(text)


def test_the_guard_reads_the_algebra_not_the_text():
    # the words appear only in a string and a comment: nothing to refuse
    text = 'SELECT ?x WHERE { BIND("SERVICE <http://x.example/> FROM LOAD" AS ?x) } # SERVICE <x:y>'
    assert check_query(text).form == "SELECT"


def test_own_graphs_and_allowed_services_pass():
    assert check_query("SELECT * FROM kzg:provenance WHERE { ?s ?p ?o }").form == "SELECT"
    policy = Policy(allowed_services=("http://127.0.0.1:9/sparql",))
    text = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    assert check_query(text, policy).form == "SELECT"


def test_syntax_error_names_line_and_column():
    """The guard's own parse (a query naming FROM) and the engine's say where and what."""
    with pytest.raises(
        QuerySyntaxError, match=r"^bad SPARQL at line 3, column 12: unexpected ']'$"
    ):
        check_query("SELECT ?s\nFROM kzg:provenance WHERE {\n  ?s ?p ?o ]\n}")
    store = ox.Store()
    for text, message in [
        ("SELECT ?s\nWHERE {\n  ?s ?p ?o ]\n}", "line 3, column 12: unexpected ']'"),
        ("SELECT * WHERE { ?s ?p ?o } garbage", "line 1, column 29: unexpected 'garbage'"),
        ("ASK {}\n\n}", "line 3, column 1: unexpected '}'"),
        ("SELECT", "line 1, column 7: unexpected end of query"),
        # found by Oxigraph alone: its own message, at its position
        ("SELECT ?o { ?s ?p ?o } GROUP BY ?s", "the SELECT contains a variable that is unbound"),
    ]:
        checked = check_query(text)
        with pytest.raises(SyntaxError) as raised:
            store.query(checked.text)
        error = query_syntax_error(raised.value, checked.text)
        assert message in error.message and "\n" not in error.message, error.message
        assert error.message.startswith("bad SPARQL at line ")


def test_audit_hook_blocks_files_network_and_subprocesses():
    """The worker's second layer, exercised directly in a child process."""
    with CountingServer() as target:
        script = textwrap.dedent(
            f"""
            import os, socket, subprocess, sys, urllib.request
            sys.path.insert(0, {str(REPO)!r})
            from graph.sandbox import install_audit_hook, _readable_roots
            install_audit_hook(_readable_roots(), set(), set())
            port = int({target.url.rsplit(":", 1)[1]!r})
            attempts = {{
                "read": lambda: open("/etc/passwd").read(),
                "write": lambda: open("/tmp/kzgraph-sandbox-probe", "w"),
                "connect": lambda: socket.create_connection(("127.0.0.1", port), timeout=2),
                "urlopen": lambda: urllib.request.urlopen("{target.url}/x", timeout=2),
                "file-url": lambda: urllib.request.urlopen("file:///etc/passwd"),
                "subprocess": lambda: subprocess.run(["true"]),
                "system": lambda: os.system("true"),
            }}
            for name, attempt in attempts.items():
                try:
                    attempt()
                    print(name, "ALLOWED")
                except PermissionError as exc:
                    print(name, "refused")
                except Exception as exc:
                    print(name, "refused" if "sandbox" in str(exc) else f"other {{exc!r}}")
            """
        )
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 0, out.stderr
        lines = dict(line.split(" ", 1) for line in out.stdout.splitlines())
        assert lines == dict.fromkeys(
            ["read", "write", "connect", "urlopen", "file-url", "subprocess", "system"], "refused"
        )
        assert target.hits == []


@pytest.fixture(scope="module")
def pool():
    with WorkerPool(StoreSpec(), size=2, timeout=3.0) as running:
        yield running


@pytest.mark.slow
def test_slow_query_is_killed_and_does_not_block_others(pool):
    results: dict[str, object] = {}

    def slow() -> None:
        try:
            pool.call_sync("query", SLOW, "json", "turtle", None)
        except QueryTimeout as exc:
            results["slow"] = exc

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    form, media, body, _count = pool.call_sync(
        "query", "ASK { kzr:igor-rogov ?p ?o }", "json", "turtle", None
    )
    assert time.monotonic() - started < 2.0
    assert (form, media, body.replace(b" ", b"")) == (
        "ASK",
        "application/sparql-results+json",
        b'{"head":{},"boolean":true}',
    )
    thread.join(10)
    assert isinstance(results.get("slow"), QueryTimeout)
    assert "time limit of 3 s" in str(results["slow"])
    # the killed worker is replaced: two queries at once still work
    time.sleep(1.5)
    both = [pool.call_sync("query", "ASK { ?s ?p ?o }", "json", "turtle", None) for _ in range(4)]
    assert all(form == "ASK" for form, *_ in both)


def test_worker_errors_come_back_typed(pool):
    with pytest.raises(TooManyRows):
        pool.call_sync("query", "SELECT * WHERE { ?s ?p ?o }", "json", "turtle", 3)
    with pytest.raises(QueryRefused):
        pool.call_sync(
            "query", "SELECT * FROM <file:///etc/passwd> { ?s ?p ?o }", "json", "turtle", 3
        )
    with pytest.raises(QuerySyntaxError, match="line 1"):
        pool.call_sync("query", "SELECT", "json", "turtle", 3)


def test_workers_have_no_network(pool):
    assert pool.isolated is True  # an empty network namespace (CI runs as root)


@pytest.mark.server
def test_allowed_service_reaches_only_its_endpoint(tmp_path):
    """SERVICE on the allow-list works from a worker; other hosts stay unreachable."""
    import pyoxigraph as ox

    store_dir = tmp_path / "remote"
    remote = ox.Store(str(store_dir))
    remote.add(
        ox.Quad(
            ox.NamedNode("https://w3id.org/kzgraph/id/igor-rogov"),
            ox.NamedNode("http://www.wikidata.org/prop/direct/P31"),
            ox.NamedNode("http://www.wikidata.org/entity/Q5"),
        )
    )
    remote.flush()
    del remote
    with oxigraph_server(store_dir) as base, CountingServer() as other:
        allowed = f"{base}/query"
        policy = Policy(allowed_services=(allowed,))
        with WorkerPool(StoreSpec(), policy, size=1, timeout=20) as federated:
            assert federated.isolated is False
            text = (
                f"SELECT ?kind WHERE {{ kzr:igor-rogov a foaf:Person ."
                f" SERVICE <{allowed}> {{ kzr:igor-rogov wdt:P31 ?kind }} }}"
            )
            _form, _media, body, _count = federated.call_sync("query", text, "tsv", "turtle", None)
            assert body.decode().splitlines() == ["?kind", "<http://www.wikidata.org/entity/Q5>"]
            with pytest.raises(QueryRefused):
                federated.call_sync(
                    "query",
                    f"SELECT * WHERE {{ SERVICE <{other.url}/sparql> {{ ?s ?p ?o }} }}",
                    "json",
                    "turtle",
                    None,
                )
        assert other.hits == []


def test_updates_reach_every_memory_worker():
    with WorkerPool(StoreSpec(), size=2, timeout=10) as writable:
        writable.call_sync("update", 'INSERT DATA { GRAPH kze:test { kzr:x rdfs:label "X" } }')
        # every worker answers with the update applied (replayed on the ones that missed it)
        seen = {
            writable.call_sync("query", "ASK { kzr:x rdfs:label ?l }", "tsv", "turtle", None)[2]
            for _ in range(4)
        }
        assert seen == {b"true"}
        with pytest.raises(QueryRefused, match="LOAD"):
            writable.call_sync("update", "LOAD <http://127.0.0.1:9/x.ttl>")


def test_relative_iri_without_base_is_a_syntax_error():
    """Regression: ``<>`` reached rdflib unresolved and broke the N-Triples hand-over."""
    with pytest.raises(QuerySyntaxError, match=r"relative IRI <> and no BASE"):
        check_query("CONSTRUCT { kzr:a <> kzr:b } WHERE { OPTIONAL { kzr:a <> kzr:b } }")
    assert check_query("BASE <http://x.example/> SELECT * WHERE { ?s <p> ?o }").form == "SELECT"
