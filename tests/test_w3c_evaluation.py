"""The approved W3C SPARQL 1.1 query-evaluation tests, through every door kzgraph has.

Each test of aggregates, bind, bindings, construct, exists, functions, grouping, negation,
project-expression, property-path and subquery (w3c/rdf-tests at :data:`tests.w3c.SUITE_COMMIT`)
runs three ways: on Oxigraph directly (the engine's own answer), through the public Python API
(``graph.query`` on a Dataset whose default graph is the test's data) and through the server's
query path (:func:`graph.serving.operations.run_op`: the guard, an Oxigraph store opened as
``kzgraph
serve --store oxigraph`` opens it, the JSON or N-Triples the server sends). Known deviations are
listed once, in tests/w3c_deviations.py, and expected to fail (strictly).
"""

from __future__ import annotations

import pytest

from tests import w3c
from tests.w3c_deviations import deviation

CASES = w3c.evaluation_cases()
SKIP = pytest.mark.skip(
    reason="W3C SPARQL 1.1 suites not found: set KZGRAPH_W3C or put them in ../shared/w3c-sparql11"
)


def _params(runner: str) -> list[object]:
    if not CASES:
        return [pytest.param(None, marks=SKIP, id="suites-absent")]
    return [pytest.param(case, id=case.id) for case in CASES]


def _engine(runner: str) -> str:
    return "api" if runner == "api" else "oxigraph"


def _check(case: w3c.Case, runner: str) -> None:
    known = deviation(case.iri, _engine(runner))
    why = w3c.outcome(case, runner)
    if known is not None:
        if why is None:
            pytest.fail(
                f"{case.id} now passes on {runner}: remove it from tests/w3c_deviations.py"
                f" ({known.reason})"
            )
        pytest.xfail(f"known deviation: {known.reason} [{known.upstream}]")
    assert why is None, f"{case.id} ({case.name}) on {runner}: {why}"


@pytest.mark.parametrize("case", _params("oxigraph"))
def test_oxigraph_directly(case):
    _check(case, "oxigraph")


@pytest.mark.parametrize("case", _params("api"))
def test_public_python_api(case):
    _check(case, "api")


@pytest.mark.parametrize("case", _params("server"))
def test_server_query_path(case):
    _check(case, "server")


def test_the_suite_is_the_one_documented():
    """The counts in README.md and docs/querying.md are of this many approved tests."""
    if not CASES:
        pytest.skip("W3C SPARQL 1.1 suites not found")
    assert len(CASES) == 168
    assert {case.folder for case in CASES} == set(w3c.EVALUATION_FOLDERS)
    assert all(case.iri.startswith(w3c.W3C_BASE) for case in CASES)


@pytest.mark.server
def test_a_folder_end_to_end_over_http():
    """The bind tests (one data file) through the HTTP endpoint: negotiation, workers, JSON."""
    import pyoxigraph as ox
    from starlette.testclient import TestClient

    from graph.serving.app import ServerConfig, create_app
    from graph.serving.sandbox import QueryRunner
    from graph.stores.spec import StoreSpec

    chosen = [case for case in CASES if case.folder == "bind"]
    if not chosen:
        pytest.skip("W3C SPARQL 1.1 suites not found")
    data = {(case.data, case.graph_data) for case in chosen}
    assert len(data) == 1  # one store serves them all
    where = w3c._store_dir(chosen[0].data, chosen[0].graph_data, "bind")
    spec = StoreSpec("oxigraph", location=str(where))
    with QueryRunner.open(spec, w3c.server_policy(), timeout=20) as pool:
        client = TestClient(create_app(pool, ServerConfig()))
        for case in chosen:
            response = client.post(
                "/sparql",
                content=w3c.with_base(case).encode(),
                headers={
                    "Content-Type": "application/sparql-query",
                    "Accept": "application/sparql-results+json",
                },
            )
            assert response.status_code == 200, (case.id, response.text)
            answer = w3c.from_oxigraph(
                ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
            )
            assert w3c.compare(w3c.read_expected(case), answer, case.text()) is None, case.id


def test_the_counts_in_the_readme_are_measured():
    """README.md states the pass counts: they must be the ones this suite measures."""
    from tests.w3c_deviations import API_DEVIATIONS, DEVIATIONS

    if not CASES:
        pytest.skip("W3C SPARQL 1.1 suites not found")
    passed = sum(w3c.outcome(case, "oxigraph") is None for case in CASES)
    api = sum(w3c.outcome(case, "api") is None for case in CASES)
    assert passed == len(CASES) - len(DEVIATIONS)
    assert api == passed - len(API_DEVIATIONS)
    readme = (w3c.REPO / "README.md").read_text(encoding="utf-8")
    assert f"of the {len(CASES)} approved W3C SPARQL 1.1" in readme
    assert f"query path pass {passed} and the Python API {api};" in readme
