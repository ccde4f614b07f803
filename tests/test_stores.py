"""Stores: memory, embedded Oxigraph and a real ``oxigraph serve`` answer the catalogue alike.

The remote store is Oxigraph's own server on loopback, filled by ``kzgraph publish`` through the
SPARQL 1.1 Graph Store Protocol. Answers are compared as multisets (see
:func:`tests.support.answers.normalise`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Literal

from graph.cli.main import main
from graph.inputs.reading import named_graphs
from graph.sparql.guard import check_query
from graph.sparql.results import QueryRefused, QuerySyntaxError, StoreUnavailable, TooManyRows
from graph.stores.base import Store
from graph.stores.bulkload import store_dir
from graph.stores.endpoint import EndpointStore
from graph.stores.memory import MemoryStore
from graph.stores.persistent import FINGERPRINT_FILE, OxigraphStore, load_oxigraph
from graph.stores.spec import StoreSpec, open_store
from tests.support.answers import normalise, split_catalogue
from tests.support.servers import free_port, oxigraph_server

REPO = Path(__file__).resolve().parent.parent
CATALOGUE, FEDERATED = split_catalogue()


@pytest.fixture(scope="module")
def memory(dataset) -> MemoryStore:
    return MemoryStore(dataset)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphStore]:
    location = tmp_path_factory.mktemp("oxigraph-store")
    assert load_oxigraph(location) is True
    store = OxigraphStore(location)
    yield store
    store.close()


@pytest.fixture(scope="module")
def oxigraph_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Oxigraph server, filled by ``kzgraph publish``."""
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph-server")) as served:
        base = served.base
        code = main(["publish", "--endpoint", f"{base}/query", "--graph-store", f"{base}/store"])
        assert code == 0
        yield base


@pytest.fixture(scope="module")
def remote(oxigraph_url: str) -> EndpointStore:
    return EndpointStore(f"{oxigraph_url}/query")


def answer_set(store: Store, text: str) -> Counter[tuple[object, ...]]:
    return normalise(store.query(check_query(text)).rows(), text)


def test_catalogue_is_not_empty():
    assert len(CATALOGUE) >= 12


@pytest.mark.parametrize("entry", FEDERATED, ids=lambda q: q.name)
def test_federated_catalogue_queries_are_refused_by_default(entry, memory):
    with pytest.raises(QueryRefused, match="SERVICE <"):
        memory.query(check_query(entry.text))


@pytest.mark.server
@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda q: q.name)
def test_catalogue_query_same_on_all_three_stores(entry, memory, embedded, remote):
    expected = answer_set(memory, entry.text)
    assert expected, f"{entry.name} returns nothing on the curated data"
    assert answer_set(embedded, entry.text) == expected
    assert answer_set(remote, entry.text) == expected


@pytest.mark.server
def test_publish_keeps_named_graphs_and_the_default_graph_is_their_merge(dataset, remote):
    rows = remote.query(check_query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")).rows()
    assert {str(g) for (g,) in rows} == {str(g) for g in named_graphs(dataset)}
    # every triple counted once, as in rdflib's union (a merge, not a bag of quads)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    expected = MemoryStore(dataset).query(check_query(count)).rows()
    assert remote.query(check_query(count)).rows() == expected


@pytest.mark.server
def test_publish_twice_replaces_instead_of_duplicating(oxigraph_url, remote):
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    before = remote.query(check_query(count)).rows()
    url = oxigraph_url
    assert main(["publish", "--endpoint", f"{url}/query", "--graph-store", f"{url}/store"]) == 0
    assert remote.query(check_query(count)).rows() == before


@pytest.mark.server
@pytest.mark.parametrize("form", ["ask", "construct"])
def test_other_query_forms_agree(form, memory, embedded, remote):
    text = {
        "ask": "ASK { kzr:igor-rogov org:holds ?post }",
        "construct": "CONSTRUCT { kzr:igor-rogov ?p ?o } WHERE { kzr:igor-rogov ?p ?o }",
    }[form]
    answers = [s.query(check_query(text)) for s in (memory, embedded, remote)]
    if form == "ask":
        assert [a.boolean() for a in answers] == [True, True, True]
    else:
        from rdflib.compare import isomorphic

        graphs = [a.graph() for a in answers]
        assert len(graphs[0]) > 3
        assert isomorphic(graphs[0], graphs[1]) and isomorphic(graphs[0], graphs[2])


@pytest.mark.parametrize("kind", ["memory", "embedded"])
def test_row_cap_is_enforced(kind, memory, embedded):
    store = memory if kind == "memory" else embedded
    with pytest.raises(TooManyRows, match="more than 5 rows"):
        store.query(check_query("SELECT * WHERE { ?s ?p ?o }"), max_rows=5)
    with pytest.raises(TooManyRows, match="more than 5 triples"):
        store.query(check_query("CONSTRUCT WHERE { ?s ?p ?o }"), max_rows=5)
    assert store.query(check_query("SELECT * WHERE { ?s ?p ?o } LIMIT 5"), max_rows=5).count == 5


def test_answers_serialise_to_every_format(embedded):
    answer = embedded.query(check_query("SELECT ?label WHERE { kzr:igor-rogov rdfs:label ?label }"))
    data = json.loads(answer.serialize("json"))
    assert data["results"]["bindings"] == [
        {"label": {"type": "literal", "value": "Igor Rogov", "xml:lang": "en"}}
    ]
    assert answer.serialize("csv").decode().splitlines() == ["label", "Igor Rogov"]
    assert answer.serialize("tsv").decode().splitlines() == ["?label", '"Igor Rogov"@en']
    assert b'<literal xml:lang="en">Igor Rogov</literal>' in answer.serialize("xml")
    assert answer.rows() == [(Literal("Igor Rogov", lang="en"),)]


def test_oxigraph_store_reloads_only_when_the_files_change(tmp_path, project):
    location = tmp_path / "store"
    assert load_oxigraph(location, str(project / "ontology"), str(project / "data")) is True
    assert load_oxigraph(location, str(project / "ontology"), str(project / "data")) is False
    assert (store_dir(location) / FINGERPRINT_FILE).is_file()  # with the content it describes
    extra = project / "data" / "extra.trig"
    extra.write_text(
        "@prefix kzr: <https://w3id.org/kzgraph/id/> .\n"
        "@prefix kze: <https://w3id.org/kzgraph/evidence/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'kze:extra { kzr:newcomer rdfs:label "Newcomer"@en . }\n'
    )
    assert load_oxigraph(location, str(project / "ontology"), str(project / "data")) is True
    store = open_store(StoreSpec("oxigraph", location=str(location)))
    answer = store.query(check_query("ASK { kzr:newcomer rdfs:label ?l }"))
    assert answer.boolean() is True
    store.close()


def test_unreachable_endpoint_is_a_clear_error():
    store = EndpointStore(f"http://127.0.0.1:{free_port()}/sparql", timeout=5)
    with pytest.raises(StoreUnavailable, match="unreachable"):
        store.query(check_query("ASK {}"))


@pytest.mark.server
def test_endpoint_syntax_errors_come_from_our_parser_first(remote):
    with pytest.raises(QuerySyntaxError, match="line 1, column"):
        remote.query(check_query("SELECT * WHERE { ?s ?p }"))
