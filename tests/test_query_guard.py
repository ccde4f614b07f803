"""The query guard: policy on the parsed algebra, and workers that are killed and locked down."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.serving.sandbox import QueryRunner
from graph.sparql.guard import Policy, check_query, check_update
from graph.sparql.results import QueryRefused, QuerySyntaxError, TooManyRows
from graph.sparql.syntax import query_syntax_error
from graph.stores.spec import StoreSpec
from tests.support.servers import CountingServer

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
            from graph.serving.sandbox import install_audit_hook, _readable_roots
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


# -- Regressions: what got past the guard, and what crashed the engine --
#
# Each text below reached Oxigraph with SERVICE (or LOAD) unchecked before the guard prepared one
# text for both: the fast path's regular expression missed a keyword right after "." or glued to
# a number or boolean (Oxigraph reads "1SERVICE" as 1 then SERVICE), and rdflib read a comment on
# past a carriage return (written as is, or as the escape \u000D) where Oxigraph ends it. They run
# here on the server's query path over an Oxigraph store, in this process, with a listener as the
# SERVICE endpoint: the listener must never be reached.


@pytest.fixture(scope="module")
def oxigraph_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("guard-store")
    store = ox.Store(str(where))
    s, p = ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p")
    for value in (
        ox.Literal("1", datatype=ox.NamedNode(XSD_INTEGER)),
        ox.Literal("true", datatype=ox.NamedNode(XSD_BOOLEAN)),
        ox.NamedNode("urn:x:o"),
    ):
        store.add(ox.Quad(s, p, value))
    store.flush()
    del store
    return where


XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
SMUGGLED_SERVICE = [
    "SELECT * WHERE {{ ?s ?p ?o .SERVICE <{url}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ ?s ?p ?o # a note\rSERVICE <{url}> {{ ?a ?b ?c }}\n}}",
    "SELECT * WHERE {{ ?s ?p ?o # a note\\u000DSERVICE <{url}> {{ ?a ?b ?c }}\n}}",
    "SELECT * WHERE {{ ?s ?p ?o # a note\\u000dSERVICE <{url}> {{ ?a ?b ?c }}\n}}",
    "SELECT * WHERE {{ ?s ?p 1SERVICE <{url}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ ?s ?p trueSERVICE <{url}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ ?s ?p ?o . \\u0053ERVICE <{url}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ ?s ?p ?o . \u017fERVICE <{url}> {{ ?a ?b ?c }} }}",  # ſ, long s
    "SELECT * WHERE {{ ?s ?p ?o . SERV\u0131CE <{url}> {{ ?a ?b ?c }} }}",  # ı, dotless i
    "SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ ?s ?p ?o .SERVICE <{url}> {{ ?a ?b ?c }} }} }}",
    "SELECT * WHERE {{ {{ SELECT ?s WHERE {{ ?s ?p ?o .SERVICE <{url}> {{ ?a ?b ?c }} }} }} }}",
    "SELECT * WHERE {{ ?s ?p ?o . BIND(<{url}> AS ?e) SERVICE ?e {{ ?a ?b ?c }} }}",
    "SELECT * FROM <{url}/g> WHERE {{ ?s ?p ?o }}",
    "SELECT * # a note\rFROM NAMED <{url}/g>\nWHERE {{ ?s ?p ?o }}",
]


@pytest.mark.parametrize("template", SMUGGLED_SERVICE)
def test_smuggled_service_never_reaches_the_network(template, oxigraph_dir):
    from graph.serving.operations import run_op
    from graph.stores.persistent import OxigraphStore

    with CountingServer() as listener:
        text = template.format(url=listener.url + "/sparql")
        with pytest.raises((QueryRefused, QuerySyntaxError)):
            run_op(OxigraphStore(oxigraph_dir), Policy(), "query", (text, "json", "ntriples", None))
        assert listener.hits == []


@pytest.mark.parametrize(
    "template",
    [
        "INSERT DATA {{ <urn:x:a> <urn:x:b> <urn:x:c> }} ; # a note\rLOAD <{url}/x.ttl>",
        "INSERT DATA {{ <urn:x:a> <urn:x:b> <urn:x:c> }} ; # a note\\u000DLOAD <{url}/x.ttl>",
        "INSERT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o # a note\rSERVICE <{url}> {{ ?s ?p ?o }}\n}}",
        "INSERT {{ ?s ?p ?o }} USING <{url}/g> WHERE {{ ?s ?p ?o }}",
    ],
)
def test_token_holders_updates_cannot_load_or_call_out(template, tmp_path):
    """The update path (a token holder's): LOAD, SERVICE and USING stay refused."""
    from graph.serving.operations import run_op
    from graph.stores.persistent import OxigraphStore

    ox.Store(str(tmp_path / "db")).flush()
    store = OxigraphStore(tmp_path / "db", read_only=False)
    with CountingServer() as listener:
        with pytest.raises(QueryRefused):
            run_op(store, Policy(), "update", (template.format(url=listener.url),))
        assert listener.hits == []
    store.close()


def test_the_text_run_is_the_text_checked():
    """Escapes are expanded once and CR becomes LF; the engine gets that text, nothing else."""
    checked = check_query('SELECT ?x WHERE {\r\n BIND("\\u0041\\U00000042" AS ?x) # c\r}')
    assert checked.text == 'SELECT ?x WHERE {\n BIND("AB" AS ?x) # c\n}'
    assert [str(row[0]) for row in ox.Store().query(checked.text)] == ['"AB"']
    assert check_update("INSERT DATA { <urn:x:a> <urn:x:b> '\\u0041' }\r") == (
        "INSERT DATA { <urn:x:a> <urn:x:b> 'A' }\n"
    )


@pytest.mark.parametrize(
    "text, message",
    [
        # an escape that spells another escape: the engine would expand the result again
        ("SELECT * WHERE { \\u005Cu0053ERVICE <http://x.example/> { } }", "another escape"),
        ('SELECT * WHERE { BIND("\\uD800" AS ?x) }', "not a character"),
        ("SELECT * WHERE { ?s ?p ?o } # a note\u2028SERVICE", "U\\+2028"),
        ("SELECT * WHERE { ?s ?p ?o } # a note\u2029", "U\\+2029"),
        ("SELECT * WHERE { ?s ?p ?o } # a note\x85", "U\\+0085"),
        ("SELECT * WHERE { ?s ?p ?o } # a note\x0c", "form feed"),
        ("SELECT * WHERE " + "{" * 3000 + "}" * 3000, "nested more than 64 deep"),
        ("SELECT * WHERE { FILTER(" + "STR(" * 70 + "1" + ")" * 70 + ") }", "nested more"),
        ("SELECT (" + "+".join(["1"] * 1200) + " AS ?x) {}", "more than 1000 operators"),
        ("SELECT * { ?s ?p ?o " + "MINUS { ?s ?p ?o } " * 600 + "}", "more than 1000"),
        ("SELECT * { ?s " + "/".join(["<urn:x:p>"] * 600) + " ?o }", "more than 1000"),
        ("SELECT * WHERE { ?s ?p '" + "x" * 200_001 + "' }", "at most 200,000"),
        # under the cap, but deeper than rdflib's parser goes (the full check, for FROM)
        (
            "SELECT * FROM kzg:provenance { FILTER(" + "(" * 40 + "1" + ")" * 40 + ") }",
            "nested too deeply for the query guard",
        ),
    ],
)
def test_what_parsers_could_read_differently_or_crash_on_is_refused(text, message):
    with pytest.raises(QuerySyntaxError, match=message):
        check_query(text)


def test_nesting_hidden_from_a_naive_count_is_counted():
    """Closing brackets inside strings, comments or IRIs do not lower the count."""
    deep = "{" * 70 + "}" * 70
    for hiding in ['"' + "}" * 80 + '"', "# " + "}" * 80 + "\n", "<urn:x:" + ")" * 80 + ">"]:
        with pytest.raises(QuerySyntaxError, match="nested"):
            check_query(f"SELECT * WHERE {{ FILTER(?x = {hiding}) {deep} }}")


def test_ordinary_big_queries_pass():
    values = " ".join(f"(kzr:entity-{i} {i})" for i in range(400))
    text = f"SELECT * WHERE {{ VALUES (?e ?n) {{ {values} }} ?e rdfs:label ?l }}"
    assert check_query(text).form == "SELECT"
    iris = " ".join(f"<https://w3id.org/kzgraph/id/e-{i}#x>" for i in range(500))
    assert check_query(f"SELECT * WHERE {{ VALUES ?e {{ {iris} }} }}").form == "SELECT"


PYOXIGRAPH_DEPTH = """
import sys
import pyoxigraph
text = "SELECT * WHERE " + "{" * int(sys.argv[1]) + "}" * int(sys.argv[1])
sys.path.insert(0, sys.argv[2])
if sys.argv[3] == "guarded":
    from graph.sparql.results import QuerySyntaxError
    from graph.sparql.guard import check_query
    try:
        text = check_query(text).text
    except QuerySyntaxError as exc:
        print("refused:", exc.message)
        raise SystemExit(0)
list(pyoxigraph.Store().query(text))
print("answered")
"""


def test_deep_nesting_crashes_oxigraph_but_not_kzgraph():
    """The premise (3,000 nested groups segfault Oxigraph) and the guard's answer to it."""

    def run(depth: int, mode: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", PYOXIGRAPH_DEPTH, str(depth), str(REPO), mode],
            capture_output=True,
            text=True,
            timeout=120,
        )

    bare = run(3000, "bare")
    assert bare.returncode < 0, bare  # killed by a signal (SIGSEGV): the stack overflowed
    guarded = run(3000, "guarded")
    assert guarded.returncode == 0 and guarded.stdout.startswith("refused: bad SPARQL at line 1")


CAPS = """
import sys, threading
sys.path.insert(0, sys.argv[1])
import pyoxigraph as ox
from graph.sparql.guard import MAX_DEPTH, MAX_NODES, check_query

def largest(make, low, high):
    # the biggest query of this shape the guard accepts
    while low < high:
        mid = (low + high + 1) // 2
        try:
            check_query.__wrapped__(make(mid))
            low = mid
        except Exception:
            high = mid - 1
    return make(low), low

shapes = {
    "groups": lambda n: "SELECT * WHERE " + "{" * n + "}" * n,
    "calls": lambda n: "SELECT * WHERE { FILTER(" + "STR(" * n + "1" + ")" * n + ") }",
    "blank nodes": lambda n: "SELECT * WHERE { ?s ?p " + "[ ?p " * n + "1" + " ]" * n + " }",
    "subqueries": lambda n: "SELECT * WHERE " + "{ SELECT * WHERE " * n + "{}" + " }" * n,
    "sum": lambda n: "SELECT (" + "+".join(["1"] * n) + " AS ?x) {}",
    "and": lambda n: "SELECT * { FILTER(" + "&&".join(["true"] * n) + ") }",
    "minus": lambda n: "SELECT * { ?s ?p ?o " + "MINUS{}" * n + " }",
    "optional": lambda n: "SELECT * { ?s ?p ?o " + "OPTIONAL{}" * n + " }",
    "union": lambda n: "SELECT * { " + "UNION".join(["{}"] * n) + " }",
    "binds": lambda n: "SELECT * { " + " ".join(f"BIND({i} AS ?v{i})" for i in range(n)) + " }",
    "groups in a row": lambda n: "SELECT * { " + "{}" * n + " }",
    "path": lambda n: "SELECT * { ?s " + "/".join(["<urn:x:p>"] * n) + " ?o }",
    "alternatives": lambda n: "SELECT * { ?s " + "|".join(["<urn:x:p>"] * n) + " ?o }",
}
def run():
    store = ox.Store()
    for name, make in shapes.items():
        text, size = largest(make, 1, MAX_NODES)
        result = store.query(check_query(text).text)
        if not isinstance(result, ox.QueryBoolean):
            list(result)
        print(name, size, flush=True)
threading.stack_size(2 * 1024 * 1024)
thread = threading.Thread(target=run)
thread.start()
thread.join()
"""


@pytest.mark.slow
def test_the_largest_queries_the_guard_accepts_fit_a_small_stack():
    """At the caps, each shape that deepens Oxigraph's recursion parses, plans and runs in a
    2 MiB thread stack (a quarter of the usual 8 MiB), on an empty store."""
    done = subprocess.run(
        [sys.executable, "-c", CAPS, str(REPO)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(done.stdout.splitlines()) == 13, done.stdout


PIECES = [*"-+*/|&!=<>(){}[] ?x:ab\n'\"#", "union", "MINUS", "Bind", "kz:a-b", "||", "&&"]


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_the_quick_operator_count_never_undercounts(text):
    """The shape check skips its exact count when a quick bound is under the cap."""
    from graph.sparql.guard import _operators, _operators_at_most

    assert _operators_at_most(text) >= _operators(text)
