"""Counts by class, predicate and kind of named graph."""

from __future__ import annotations

import json

from graph.namespaces import KZE, KZG
from graph.pipeline.statistics import format_markdown, format_table, graph_kind, stats


def test_graph_kinds():
    assert graph_kind(KZE["x"]) == "evidence"
    assert graph_kind(KZG["provenance"]) == "provenance"
    assert graph_kind(KZG["inferred"]) == "inferred"
    assert graph_kind(KZG["alignments"]) == "alignments"
    assert graph_kind(KZG["enrichment"]) == "enrichment"
    assert graph_kind(KZG["something-new"]) == "other"


def test_mini_counts(mini_dataset):
    summary = stats(mini_dataset)
    assert summary["totals"]["evidence_graphs"] == 1
    assert summary["totals"]["named_graphs"] == 4
    assert summary["totals"]["entities"] == 4
    assert summary["graphs"]["evidence"] == {"graphs": 1, "quads": 8}
    assert summary["graphs"]["provenance"] == {"graphs": 1, "quads": 9}
    assert summary["classes"]["kz:Decree"] == 1
    assert summary["predicates"]["kz:quote"] == 1
    assert sum(v["quads"] for v in summary["graphs"].values()) == summary["totals"]["quads"]
    json.dumps(summary)


def test_real_counts_are_consistent(dataset):
    summary = stats(dataset)
    assert summary["totals"]["evidence_graphs"] == summary["classes"]["kz:Assertion"]
    assert list(summary["predicates"].values()) == sorted(
        summary["predicates"].values(), reverse=True
    )


def test_renderings(mini_dataset):
    summary = stats(mini_dataset)
    table = format_table(summary)
    assert "Named graphs by kind" in table and "kz:Decree" in table
    markdown = format_markdown(summary)
    assert "| class | resources |" in markdown and "| kz:Decree | 1 |" in markdown
