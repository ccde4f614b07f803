"""The fast paths of issue 7, and that they give nothing away.

- The query guard clears a query for the Oxigraph store by reading it, without rdflib's parser,
  only when the text cannot hold what the policy refuses; anything else is parsed as before.
- ``kzgraph query`` starts from a cache of the checked dataset keyed by the inputs' hash, and
  imports none of the heavy libraries (pyvis, networkx, pyshacl, the server).
- The Oxigraph store opens the active generation that ``kzgraph load`` switches atomically,
  and the curated refresh never overwrites data the user loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.serving.sandbox import QueryRunner
from graph.sparql.guard import Policy, _check_parsed, _form_by_reading, check_query, prepare
from graph.sparql.results import QueryRefused, QuerySyntaxError
from graph.stores.bulkload import load, read_marker, source_for, store_dir
from graph.stores.persistent import OxigraphStore, load_oxigraph
from graph.stores.spec import StoreSpec, open_store
from tests.conftest import DATA, ONTOLOGY, REPO
from tests.reliability import scale

SERVICE = "SERVICE <http://example.org/sparql> { ?s ?p ?o }"

# -- reading instead of parsing --


@pytest.mark.parametrize(
    "text",
    [
        f"SELECT * WHERE {{ {SERVICE} }}",
        "select * where { service <http://example.org/sparql> { ?s ?p ?o } }",
        "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }",
        "DESCRIBE <https://w3id.org/kzgraph/id/x>FROM <http://example.org/g>",
        # a comment ends at CR too: what follows it is query text
        f"# note\rSELECT * {{ {SERVICE} {{\nSELECT * {{ ?a ?b ?c }} }} }}",
        # codepoint escapes are decoded before parsing: they could end a comment or spell SERVICE
        f"# note \\u000A SELECT * {{ {SERVICE} }}\nSELECT * {{}}",
        "SELECT * WHERE { \\u0053ERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        'SELECT * WHERE { ?s ?p "a string saying from" }',
        "SELECT * WHERE { SerVice <http://example.org/sparql> { ?s ?p ?o } }",
        # outside ASCII the case-insensitive expression decides (U+017F matches "s" there)
        "SELECT * WHERE { \u017fERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "SELECT ?é WHERE { ?é ?p ?o } # fRoM here",
        # regressions: a keyword right after "." or glued to a number or boolean is one to
        # Oxigraph ("1SERVICE" reads as 1, SERVICE); U+0131 uppercases to "I"
        f"SELECT * WHERE {{ ?s ?p ?o .{SERVICE} }}",
        f"SELECT * WHERE {{ ?s ?p 1{SERVICE} }}",
        f"SELECT * WHERE {{ ?s ?p true{SERVICE} }}",
        "SELECT * WHERE { SERV\u0131CE <http://example.org/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o } # c\\u000d FROM <http://example.org/g>",
    ],
)
def test_text_that_could_hold_service_or_from_is_parsed(text):
    assert _form_by_reading(text) is None


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("SELECT ?o WHERE { kzr:igor-rogov ?p ?o }", "SELECT"),
        (
            "# from the catalogue\nPREFIX kz: <https://w3id.org/kzgraph/ontology#>\n"
            "ASK { ?s a kz:Claim }",
            "ASK",
        ),
        ("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s prov:wasDerivedFrom ?o } }", "CONSTRUCT"),
        ("BASE <https://w3id.org/kzgraph/>\nDESCRIBE <id/igor-rogov>", "DESCRIBE"),
    ],
)
def test_plain_queries_are_read_without_parsing(text, form):
    assert _form_by_reading(text) == form
    checked = check_query(text)
    assert checked.form == form and checked.algebra is None


def test_every_local_catalogue_query_is_read_without_parsing():
    from tests.support.answers import split_catalogue

    local, federated = split_catalogue()
    assert all(_form_by_reading(q.text) for q in local)
    assert not any(_form_by_reading(q.text) for q in federated)  # they use SERVICE


KEYWORDS = st.sampled_from(
    [
        "SERVICE",
        "service",
        "FROM",
        "From",
        "FROM NAMED",
        "\\u0053ERVICE",
        ".SERVICE",
        "1SERVICE",
        "trueSERVICE",
        "\u017fERVICE",
        "SERV\u0131CE",
        "\\u000D",
        "kz:x.FROM",
    ]
)
FILLER = st.sampled_from(
    [
        " ",
        "\n",
        "\r",
        "\t",
        "#",
        "# c\n",
        "<",
        ">",
        '"',
        "'",
        "{",
        "}",
        "(",
        ")",
        "*",
        ".",
        ";",
        ":",
        "?x",
        "kzg:",
        "<http://example.org/g>",
        "x",
    ]
)


@st.composite
def tricky_queries(draw: st.DrawFn) -> str:
    parts = draw(
        st.lists(
            st.one_of(
                KEYWORDS,
                FILLER,
                st.just("SELECT * WHERE {"),
                st.just("{ ?s ?p ?o }"),
                st.just("PREFIX ex: <http://e/>\n"),
            ),
            max_size=12,
        )
    )
    return "".join(parts)


@settings(max_examples=scale(400, 5000), deadline=None)
@given(text=st.one_of(tricky_queries(), st.text(max_size=80)))
def test_reading_never_clears_what_the_guard_refuses(text):
    """Whenever reading clears a query, rdflib's guard does not refuse it (and agrees on form)."""
    form = _form_by_reading(text)
    if form is None:
        return
    try:
        checked = _check_parsed(prepare(text), Policy())
    except QueryRefused as exc:  # pragma: no cover - the property under test
        raise AssertionError(f"cleared by reading but refused by the guard: {text!r}") from exc
    except QuerySyntaxError:
        return  # rdflib cannot parse it: Oxigraph is left to say what it thinks
    assert checked.form == form


def test_memory_and_oxigraph_stores_run_the_same_checked_text_on_oxigraph(tmp_path):
    load_oxigraph(tmp_path / "store", str(ONTOLOGY), str(DATA))
    store = OxigraphStore(tmp_path / "store")
    checked = check_query("SELECT ?p WHERE { kzr:igor-rogov org:holds ?p }")
    assert checked.algebra is None
    memory = open_store(StoreSpec())
    assert isinstance(memory.store, ox.Store)  # the default store is Oxigraph in memory
    assert memory.query(checked).rows() == store.query(checked).rows() != []
    assert checked.algebra is None  # Oxigraph parsed it itself
    for each in (store, memory):
        with pytest.raises(QuerySyntaxError, match=r"^bad SPARQL at line 1, column \d+: [^\n]+$"):
            each.query(check_query("SELECT ?p WHERE { kzr:igor-rogov org:holds ?p"))


@pytest.mark.slow
def test_workers_on_the_oxigraph_store_still_refuse_service(tmp_path):
    load_oxigraph(tmp_path / "store", str(ONTOLOGY), str(DATA))
    spec = StoreSpec("oxigraph", location=str(tmp_path / "store"))
    with QueryRunner.open(spec, timeout=10) as pool:
        form, _media, _body, count = pool.call_sync(
            "query", "SELECT ?p WHERE { kzr:igor-rogov org:holds ?p }", "json", "turtle", None
        )
        assert form == "SELECT" and count == 1
        with pytest.raises(QueryRefused, match="SERVICE"):
            pool.call_sync("query", f"SELECT * WHERE {{ {SERVICE} }}", "json", "turtle", None)
        with pytest.raises(QueryRefused, match="FROM"):
            pool.call_sync(
                "query", "SELECT * FROM <http://example.org/g> { ?s ?p ?o }", "json", "turtle", None
            )


# -- the Oxigraph store's directory --


def test_curated_refresh_keeps_data_the_user_loaded(tmp_path, project):
    where = tmp_path / "store"
    extra = tmp_path / "acts.nq"
    extra.write_text(
        "<https://w3id.org/kzgraph/id/a> <https://w3id.org/kzgraph/id/p>"
        ' "x" <https://w3id.org/kzgraph/graph/acts> .\n'
    )
    load(where, [source_for(extra)])
    assert load_oxigraph(where, str(project / "ontology"), str(project / "data")) is False
    assert read_marker(where)["loaded"] == ["acts.nq"]  # not replaced by the curated graph
    assert load_oxigraph(where, str(project / "ontology"), str(project / "data"), force=True)
    assert read_marker(where)["loaded"] == ["curated graph"]


def test_a_database_made_elsewhere_is_left_as_it_is(tmp_path):
    where = tmp_path / "plain"
    plain = ox.Store(str(where))
    plain.add(ox.Quad(ox.NamedNode("urn:x:a"), ox.NamedNode("urn:x:b"), ox.Literal("c")))
    plain.flush()
    del plain
    assert load_oxigraph(where, str(ONTOLOGY), str(DATA)) is False
    assert len(OxigraphStore(where).store) == 1


def test_store_opens_the_active_generation_after_each_refresh(tmp_path, project):
    where = tmp_path / "store"
    assert load_oxigraph(where, str(project / "ontology"), str(project / "data"))
    first = store_dir(where)
    (project / "data" / "extra.trig").write_text(
        "@prefix kzr: <https://w3id.org/kzgraph/id/> .\n"
        "@prefix kze: <https://w3id.org/kzgraph/evidence/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'kze:extra { kzr:newcomer rdfs:label "Newcomer"@en . }\n'
    )
    reader = OxigraphStore(where)  # a reader open on the first generation...
    assert load_oxigraph(where, str(project / "ontology"), str(project / "data"))
    assert store_dir(where) != first
    ask = check_query("ASK { kzr:newcomer rdfs:label ?l }")
    assert reader.query(ask).boolean() is False  # ...keeps reading it, undisturbed
    assert OxigraphStore(where).query(ask).boolean() is True


# -- cold start --

HEAVY = (
    "pyvis",
    "networkx",
    "pyshacl",
    "owlrl",
    "starlette",
    "uvicorn",
    "jinja2",
    "scipy",
    "matplotlib",
    "graph.serving.app",
    "graph.explore.view",
    "graph.explore.network",
    "graph.build",
)


def test_query_command_imports_nothing_heavy(tmp_path):
    script = (
        "import sys\n"
        "from graph.cli.main import main\n"
        "code = main(['query', 'entity-facts', '--format', 'json', '-o', sys.argv[1]])\n"
        f"heavy = sorted(m for m in sys.modules\n"
        f"               if m.split('.')[0] in {HEAVY!r} or m in {HEAVY!r})\n"
        "print(code, heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "out.json")],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "KZGRAPH_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert done.stdout.strip() == "0 []", done.stdout + done.stderr
    assert json.loads((tmp_path / "out.json").read_text())["results"]["bindings"]


def test_query_reads_the_cache_and_a_changed_input_misses_it(tmp_path, project, monkeypatch):
    import graph.inputs.reading
    from graph.inputs.cache import cached_nquads, load_cached

    monkeypatch.setenv("KZGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    ont, data = project / "ontology", project / "data"
    first = load_cached(ont, data)
    (entry,) = (tmp_path / "cache").glob("dataset-*.nq")  # N-Quads, data: never code
    assert oct(entry.stat().st_mode & 0o777) == "0o600"
    calls = []
    real = graph.inputs.reading.load_graph
    monkeypatch.setattr(
        graph.inputs.reading, "load_graph", lambda *a, **k: calls.append(a) or real(*a, **k)
    )
    again = load_cached(ont, data)
    assert calls == [] and len(again) == len(first)  # read back, not rebuilt
    assert set(again.quads()) == set(first.quads())
    assert cached_nquads(ont, data) and calls == []
    (data / "extra.trig").write_text(
        "@prefix kzr: <https://w3id.org/kzgraph/id/> .\n"
        "@prefix kze: <https://w3id.org/kzgraph/evidence/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'kze:extra { kzr:newcomer rdfs:label "Newcomer"@en . }\n'
    )
    changed = load_cached(ont, data)
    assert len(calls) == 1 and len(changed) == len(first) + 1


@pytest.mark.parametrize("damage", [b"not n-quads", b"truncated"])
def test_a_damaged_cache_entry_is_rebuilt(tmp_path, monkeypatch, damage):
    from graph.inputs.cache import cached_nquads

    monkeypatch.setenv("KZGRAPH_CACHE_DIR", str(tmp_path))
    good = cached_nquads(ONTOLOGY, DATA)
    (entry,) = tmp_path.glob("dataset-*.nq")
    raw = entry.read_bytes()
    entry.write_bytes(raw[: len(raw) // 2] if damage == b"truncated" else damage)
    assert cached_nquads(ONTOLOGY, DATA) == good
    assert entry.read_bytes() == raw


def test_a_cache_others_can_write_is_never_read(tmp_path, monkeypatch):
    """A shared or group-writable cache directory (or entry) is bypassed, not trusted."""
    import graph.inputs.reading
    from graph.inputs.cache import cached_nquads

    monkeypatch.setenv("KZGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    good = cached_nquads(ONTOLOGY, DATA)
    (entry,) = (tmp_path / "cache").glob("dataset-*.nq")
    calls = []
    real = graph.inputs.reading.load_graph
    monkeypatch.setattr(
        graph.inputs.reading, "load_graph", lambda *a, **k: calls.append(a) or real(*a, **k)
    )
    entry.chmod(0o666)
    assert cached_nquads(ONTOLOGY, DATA) == good and len(calls) == 1
    entry.chmod(0o600)
    (tmp_path / "cache").chmod(0o777)
    assert cached_nquads(ONTOLOGY, DATA) == good and len(calls) == 2
    (tmp_path / "cache").chmod(0o700)
    assert cached_nquads(ONTOLOGY, DATA) == good and len(calls) == 2


def test_cache_can_be_switched_off(tmp_path, monkeypatch):
    from graph.inputs.cache import cache_dir

    monkeypatch.setenv("KZGRAPH_CACHE_DIR", "off")
    assert cache_dir() is None
    monkeypatch.delenv("KZGRAPH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "kzgraph"


@pytest.mark.parametrize(
    "text",
    [
        "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 500",
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 500",
        "ASK { ?s ?p ?o }",
    ],
)
def test_oxigraph_answers_are_serialised_by_oxigraph_not_row_by_row(tmp_path, monkeypatch, text):
    """What the server sends for the Oxigraph store never goes through rdflib terms."""

    from graph.serving.operations import run_op
    from graph.sparql.guard import Policy
    from graph.sparql.results import GRAPH_FORMATS, RESULT_FORMATS

    load_oxigraph(tmp_path / "store", str(ONTOLOGY), str(DATA))
    store = OxigraphStore(tmp_path / "store")

    def refuse(*args: object) -> None:
        raise AssertionError("a result went through rdflib terms")

    import graph.sparql.results

    monkeypatch.setattr(graph.sparql.results, "to_rdflib", refuse)
    monkeypatch.setattr("rdflib.query.Result.serialize", refuse)
    for result_fmt in RESULT_FORMATS:
        for graph_fmt in GRAPH_FORMATS:
            _form, media, body, count = run_op(
                store, Policy(), "query", (text, result_fmt, graph_fmt, 10_000)
            )
            assert body and count >= 1 and media


def test_uncapped_select_is_serialised_once_in_the_format_asked(tmp_path):
    """Without a cap, a SELECT goes straight to the format asked; every format still agrees."""
    from graph.sparql.results import RESULT_FORMATS

    load_oxigraph(tmp_path / "store", str(ONTOLOGY), str(DATA))
    store = OxigraphStore(tmp_path / "store")
    text = "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s ?label"
    capped = store.query(check_query(text), 100_000)
    for name, fmt in RESULT_FORMATS.items():
        fresh = store.query(check_query(text))
        first = fresh.serialize(name)  # straight from Oxigraph
        assert first == capped.serialize(name), name
        assert fresh.count == capped.count > 100
        assert fresh.payload == capped.payload  # TSV made on demand from the first format
        assert fresh.rows() == capped.rows()
        if name != "csv":  # CSV cannot be read back by design
            assert ox.parse_query_results(first, format=fmt.native) is not None


def test_predeclared_prefixes_on_the_fast_path(tmp_path):
    """Our prefixes need no declaration; a query's own declaration of a name wins."""
    from graph.sparql.guard import _read

    load_oxigraph(tmp_path / "store", str(ONTOLOGY), str(DATA))
    store = OxigraphStore(tmp_path / "store")
    plain = "SELECT ?l WHERE { kzr:igor-rogov rdfs:label ?l }"
    own = "PREFIX rdfs: <http://example.org/not-rdfs#>\n" + plain
    assert _read(plain) == (
        "SELECT",
        {"kzr": "https://w3id.org/kzgraph/id/", "rdfs": "http://www.w3.org/2000/01/rdf-schema#"},
    )
    assert _read(own) == ("SELECT", {"kzr": "https://w3id.org/kzgraph/id/"})
    assert store.query(check_query(plain)).count == 1
    assert store.query(check_query(own)).count == 0
    # a declaration mentioned in a comment is not one: the predeclared prefix is still passed
    commented = "# PREFIX rdfs: <http://example.org/>\n" + plain
    assert "rdfs" in _read(commented)[1]
    assert store.query(check_query(commented)).count == 1
