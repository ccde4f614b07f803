"""The query guard: policy on the parsed algebra, and workers that are killed and locked down."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from graph.query import QueryRefused, QuerySyntaxError, TooManyRows
from graph.sandbox import Policy, QueryRunner, check_query, check_update
from graph.stores import StoreSpec
from tests.sparql_servers import CountingServer

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
    with pytest.raises(QuerySyntaxError, match=r"line 3, column \d+"):
        check_query("SELECT ?s\nWHERE {\n  ?s ?p ?o ]\n}")


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
    with QueryRunner.open(StoreSpec(), timeout=3.0) as running:
        yield running


def test_runner_errors_come_back_typed(pool):
    with pytest.raises(TooManyRows):
        pool.call_sync("query", "SELECT * WHERE { ?s ?p ?o }", "json", "turtle", 3)
    with pytest.raises(QueryRefused):
        pool.call_sync(
            "query", "SELECT * FROM <file:///etc/passwd> { ?s ?p ?o }", "json", "turtle", 3
        )
    with pytest.raises(QuerySyntaxError, match="line 1"):
        pool.call_sync("query", "SELECT", "json", "turtle", 3)
    with pytest.raises(QueryRefused, match="LOAD"):
        pool.call_sync("update", "LOAD <http://127.0.0.1:9/x.ttl>")


def test_relative_iri_without_base_is_a_syntax_error():
    """Regression: ``<>`` reached rdflib unresolved and broke the N-Triples hand-over."""
    with pytest.raises(QuerySyntaxError, match=r"relative IRI <> and no BASE"):
        check_query("CONSTRUCT { kzr:a <> kzr:b } WHERE { OPTIONAL { kzr:a <> kzr:b } }")
    assert check_query("BASE <http://x.example/> SELECT * WHERE { ?s <p> ?o }").form == "SELECT"
