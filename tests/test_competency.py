"""Competency questions: every catalogue query returns exactly its expected answer.

The expected answers sit in ``tests/competency/<query>.tsv``: a header of variable names, then
one row per solution, IRIs written as prefixed names (the canonical prefix map) and literals as
their lexical form. They were checked by reading the two source articles, so a change in the
data or the ontology that alters an answer fails here and must be reviewed.

Rows are compared as multisets (engines order plain and language-tagged strings differently);
the timeline is also checked for its chronological order.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rdflib import Dataset, URIRef

from graph import list_queries, query
from graph.namespaces import PREFIXES

EXPECTED = Path(__file__).parent / "competency"
QUERIES = {q.name: q for q in list_queries()}
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def cell(term: object) -> str:
    """The canonical text of one result cell, as written in the expected files.

    GROUP_CONCAT has no defined order, so a "; "-separated list is compared sorted.
    """
    if term is None:
        return ""
    if isinstance(term, URIRef):
        for prefix, ns in _BY_LENGTH:
            if str(term).startswith(ns):
                return f"{prefix}:{str(term)[len(ns) :]}"
        return f"<{term}>"
    text = str(term).replace("\t", " ").replace("\n", " ")
    return "; ".join(sorted(text.split("; "))) if "; " in text else text


def read_expected(name: str) -> tuple[list[str], list[tuple[str, ...]]]:
    lines = (EXPECTED / f"{name}.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    rows = [tuple(cell(c) if c else "" for c in line.split("\t")) for line in lines[1:]]
    return header, rows


def answer(dataset: Dataset, name: str) -> tuple[list[str], list[tuple[str, ...]]]:
    result = query(dataset, QUERIES[name].text)
    header = [str(v) for v in result.vars or []]
    return header, [tuple(cell(x) for x in row) for row in result]


def test_every_catalogue_query_has_an_expected_answer() -> None:
    assert len(QUERIES) >= 12
    expected = {p.stem for p in EXPECTED.glob("*.tsv")}
    # Federated queries need a remote endpoint; they are tested with a local one elsewhere.
    local = {name for name, q in QUERIES.items() if "SERVICE" not in q.text.upper()}
    assert local <= expected, f"no expected answer for {sorted(local - expected)}"


@pytest.mark.parametrize("name", sorted(p.stem for p in EXPECTED.glob("*.tsv")))
def test_catalogue_query_answers(dataset: Dataset, name: str) -> None:
    want_header, want_rows = read_expected(name)
    got_header, got_rows = answer(dataset, name)
    assert got_header == want_header
    missing = Counter(want_rows) - Counter(got_rows)
    extra = Counter(got_rows) - Counter(want_rows)
    assert not missing and not extra, f"missing: {sorted(missing)}\nunexpected: {sorted(extra)}"


def test_timeline_is_chronological(dataset: Dataset) -> None:
    _header, rows = answer(dataset, "timeline")
    dates = [row[0] for row in rows]
    assert dates == sorted(dates)
    assert dates[0].startswith("2021") and dates[-1] == "2022-04-13"


# -- The questions a researcher asks, stated directly --


def test_rogov_chairs_the_commission_and_was_justice_minister(dataset: Dataset) -> None:
    _h, rows = answer(dataset, "commission-chair-posts")
    posts = {(r[3], r[4], r[5]) for r in rows}
    assert ("Ministry of Justice of Kazakhstan", "Minister", "former") in posts
    assert ("European Commission for Democracy through Law", "Member", "current") in posts
    assert {r[1] for r in rows} == {"Igor Rogov"}


def test_party_threshold_fell_from_20000_to_5000(dataset: Dataset) -> None:
    _h, rows = answer(dataset, "number-changes")
    assert [(r[3], r[4], r[5]) for r in rows] == [("20000", "5000", "members")]


def test_amendment_signed_by_tokayev_is_backed_by_both_articles(dataset: Dataset) -> None:
    _h, rows = answer(dataset, "triple-provenance")
    # the narration's claimant is its unnamed author, not EU Reporter (its disclaimer, ¶11)
    assert {r[2] for r in rows} == {
        "Igor Rogov",
        "Unnamed author of “Kazakhstan’s New Human Rights Amendment”",
    }
    assert {r[4] for r in rows} == {"5", "7"}


def test_anticipated_ilo_accession_is_not_recorded_as_done(dataset: Dataset) -> None:
    _h, rows = answer(dataset, "treaties")
    c190 = [r for r in rows if r[0] == "kzr:ilo-c190"]
    assert c190 and c190[0][4] == "accession anticipated"
    ask = query(
        dataset,
        "ASK { kzr:kazakhstan kz:partyTo kzr:ilo-c190 }",
    )
    assert ask.askAnswer is False
