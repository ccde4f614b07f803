"""Paths explained, centrality and the timeline: the library and the three commands."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import networkx as nx
import pytest

from graph.cli.main import main
from graph.errors import InputError
from graph.explore.analysis import (
    centrality,
    format_paths,
    format_timeline,
    plot_timeline,
    shortest_paths,
    timeline,
)
from graph.explore.network import to_networkx
from graph.explore.resolve import AmbiguousEntityError, UnknownEntityError
from graph.namespaces import KZ, KZR

from .conftest import DATA, ONTOLOGY
from .graphs import small_dataset

ROGOV, HELP = str(KZR["igor-rogov"]), str(KZR["help-project"])


@pytest.fixture(scope="module")
def diamond():
    """A -cooperates-> B <-attached- C, and A <-responsible- D, D -signedBy-> C and back;
    E stands alone."""
    return to_networkx(
        small_dataset(
            [
                ("a", KZ.cooperatesWith, "b"),
                ("c", KZ.attachedTo, "b"),
                ("d", KZ.responsibleBody, "a"),
                ("d", KZ.signedBy, "c"),
                ("c", KZ.signatory, "d"),
            ],
            kinds={"e": KZ.StateBody},
        )
    )


# -- Paths --


def test_every_shortest_path_in_either_direction(diamond):
    paths = shortest_paths(diamond, "A", "C")
    assert [p.sentence(diamond) for p in paths] == [
        "A —cooperates with→ B ←attached to— C",
        "A ←responsible body— D —signed by→ C",
    ]
    second = paths[1].steps[1]
    assert [link.label for link in second.links] == ["signed by", "signatory"]  # both ways
    assert second.text(diamond, second.links[1]) == "D ←signatory— C"


def test_each_step_cites_the_passage_of_its_own_statement(diamond):
    (via_b, _via_d) = shortest_paths(diamond, "A", "C")
    quotes = [[ev.quote for ev in step.evidence()] for step in via_b.steps]
    assert quotes == [["A cooperatesWith B."], ["C attachedTo B."]]
    text = format_paths(diamond, [via_b])
    assert "A → C: 1 shortest path of 2 steps" in text
    cite = "Generated outlet in “Generated source” ¶2 (narration): “A cooperatesWith B.”"
    assert f"source: {cite}" in text


def test_no_path_and_max_length(diamond):
    assert shortest_paths(diamond, "A", "E") == []
    assert shortest_paths(diamond, "A", "C", max_length=1) == []
    assert len(shortest_paths(diamond, "A", "C", max_length=2)) == 2
    assert len(shortest_paths(diamond, "A", "C", limit=1)) == 1


def test_names_are_resolved_with_clear_errors(network):
    with pytest.raises(AmbiguousEntityError) as ambiguous:
        shortest_paths(network, "Rogov", "HELP")
    assert ROGOV in ambiguous.value.candidates and "Igor Rogov (kzr:igor-rogov)" in str(
        ambiguous.value
    )
    with pytest.raises(UnknownEntityError, match="did you mean: Igor Rogov"):
        shortest_paths(network, "Igor Rogof", "HELP")
    with pytest.raises(InputError, match="both ends"):
        shortest_paths(network, "Igor Rogov", "kzr:igor-rogov")


def test_rogov_to_help_on_the_real_graph(network):
    paths = shortest_paths(network, "Igor Rogov", "HELP")
    undirected = nx.Graph(network.to_undirected(as_view=True))
    expected = {tuple(p) for p in nx.all_shortest_paths(undirected, ROGOV, HELP)}
    assert {p.nodes for p in paths} == expected
    for path in paths:
        assert path.sentence(network).startswith("Igor Rogov ")
        assert path.sentence(network).endswith(network.nodes[HELP]["label"])
        for step in path.steps:
            assert step.links and all(
                network.has_edge(link.subject, link.object, link.predicate) for link in step.links
            )
            assert all(ev.quote for ev in step.evidence())  # every step is sourced


# -- Centrality --


def test_centrality_measures(network):
    rows = centrality(network)
    assert len(rows) == network.number_of_nodes()
    undirected = nx.Graph(network.to_undirected(as_view=True))
    assert all(r.degree == undirected.degree(r.node) for r in rows)
    assert [r.pagerank for r in rows] == sorted((r.pagerank for r in rows), reverse=True)
    assert sum(r.pagerank for r in rows) == pytest.approx(1.0)
    assert all(0.0 <= r.betweenness <= 1.0 for r in rows)
    by_degree = centrality(network, top=5, by="degree")
    assert len(by_degree) == 5
    assert [r.degree for r in by_degree] == sorted((r.degree for r in by_degree), reverse=True)
    assert by_degree[0].degree == max(dict(undirected.degree()).values())
    with pytest.raises(InputError, match="unknown measure"):
        centrality(network, by="fame")


def test_the_hub_of_a_star_is_central_by_every_measure():
    star = to_networkx(small_dataset([("hub", KZ.cooperatesWith, f"leaf{i}") for i in range(5)]))
    for measure in ("pagerank", "betweenness", "degree"):
        assert centrality(star, top=1, by=measure)[0].label == "HUB"


def test_literal_nodes_are_not_ranked(dataset):
    with_literals = to_networkx(dataset, literals=True)
    ranked = {r.node for r in centrality(with_literals)}
    assert ranked == {n for n, d in with_literals.nodes(data=True) if not d["literal"]}


# -- Timeline --


def test_timeline_in_order_with_all_three_precisions_and_sources(network):
    entries = timeline(network)
    assert [e.start for e in entries] == sorted(e.start for e in entries)
    assert {e.precision for e in entries} == {"day", "month", "year"}
    by_node = {(e.node, e.date): e for e in entries}
    amendment = by_node[(str(KZR["decree-597-amendment"]), "2022-04-13")]
    assert amendment.precision == "day"
    assert amendment.what.startswith("Amendment to Decree 597 (Amending act) signed")
    assert "signed by: Kassym-Jomart Tokayev" in amendment.what
    assert [ev.mode for ev in amendment.sources] == ["editorial identification"]
    assert by_node[(str(KZR["decree-597"]), "2021-06")].precision == "month"
    assert by_node[(str(KZR["signing-of-decree-597"]), "2021")].what.startswith(
        "Signing of Decree 597 (Signing) took place"
    )
    assert all(e.sources for e in entries)
    text = format_timeline(entries)
    assert text.splitlines()[0].startswith("2021  ")
    assert "source: " in text


def test_timeline_of_generated_dates_in_all_three_types(tmp_path):
    from .graphs import generated_dataset

    entries = timeline(to_networkx(generated_dataset(60)))
    assert len(entries) == 24  # the decrees and the events: two kinds in five
    assert {e.precision for e in entries} == {"day", "month", "year"}
    days = [(e.start, e.precision) for e in entries]
    assert days == sorted(days, key=lambda d: (d[0], ["year", "month", "day"].index(d[1])))


def test_plot_png_and_svg(network, tmp_path):
    entries = timeline(network)
    png, svg = tmp_path / "t.png", tmp_path / "t.svg"
    plot_timeline(entries, png)
    plot_timeline(entries, svg)
    assert png.read_bytes().startswith(b"\x89PNG")
    assert ET.parse(svg).getroot().tag.endswith("svg")
    with pytest.raises(InputError, match=r"\.png or \.svg"):
        plot_timeline(entries, tmp_path / "t.pdf")
    with pytest.raises(InputError, match="nothing dated"):
        plot_timeline([], png)


# -- The commands --


def cli(*argv: str) -> int:
    name, *rest = argv
    return main([name, "--ontology", str(ONTOLOGY), "--data", str(DATA), *rest])


def test_cli_paths(capsys):
    assert cli("paths", "Igor Rogov", "HELP") == 0
    out = capsys.readouterr().out
    assert "shortest paths of 3 steps" in out and "—cooperates with→" in out and "source: " in out
    assert cli("paths", "Igor Rogov", "HELP", "--max-length", "2") == 1
    assert (
        "No path of at most 2 steps between Igor Rogov (kzr:igor-rogov)" in capsys.readouterr().out
    )
    assert cli("paths", "Rogov", "HELP") == 2
    assert "matches 5 entities" in capsys.readouterr().err
    assert cli("paths", "kzr:kazakhstan", "kzr:iccpr", "--format", "json") == 0
    (path,) = json.loads(capsys.readouterr().out)
    assert (
        path["sentence"]
        == "Kazakhstan —party to→ International Covenant on Civil and Political Rights"
    )
    assert path["steps"][0]["statements"][0]["sources"][0]["quote"]


def test_cli_paths_says_when_the_limit_cut_paths_off(capsys):
    assert cli("paths", "igor-rogov", "kazakhstan", "--no-sources") == 0
    every = capsys.readouterr().out
    total = int(every.split(": ", 1)[1].split()[0])
    assert total > 2 and f"{total} shortest paths of 2 steps" in every
    assert cli("paths", "igor-rogov", "kazakhstan", "--no-sources", "--limit", "2") == 0
    captured = capsys.readouterr()
    assert "2 of more than 2 shortest paths of 2 steps" in captured.out
    assert captured.out.count("\n1. ") == 1 and "\n3. " not in captured.out
    assert "showing 2 of more than 2 shortest paths (--limit)" in captured.err
    assert cli("paths", "igor-rogov", "kazakhstan", "--no-sources", "--limit", str(total)) == 0
    captured = capsys.readouterr()
    assert f"{total} shortest paths of 2 steps" in captured.out
    assert captured.err.startswith("kzgraph: reading ") and captured.err.count("\n") == 1


def test_cli_central(capsys, tmp_path):
    assert cli("central", "--top", "3") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["#", "entity", "kind", "degree", "betweenness", "pagerank"]
    assert len(lines) == 2 + 3
    out = tmp_path / "central.csv"
    assert cli("central", "--by", "degree", "--format", "csv", "-o", str(out)) == 0
    header, *rows = out.read_text(encoding="utf-8").splitlines()
    assert header == "iri,label,kind,degree,betweenness,pagerank" and len(rows) == 15
    assert cli("central", "--top", "-1") == 2


def test_cli_timeline(capsys, tmp_path):
    plot = tmp_path / "timeline.svg"
    assert cli("timeline", "--plot", str(plot), "--format", "json") == 0
    captured = capsys.readouterr()
    entries = json.loads(captured.out)
    assert entries[0]["date"] == "2021" and all(e["sources"] for e in entries)
    assert plot.exists() and "drew the timeline" in captured.err
    assert cli("timeline", "--no-sources") == 0
    assert "source:" not in capsys.readouterr().out
    assert cli("timeline", "--plot", str(tmp_path / "t.gif")) == 2
