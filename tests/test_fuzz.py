"""Property-based fuzzing of ``kzgraph query`` and of every parameter of the HTTP endpoint.

Whatever the input (garbage, near-miss SPARQL, valid queries of every form, hostile headers,
bodies that are not UTF-8, huge parameters): the command exits 0, 1 or 2 with one clear line on
standard error and never a traceback; the server never answers 500, never hangs, and refuses
with a 4xx and a readable message (503 only for the documented time limit or busy workers).
The reduced form runs a few hundred examples; ``KZGRAPH_RELIABILITY=full`` thousands.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.cli.main import main
from graph.sparql.catalogue import list_queries
from tests.conftest import problem_lines
from tests.reliability import scale
from tests.support.servers import kzgraph_serve

CATALOGUE = [q.text for q in list_queries()]
TIME_LIMIT = 3.0

# -- SPARQL-shaped text --

VARIABLES = st.sampled_from(["?s", "?p", "?o", "?x", "?g", "$y"])
IRIS = st.sampled_from(
    [
        "kzr:igor-rogov",
        "kzr:kazakhstan",
        "rdfs:label",
        "org:holds",
        "kz:Claim",
        "a",
        "<https://w3id.org/kzgraph/id/decree-597>",
        "<urn:x>",
        "<>",
        "<http://example.org/%20x>",
        "kzg:provenance",
        "prov:wasDerivedFrom",
        "unknown:thing",
        "<javascript:alert(1)>",
    ]
)
LITERALS = st.sampled_from(
    [
        '"Igor Rogov"@en',
        '"x"',
        "42",
        "-0.5e3",
        "true",
        '"2022-04-13"^^xsd:date',
        '"\\u0041"',
        '"<script>alert(1)</script>"',
        '""',
        "'single'",
        '"""long\nstring"""',
        '"x"@kk-Cyrl',
    ]
)
TERMS = st.one_of(VARIABLES, IRIS, LITERALS)
PATTERN = st.tuples(st.one_of(VARIABLES, IRIS), st.one_of(VARIABLES, IRIS), TERMS).map(" ".join)
FILTERS = st.sampled_from(
    [
        "",
        "FILTER(?o > 3)",
        'FILTER(REGEX(STR(?o), "Rog", "i"))',
        "FILTER(lang(?o) = 'en')",
        "FILTER(?s = ?o)",
        "FILTER(BOUND(?x))",
        'FILTER(CONTAINS(STR(?s), "decree"))',
        "FILTER(1/0)",
        "FILTER(?nonexistent)",
        "BIND(STRLEN(STR(?o)) AS ?len)",
    ]
)
WRAPPERS = st.sampled_from(
    [
        "{body}",
        "OPTIONAL {{ {body} }}",
        "GRAPH ?g {{ {body} }}",
        "{{ {body} }} UNION {{ {body} }}",
        "MINUS {{ {body} }}",
        "SERVICE <http://example.org/sparql> {{ {body} }}",
        "FILTER NOT EXISTS {{ {body} }}",
    ]
)
TAILS = st.sampled_from(
    [
        "LIMIT 5",
        "LIMIT 0",
        "OFFSET 3 LIMIT 2",
        "ORDER BY ?s LIMIT 5",
        "LIMIT 99999999999999999999",
        "",
    ]
)


@st.composite
def grammar_queries(draw: st.DrawFn) -> str:
    """Queries of every form built from SPARQL fragments (one triple pattern, so never huge)."""
    pattern = draw(PATTERN)
    body = draw(WRAPPERS).format(body=pattern)
    where = f"{{ {body} {draw(FILTERS)} }}"
    form = draw(
        st.sampled_from(
            [
                "SELECT * WHERE {w} {t}",
                "SELECT DISTINCT ?s WHERE {w} {t}",
                "SELECT (COUNT(*) AS ?n) WHERE {w}",
                "SELECT ?s (SAMPLE(?o) AS ?v) WHERE {w} GROUP BY ?s {t}",
                "ASK {w}",
                "CONSTRUCT {{ {p} }} WHERE {w} {t}",
                "CONSTRUCT WHERE {{ {p} }} {t}",
                "DESCRIBE ?s WHERE {w} LIMIT 2",
                "DESCRIBE kzr:igor-rogov",
                "SELECT * FROM <http://example.org/g> WHERE {w} {t}",
                "SELECT * FROM NAMED kzg:provenance WHERE {w} {t}",
                "INSERT DATA {{ {p} }}",
                "DELETE WHERE {{ {p} }}",
                "LOAD <http://example.org/x>",
                "CLEAR ALL",
                "DROP GRAPH kzg:provenance",
            ]
        )
    )
    prologue = draw(
        st.sampled_from(
            [
                "",
                "PREFIX ex: <http://example.org/>\n",
                "BASE <http://x/>\n",
                "PREFIX : <https://w3id.org/kzgraph/id/>\n",
                "PREFIX bad\n",
            ]
        )
    )
    return prologue + form.format(w=where, t=draw(TAILS), p=pattern)


@st.composite
def mutated_catalogue(draw: st.DrawFn) -> str:
    """A catalogue query with a slice cut out or random text put in."""
    text = draw(st.sampled_from(CATALOGUE))
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, min(len(text), start + 40)))
    insert = draw(st.text(max_size=12))
    return text[:start] + insert + text[end:]


QUERY_TEXT = st.one_of(
    grammar_queries(),
    mutated_catalogue(),
    st.text(max_size=200),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "SELECT",
            "{",
            "}" * 10_000,
            "(" * 5_000,
            "?" * 300,
            "SELECT * WHERE { ?s ?p ?o " + "{ " * 2_000,
        ]
    ),
)


# -- the command --

EXAMPLES = scale(150, 2000)


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=QUERY_TEXT, fmt=st.sampled_from([None, "table", "json", "csv", "turtle", "xml"]))
def test_query_command_never_crashes(text, fmt, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    args = ["query", "-"]
    if fmt:
        args += ["--format", fmt]
    started = time.monotonic()
    code, _out, err = run_cli(args, capsys)
    assert time.monotonic() - started < 30
    assert code in (0, 1, 2), err
    assert "Traceback" not in err
    if code != 0:
        lines = [line for line in problem_lines(err) if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("kzgraph: "), err


@settings(
    max_examples=scale(40, 400),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(max_size=300))
def test_query_file_of_any_bytes(data, tmp_path_factory, capsys):
    path = tmp_path_factory.mktemp("q") / "query.rq"
    path.write_bytes(data)
    code, _out, err = run_cli(["query", "-f", str(path)], capsys)
    assert code in (0, 2) and "Traceback" not in err


# -- the endpoint --

ACCEPT = st.one_of(
    st.sampled_from(
        [
            "",
            "*/*",
            "application/sparql-results+json",
            "application/sparql-results+xml",
            "text/csv",
            "text/tab-separated-values",
            "text/turtle",
            "application/n-triples",
            "application/ld+json",
            "application/rdf+xml",
            "application/trig",
            "text/html",
            "image/png",
            "text/*;q=0.5, */*;q=0.1",
            "application/json;q=abc",
            ";;;,,,",
            "text/csv;q=0",
            "application/sparql-results+json;q=1.5",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60).map(
        str.strip  # HTTP clients strip header values; h11 refuses a value with edge spaces
    ),
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/sparql-query",
        "application/sparql-update",
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/json",
        "",
        "application/x-www-form-urlencoded; charset=latin-1",
        "application/sparql-query; charset=utf-16",
    ]
)
PARAM_NAMES = st.sampled_from(
    [
        "query",
        "query",
        "query",
        "update",
        "default-graph-uri",
        "named-graph-uri",
        "format",
        "output",
        "timeout",
        "using-graph-uri",
        "",
        "query ",
        "QUERY",
        "x" * 300,
    ]
)
PARAM_VALUES = st.one_of(
    QUERY_TEXT,
    st.sampled_from(
        [
            "https://w3id.org/kzgraph/graph/provenance",
            "http://example.org/",
            "",
            "%",
            "%ZZ",
            "\x00",
        ]
    ),
)
PATHS = st.one_of(
    st.sampled_from(
        [
            "/sparql",
            "/sparql",
            "/sparql",
            "/",
            "/void",
            "/.well-known/void",
            "/queries",
            "/id/igor-rogov",
            "/evidence/eureporter-p05-amendment-signed",
            "/graph/provenance",
            "/ontology",
            "/static/kzgraph.css",
            "/static/../pyproject.toml",
            "/id/",
            "/id/%00",
            "/id/%2e%2e/%2e%2e/etc/passwd",
            "/evidence/" + "x" * 3000,
            "//sparql",
            "/sparql/",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=80).map(
        lambda s: "/id/" + quote(s, safe="/%")
    ),
)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, object]:
    method = draw(
        st.sampled_from(["GET", "GET", "POST", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"])
    )
    params = draw(st.lists(st.tuples(PARAM_NAMES, PARAM_VALUES), max_size=4))
    headers = {"Accept": draw(ACCEPT)}
    if draw(st.booleans()):
        headers["Authorization"] = draw(
            st.sampled_from(["Bearer x", "Basic Og==", "Bearer " + "a" * 500])
        )
    if draw(st.booleans()):
        headers["Origin"] = "http://example.org"
    body: bytes | None = None
    if method in ("POST", "PUT"):
        headers["Content-Type"] = draw(CONTENT_TYPES)
        kind = draw(st.sampled_from(["form", "raw", "bytes", "big"]))
        if kind == "form":
            body = "&".join(f"{quote(k)}={quote(v)}" for k, v in params).encode()
            params = draw(st.lists(st.tuples(PARAM_NAMES, PARAM_VALUES), max_size=1))
        elif kind == "raw":
            body = draw(QUERY_TEXT).encode("utf-8", "surrogatepass")
        elif kind == "bytes":
            body = draw(st.binary(max_size=500))
        else:
            body = b"query=" + b"x" * 200_000
    path = draw(PATHS)
    return {"method": method, "path": path, "params": params, "headers": headers, "body": body}


@pytest.fixture(scope="module", params=["memory", "oxigraph"])
def endpoint(request, tmp_path_factory) -> Iterator[str]:
    """A real ``kzgraph serve`` on each kind of local store."""
    args = ["--timeout", str(TIME_LIMIT), "--workers", "2"]
    if request.param == "oxigraph":
        args += ["--store", "oxigraph", "--location", str(tmp_path_factory.mktemp("store"))]
    with kzgraph_serve(*args) as server:
        yield server.base


#: What a message leaking Python internals looks like.
PYTHON_ERRORS = (
    "Traceback",
    "NoneType",
    "()",
    "object has no attribute",
    "unhashable",
    "not subscriptable",
    "positional argument",
    "keyword argument",
)
ALLOWED = {200, 204, 303, 400, 403, 404, 405, 406, 413, 414, 415, 422}


def check_response(response: httpx.Response, elapsed: float) -> None:
    assert response.status_code != 500, response.text[:500]
    assert elapsed < TIME_LIMIT * 2 + 10, "the server hung"
    if response.status_code == 503:
        assert "time limit" in response.text or "busy" in response.text, response.text[:300]
        return
    assert response.status_code in ALLOWED, (response.status_code, response.text[:300])
    if 400 <= response.status_code < 500 and response.request.method != "HEAD":
        message = response.text.strip()
        assert message, "a 4xx without a message"
        assert "Traceback" not in message


@pytest.mark.server
@pytest.mark.slow
@settings(
    max_examples=scale(250, 3000),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests())
def test_endpoint_never_fails_on_any_request(endpoint, request):
    with httpx.Client(base_url=endpoint, timeout=TIME_LIMIT * 2 + 10) as client:
        started = time.monotonic()
        try:
            response = client.request(
                request["method"],
                request["path"],
                params=request["params"],  # type: ignore[arg-type]
                headers=request["headers"],
                content=request["body"],  # type: ignore[arg-type]
            )
        except (httpx.InvalidURL, httpx.LocalProtocolError):
            return  # the client refuses to send it: nothing reaches the server
        check_response(response, time.monotonic() - started)


@pytest.mark.server
@pytest.mark.slow
@settings(
    max_examples=scale(100, 1500),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=QUERY_TEXT, accept=ACCEPT)
def test_endpoint_answers_or_refuses_every_query(endpoint, text, accept):
    with httpx.Client(base_url=endpoint, timeout=TIME_LIMIT * 2 + 10) as client:
        started = time.monotonic()
        response = client.post("/sparql", data={"query": text}, headers={"Accept": accept})
        check_response(response, time.monotonic() - started)
        if response.status_code == 400:
            assert response.text.startswith(
                ("bad SPARQL", "not a query", "more than one", "no query", "query failed: ")
            ), response.text[:200]
            if response.text.startswith("query failed: "):
                # an engine's failure is told in its own terms, never as a Python error
                assert not any(sign in response.text for sign in PYTHON_ERRORS), response.text
