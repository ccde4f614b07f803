"""The view's HTML without a browser: standalone, escaped, complete; the command and the build.

What the page does when drawn is tested in a real browser in test_view_browser.py.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import networkx as nx
import pytest

from graph.cli.main import main
from graph.explore.network import to_networkx
from graph.explore.view import (
    CONTENT_SECURITY_POLICY,
    MAX_NODES,
    PHYSICS_LIMIT,
    GraphTooLargeError,
    effective_dates,
    render,
    view_for,
)
from graph.namespaces import KZR
from graph.sparql.results import QueryError

from .conftest import DATA, ONTOLOGY
from .graphs import HOSTILE_LABEL, HOSTILE_QUOTE, generated_dataset, hostile_dataset

ROGOV = str(KZR["igor-rogov"])


class _Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def page_data(page: str) -> tuple[list[dict], list[dict], dict]:
    """The node list, edge list and options pyvis wrote into the page."""

    def grab(name: str) -> str:
        match = re.search(rf"var {name} = (.*?);\n", page)
        assert match, name
        return match.group(1)

    return (
        json.loads(grab("KZ_NODES")),
        json.loads(grab("KZ_EDGES")),
        json.loads(grab("KZ_OPTIONS")),
    )


@pytest.fixture(scope="module")
def page(network):
    return render(network, title="kzgraph: whole graph")


def test_page_is_standalone(page):
    found = tags(page.html)
    external = [
        (tag, attrs)
        for tag, attrs in found
        if attrs.get("src") or (tag == "link" and attrs.get("href"))
    ]
    assert external == []  # every script and style is inline
    csp = next(a["content"] for t, a in found if a.get("http-equiv") == "Content-Security-Policy")
    assert csp == CONTENT_SECURITY_POLICY  # one policy, for the file and for a server
    assert "default-src 'none'" in csp and "connect-src" not in csp
    assert "bootstrap" not in page.html.lower()
    # page data (JSON), node and edge lists, vis-network, our script
    assert [t for t, _a in found].count("script") == 4


def test_page_holds_every_node_and_edge(page, network):
    nodes, edges, options = page_data(page.html)
    assert {n["id"] for n in nodes} == set(network.nodes)
    assert len(edges) == network.number_of_edges()
    assert {(e["from"], e["kz"]["p"], e["to"]) for e in edges} == {
        (u, k, v) for u, v, k in network.edges(keys=True)
    }
    assert options["physics"]["enabled"] is True  # small: the browser lays it out
    rogov = next(n for n in nodes if n["id"] == ROGOV)
    assert rogov["kz"]["label"] == "Igor Rogov" and rogov["kz"]["kind"] == "Person"
    assert "label" not in rogov  # the page places labels itself, where they do not collide
    degrees = dict(network.degree())
    sizes = {n["id"]: n["size"] for n in nodes}
    busiest, quietest = max(degrees, key=degrees.get), min(degrees, key=degrees.get)
    assert sizes[busiest] > sizes[quietest]  # size by degree


def test_colour_and_shape_follow_the_group_and_the_legend_names_the_groups(page):
    nodes, _edges, _options = page_data(page.html)
    style = {}
    for n in nodes:
        style.setdefault(n["kz"]["group"], set()).add((n["shape"], json.dumps(n["color"])))
    assert all(len(s) == 1 for s in style.values())  # one look per group
    assert len({next(iter(s)) for s in style.values()}) == len(style)  # and a different one each
    colours = [json.loads(next(iter(s))[1]) for s in style.values()]
    assert len(set(map(str, colours))) == len(colours)  # told apart by colour alone too
    legend = page_meta(page.html)["groups"]
    labels = [g["label"] for g in legend]
    for wanted in ("Legal acts", "Organisations", "People", "Events", "Programmes", "Claims"):
        assert wanted in labels
    assert sum(g["count"] for g in legend) == len(nodes)
    claims = next(g for g in legend if g["group"] == "claim")
    assert [k["kind"] for k in claims["kinds"]] == ["Claim"]


def page_meta(html: str) -> dict:
    return json.loads(re.search(r'id="kz-meta">(.*?)</script>', html).group(1))


def edge_support(html: str) -> dict[tuple[str, str, str], str]:
    _nodes, edges, _options = page_data(html)
    return {(e["from"], e["kz"]["p"], e["to"]): e["kz"]["support"] for e in edges}


def test_edges_say_whether_both_articles_one_or_only_the_curators_state_them(page, network):
    support = edge_support(page.html)
    amendment, decree = str(KZR["decree-597-amendment"]), str(KZR["decree-597"])
    threshold = str(KZR["lower-party-registration-threshold"])
    eli, kz = "http://data.europa.eu/eli/ontology#", "https://w3id.org/kzgraph/ontology#"
    assert support[(amendment, eli + "amends", decree)] == "several"  # both articles say so
    # the two changes the amendment made rest on the opinion piece alone
    assert support[(amendment, kz + "includesMeasure", threshold)] == "one"
    curated = [k for k, v in support.items() if v == "curators"]
    assert curated  # e.g. who wrote the opinion piece: the curators' identification
    for u, p, v in curated:
        assert all(ev.curated for ev in network.edges[u, v, p]["evidence"])
    for (u, p, v), level in support.items():
        sources = {ev.source for ev in network.edges[u, v, p]["evidence"] if not ev.curated}
        assert level == {0: level, 1: "one"}.get(len(sources), "several")
    # the page draws each level differently
    _nodes, edges, _o = page_data(page.html)
    looks = {
        e["kz"]["support"]: json.dumps([e["width"], e.get("dashes"), e["color"]]) for e in edges
    }
    assert len(set(looks.values())) == len(looks)


def test_claimant_and_source_filters_list_who_says_what(page):
    meta = page_meta(page.html)
    claimants = {c["label"]: c for c in meta["claimants"]}
    assert {"Igor Rogov", "EU Reporter", "kzgraph curators"} <= set(claimants)
    assert claimants["kzgraph curators"]["kind"] == "editorial identifications"
    sources = {s["label"]: s["kind"] for s in meta["sources"]}
    assert sources == {
        "Regional Crisis as an Opportunity to Promote Human Rights": "opinion piece",
        "Kazakhstan’s New Human Rights Amendment": "EU Reporter article",
    }
    assert sum(c["count"] for c in meta["claimants"]) == len(meta["evidence"])


def test_undated_measures_and_claims_take_the_date_of_what_they_belong_to(network):
    when = effective_dates(network)
    amendment = str(KZR["decree-597-amendment"])
    includes = "https://w3id.org/kzgraph/ontology#includesMeasure"
    measures = [v for _u, v, k in network.out_edges(amendment, keys=True) if k == includes]
    assert len(measures) >= 2
    for measure in measures:
        # hidden on the last day of 2021, though EU Reporter has Decree 597 (June 2021)
        # include one of them: the decree as amended
        assert when[measure]["when"] == "2022-04-13", measure
        assert when[measure]["basis"] == (
            "the date of Amendment to Decree 597 (2022-04-13), which includes it"
        )
    about = "https://schema.org/about"
    claims = [u for u, _v, k in network.in_edges(amendment, keys=True) if k == about]
    assert claims
    for claim in claims:
        assert network.nodes[claim]["group"] == "claim"
        # its article's publication day: EU Reporter's recorded one (21 April 2022), or the
        # earliest day the opinion piece's content allows (13 April 2022)
        assert when[claim]["when"] in ("2022-04-13", "2022-04-21")
    assert when[amendment] == {"when": "2022-04-13", "basis": "own", "shown": "2022-04-13"}
    # a date is shown as precise as the source gives it
    reforms = when[str(KZR["tokayev-reforms"])]
    assert reforms["when"] == "2022-01-01" and reforms["shown"] == "2022"
    assert when[str(KZR["decree-597"])]["when"].startswith("2021-06")
    assert ROGOV not in when  # undated: marked, shown unless the reader hides undated items


def test_the_slider_has_ticks_for_the_dated_events(page, network):
    dates = page_meta(page.html)["dates"]
    own = sorted(d["date"] for _n, d in network.nodes(data=True) if d["date"])
    assert [t["date"] for t in dates["ticks"]] == own
    assert dates["undated"] == network.number_of_nodes() - dates["count"] > 0


def test_a_change_of_number_reads_as_one_plain_line(page):
    nodes, _edges, _options = page_data(page.html)
    threshold = next(n for n in nodes if n["id"] == str(KZR["lower-party-registration-threshold"]))
    (change,) = threshold["kz"]["changes"]
    assert change["label"].startswith("minimum number of members required to register")
    assert change["value"] == "20,000 → 5,000"
    assert len(change["ev"]) == 2  # Rogov ¶9 and EU Reporter ¶7
    attrs = {a["label"] for a in threshold["kz"]["attrs"]}
    assert not attrs & {"old value", "new value", "changed quantity", "unit text"}


def test_markup_in_labels_and_quotes_never_reaches_the_page_as_markup():
    graph = to_networkx(hostile_dataset())
    page = render(graph).html
    assert HOSTILE_LABEL not in page and HOSTILE_QUOTE not in page
    assert "window.__pwned" in page  # the text is there, as escaped data
    assert [t for t, _a in tags(page)].count("script") == 4  # no element was injected
    assert "\\u003cscript\\u003ewindow.__pwned" in page


def test_title_is_escaped(network):
    page = render(network, title="<b>bold</b> & co").html
    assert "<title>&lt;b&gt;bold&lt;/b&gt; &amp; co</title>" in page


def test_large_graph_is_laid_out_in_python_with_physics_off():
    graph = to_networkx(generated_dataset(PHYSICS_LIMIT + 200))
    nodes, edges, options = page_data(render(graph).html)
    assert options["physics"] == {"enabled": False}
    assert all(isinstance(n.get("x"), float) and isinstance(n.get("y"), float) for n in nodes)
    spots = {(n["x"], n["y"]) for n in nodes}
    assert len(spots) == len(nodes)  # nobody stacked on anybody
    assert len(edges) == graph.number_of_edges()


def test_graphs_of_the_limit_size_are_refused_with_advice():
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(range(MAX_NODES))
    with pytest.raises(GraphTooLargeError, match=r"20,000 nodes.*--focus ENTITY --depth N"):
        render(graph)


def test_rendering_is_deterministic(network):
    assert render(network).html == render(network).html


def test_notebook_rendering_is_an_iframe_with_the_page_in_srcdoc(page):
    html = page._repr_html_()
    assert html.startswith("<iframe") and 'sandbox="allow-scripts' in html
    ((_tag, attrs),) = tags(html)
    assert attrs["srcdoc"] == page.html  # the parser unescapes it back to the page
    assert "<script" not in html  # nothing of the page is live outside its frame


def test_view_for_focus(dataset):
    page = view_for(dataset, focus="Igor Rogov", depth=1)
    nodes, _edges, _options = page_data(page.html)
    meta = re.search(r'id="kz-meta">(.*?)</script>', page.html).group(1)
    assert json.loads(meta)["focus"] == ROGOV
    assert ROGOV in {n["id"] for n in nodes}
    assert page.title == "kzgraph: Igor Rogov and what lies within 1 step"


def test_build_writes_the_whole_graph_view(built, network):
    assert "view.html" in built.files
    html = (built.out_dir / "view.html").read_text(encoding="utf-8")
    nodes, edges, _options = page_data(html)
    assert len(nodes) == network.number_of_nodes() and len(edges) == network.number_of_edges()


# -- The command --


def run_cli(*argv: str) -> int:
    return main(["view", "--ontology", str(ONTOLOGY), "--data", str(DATA), *argv])


def test_cli_whole_graph(tmp_path, capsys, network):
    out = tmp_path / "view.html"
    assert run_cli("-o", str(out)) == 0
    assert f"{network.number_of_nodes()} nodes" in capsys.readouterr().out
    nodes, _e, _o = page_data(out.read_text(encoding="utf-8"))
    assert len(nodes) == network.number_of_nodes()


def test_cli_focus_by_label_prefixed_name_or_iri(tmp_path, capsys):
    for name in ("Igor Rogov", "kzr:igor-rogov", f"<{ROGOV}>"):
        out = tmp_path / "focus.html"
        assert run_cli("--focus", name, "--depth", "2", "-o", str(out)) == 0
        assert "Igor Rogov and what lies within 2 steps" in capsys.readouterr().out


def test_cli_ambiguous_and_unknown_entities(tmp_path, capsys):
    assert run_cli("--focus", "Rogov", "-o", str(tmp_path / "x.html")) == 2
    err = capsys.readouterr().err
    assert "matches 5 entities" in err and "kzr:igor-rogov" in err and "Traceback" not in err
    assert run_cli("--focus", "Rogof", "-o", str(tmp_path / "x.html")) == 2
    assert "did you mean: Igor Rogov (kzr:igor-rogov)" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


def test_cli_query_construct_and_select(tmp_path, capsys):
    construct = tmp_path / "measures.rq"
    construct.write_text(
        "CONSTRUCT { ?d kz:includesMeasure ?m } WHERE { ?d kz:includesMeasure ?m }"
    )
    out = tmp_path / "q.html"
    assert run_cli("--query", str(construct), "-o", str(out)) == 0
    _nodes, edges, _o = page_data(out.read_text(encoding="utf-8"))
    assert {e["kz"]["name"] for e in edges} == {"kz:includesMeasure"}
    # a SELECT of entities draws them, with the facts among them
    select = tmp_path / "decrees.rq"
    select.write_text("SELECT ?d ?act WHERE { ?d a kz:Decree . ?act eli:amends ?d }")
    assert run_cli("--query", str(select), "-o", str(out)) == 0
    nodes, edges, _o = page_data(out.read_text(encoding="utf-8"))
    assert {n["id"] for n in nodes} == {str(KZR["decree-597"]), str(KZR["decree-597-amendment"])}
    assert {e["kz"]["name"] for e in edges} == {"eli:amends", "eli:amended_by"}
    nothing = tmp_path / "count.rq"
    nothing.write_text('SELECT (COUNT(*) AS ?n) ("no such label" AS ?l) WHERE { ?s ?p ?o }')
    assert run_cli("--query", str(nothing), "-o", str(out)) == 2
    assert "name no entity of the graph" in capsys.readouterr().err
    assert run_cli("--query", str(tmp_path / "missing.rq")) == 2
    assert "cannot read query" in capsys.readouterr().err


def test_cli_query_takes_catalogue_names(tmp_path, capsys, dataset):
    from graph.sparql.catalogue import get_query

    out = tmp_path / "claims.html"
    assert run_cli("--query", "claims", "-o", str(out)) == 0
    nodes, _edges, _o = page_data(out.read_text(encoding="utf-8"))
    expected = view_for(dataset, query=get_query("claims").text)
    assert len(nodes) == expected.nodes > 10
    # the entities its rows name: claims by IRI, their claimants by label
    assert {"claim", "person", "organisation"} <= {n["kz"]["group"] for n in nodes}
    assert run_cli("--query", "claims.rq", "-o", str(out)) == 0
    # a federated catalogue query is refused, as `kzgraph query` refuses it by default
    assert run_cli("--query", "federated-treaty-adoption-dates", "-o", str(out)) == 2
    assert "SERVICE <https://query.wikidata.org/sparql> is not allowed" in capsys.readouterr().err
    assert run_cli("--query", "no-such-query", "-o", str(out)) == 2
    err = capsys.readouterr().err
    assert "no catalogue query named 'no-such-query'" in err and "single-source-facts" in err


def test_cli_usage_errors_and_stdout(capsys):
    assert run_cli("--depth", "2") == 2
    assert "--depth needs --focus" in capsys.readouterr().err
    assert run_cli("--focus", "Decree 597", "-o", "-") == 0
    assert capsys.readouterr().out.startswith("<!DOCTYPE html>")


def test_cli_help_ends_with_an_example(capsys):
    assert main(["view", "--help"]) == 0
    assert "example:\n  kzgraph view" in capsys.readouterr().out


# -- The served view (kzgraph serve's /view) draws from bounded queries of what it shows --


def resolved(html: str) -> dict[str, dict]:
    """Each node's panel data with evidence references replaced by the passages' names."""
    nodes, _edges, _o = page_data(html)
    table = page_meta(html)["evidence"]

    def swap(value):
        if isinstance(value, dict):
            return {
                k: sorted(table[i]["name"] for i in v) if k == "ev" else swap(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    _n, edges, _o = page_data(html)
    facts = sorted(
        json.dumps([e["from"], e["to"], swap(e["kz"])], sort_keys=True, ensure_ascii=False)
        for e in edges
    )
    # links to entity pages depend on where the page is served
    return {"nodes": {n["id"]: swap({**n["kz"], "href": None}) for n in nodes}, "edges": facts}


class _Recording:
    """A store that records the queries it answers."""

    def __init__(self, store: object) -> None:
        self.store, self.texts = store, []

    def query(self, checked, max_rows=None):
        self.texts.append((checked.text, max_rows))
        return self.store.query(checked, max_rows)


@pytest.fixture(scope="module")
def memory_store(dataset):
    from graph.stores.memory import MemoryStore

    return MemoryStore(dataset)


def test_served_focus_view_queries_the_neighbourhood_not_the_store(memory_store, dataset):
    from graph.explore.view import served_view

    store = _Recording(memory_store)
    status, page = served_view(store, base="", focus=ROGOV, depth=1)
    assert status == 200
    # the same entities and facts, with the same evidence, as the view of the whole dataset
    assert resolved(page.html) == resolved(view_for(dataset, focus=ROGOV, depth=1).html)
    for text, cap in store.texts:
        assert "VALUES" in text or "GRAPH <" in text, text  # never every quad of the store
        assert cap is None  # the caller's cap, passed on to every step
    capped = _Recording(memory_store)
    with pytest.raises(QueryError):  # a step over the row cap is the query's error
        served_view(capped, base="", focus=ROGOV, depth=2, max_rows=40)
    assert all(cap == 40 for _t, cap in capped.texts)


def test_served_query_view_describes_only_the_result(memory_store, dataset):
    from graph.explore.view import served_view
    from graph.sparql.guard import check_query

    construct = "CONSTRUCT { ?d kz:includesMeasure ?m } WHERE { ?d kz:includesMeasure ?m }"
    store = _Recording(memory_store)
    status, page = served_view(store, base="", query=check_query(construct))
    assert status == 200
    assert resolved(page.html) == resolved(view_for(dataset, query=construct).html)
    assert all("VALUES" in t or "GRAPH <" in t or t == construct for t, _c in store.texts)


def test_served_select_of_labels_draws_the_entities_so_labelled(memory_store, dataset):
    from graph.explore.view import served_view
    from graph.sparql.catalogue import get_query
    from graph.sparql.guard import check_query

    text = get_query("treaty-to-measures").text  # answers with labels only
    status, page = served_view(memory_store, base="", query=check_query(text))
    assert status == 200
    assert resolved(page.html) == resolved(view_for(dataset, query=text).html)
    assert str(KZR["iccpr"]) in {n["id"] for n in page_data(page.html)[0]}
