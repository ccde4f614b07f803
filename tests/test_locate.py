"""Finding quotes in a source text, and checking the recorded evidence against the sources."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rdflib import Dataset

from graph.cli.main import main
from graph.errors import InputError
from graph.inputs.evidence import (
    find_all,
    locate,
    normalise,
    paragraph_of,
    provenance_block,
    source_for_file,
    verify_evidence,
)
from graph.inputs.locations import source_dirs
from graph.inputs.reading import load_graph
from graph.namespaces import KZR

from .conftest import DATA, FIXTURES, MINI

SAMPLE = FIXTURES / "locate" / "sample.txt"


def test_quote_spanning_line_breaks_and_tabs():
    found = locate(SAMPLE, "It agreed to publish its findings in the spring.")
    text = SAMPLE.read_text(encoding="utf-8")
    assert found.paragraph == 2
    assert text[found.start : found.end] == "It agreed\nto publish\tits findings\nin the spring."
    assert found.quote == "It agreed to publish its findings in the spring."


def test_offsets_count_code_points():
    text = SAMPLE.read_text(encoding="utf-8")
    found = locate(SAMPLE, "like Zoë")
    assert text[found.start : found.end] == "like Zoë"
    assert found.end - found.start == len("like Zoë") == 8
    assert found.paragraph == 3


def test_ambiguous_quote_is_an_error_naming_the_file():
    with pytest.raises(InputError) as info:
        locate(SAMPLE, "The committee met on a Tuesday.")
    assert str(info.value).startswith(f"{info.value.path}: quote is ambiguous: found 2 times")
    assert info.value.path.endswith("sample.txt")


def test_missing_quote_is_an_error_naming_the_file():
    with pytest.raises(InputError, match=r"sample\.txt: quote not found: 'The board met'"):
        locate(SAMPLE, "The board met")


def test_missing_file_is_an_error():
    with pytest.raises(InputError, match="no such source file"):
        locate(FIXTURES / "absent.txt", "x")


def test_paragraph_numbering():
    text = "one\n\n\ntwo a\ntwo b\n   \nthree"
    assert [paragraph_of(text, text.index(w)) for w in ("one", "two a", "two b", "three")] == [
        1,
        2,
        2,
        3,
    ]


def test_normalise():
    assert normalise("  a \n\t b  ") == "a b"


def test_provenance_block_is_valid_trig():
    found = locate(SAMPLE, "Nothing else.")
    block = provenance_block(found, "kze:test", "kzr:src", "kzr:agent", "kz:Narration")
    prefixes = (
        "@prefix kz: <https://w3id.org/kzgraph/ontology#> .\n"
        "@prefix kzr: <https://w3id.org/kzgraph/id/> .\n"
        "@prefix kze: <https://w3id.org/kzgraph/evidence/> .\n"
        "@prefix kzg: <https://w3id.org/kzgraph/graph/> .\n"
        "@prefix prov: <http://www.w3.org/ns/prov#> .\n"
    )
    ds = Dataset().parse(data=prefixes + block, format="trig")
    assert len(ds) == 8
    assert f"kz:startOffset {found.start} ;" in block


@given(
    words=st.lists(st.text(alphabet="abcdeé—", min_size=1, max_size=6), min_size=3, max_size=30),
    gaps=st.lists(st.sampled_from([" ", "  ", "\n", "\t", " \n "]), min_size=30, max_size=30),
    data=st.data(),
)
def test_any_unique_span_is_found_where_it_is(words, gaps, data):
    text = "".join(w + g for w, g in zip(words, gaps, strict=False))
    i = data.draw(st.integers(0, len(words) - 1))
    j = data.draw(st.integers(i, len(words) - 1))
    quote = " ".join(words[i : j + 1])
    spans = find_all(text, quote)
    assert spans, "a quote cut from the text is always found"
    for start, end in spans:
        assert normalise(text[start:end]) == quote


def test_source_for_file(mini_dataset):
    assert source_for_file(mini_dataset, "source.txt") == KZR["source-mini"]
    assert source_for_file(mini_dataset, "other.txt") is None


def test_verify_evidence_on_the_mini_project(mini_dataset):
    assert verify_evidence(mini_dataset, MINI) == []


def test_verify_evidence_reports_a_shifted_offset(tmp_path):
    shutil.copytree(MINI, tmp_path, dirs_exist_ok=True)
    trig = tmp_path / "data" / "mini.trig"
    trig.write_text(trig.read_text().replace("kz:startOffset 46 ;", "kz:startOffset 47 ;"))
    problems = verify_evidence(load_graph(tmp_path / "ontology", tmp_path / "data"), tmp_path)
    assert [str(p) for p in problems] == [
        "https://w3id.org/kzgraph/evidence/decree-2021: kz:quote does not match "
        "source.txt[47:105], which reads 'he Ministry of Examples issued a decree on 3 March "
        "2021.'; the quote is at [46, 105)"
    ]


def test_verify_evidence_reports_a_changed_source(tmp_path):
    shutil.copytree(MINI, tmp_path, dirs_exist_ok=True)
    (tmp_path / "source.txt").write_text("changed\n")
    problems = verify_evidence(load_graph(tmp_path / "ontology", tmp_path / "data"), tmp_path)
    assert len(problems) == 1 and "has sha256" in problems[0].message


def test_real_evidence_matches_the_source_texts(dataset):
    """The real seeds must be present (CI keeps them beside the clone): never skipped."""
    folders = source_dirs(DATA)
    assert any((f / "000_a0a385c98595ef08.txt").is_file() for f in folders), (
        f"the registered source texts are missing from {[str(f) for f in folders]}"
    )
    assert [str(p) for p in verify_evidence(dataset, folders)] == []


def _mini_copy(tmp_path):
    shutil.copytree(MINI, tmp_path, dirs_exist_ok=True)
    return tmp_path / "data" / "mini.trig"


def _problems(tmp_path):
    ds = load_graph(tmp_path / "ontology", tmp_path / "data")
    return [str(p) for p in verify_evidence(ds, tmp_path)]


def test_a_span_with_stray_whitespace_is_reported(tmp_path):
    trig = _mini_copy(tmp_path)
    # the span now ends on the blank after "2021." (offset 105): the quote still matches
    trig.write_text(trig.read_text().replace("kz:endOffset 105 .", "kz:endOffset 106 ."))
    assert (tmp_path / "source.txt").read_text()[105] == " "
    assert _problems(tmp_path) == [
        "https://w3id.org/kzgraph/evidence/decree-2021: the span source.txt[46:106] has stray"
        " whitespace at its end; the exact span is [46, 105)"
    ]


def test_a_quote_found_twice_in_its_source_is_reported(tmp_path):
    trig = _mini_copy(tmp_path)
    text = trig.read_text()
    text = text.replace(
        'kz:quote "The Ministry of Examples issued a decree on 3 March 2021." ;',
        'kz:quote "quota from 12 to 15" ;',
    )
    text = text.replace("kz:startOffset 46 ;", "kz:startOffset 120 ;")
    text = text.replace("kz:endOffset 105 .", "kz:endOffset 139 .")
    trig.write_text(text)
    source = (tmp_path / "source.txt").read_text()
    assert source[120:139] == "quota from 12 to 15"
    assert _problems(tmp_path) == [
        "https://w3id.org/kzgraph/evidence/decree-2021: kz:quote occurs 2 times in source.txt"
        " (at offsets 120, 191); quote more words to make it unique"
    ]


def test_a_claim_text_outside_its_quote_is_reported(tmp_path):
    trig = _mini_copy(tmp_path)
    claim = (
        "@prefix schema: <https://schema.org/> .\n"
        "kze:decree-2021 { kzr:claim-x a kz:Claim ;"
        ' schema:text "It raised the quota"@en . }\n'
    )
    trig.write_text(trig.read_text().replace('# "The Ministry', claim + '# "The Ministry', 1))
    assert _problems(tmp_path) == [
        "https://w3id.org/kzgraph/evidence/decree-2021: the schema:text of"
        " kzr:claim-x is not inside the graph's kz:quote: 'It raised the quota'"
    ]


def test_a_missing_source_text_fails_naming_where_it_was_looked_for(tmp_path):
    _mini_copy(tmp_path)
    (tmp_path / "source.txt").unlink()
    problems = _problems(tmp_path)
    assert problems == [
        "https://w3id.org/kzgraph/id/source-mini: the registered source text source.txt is"
        f" missing (looked in {tmp_path}); put it there, name its folder with --seeds or"
        " $KZGRAPH_SEEDS, or build --without-source-texts to leave its quotes unchecked"
    ]


def test_validate_reports_a_missing_source_text_and_exits_1(tmp_path, capsys, monkeypatch):
    _mini_copy(tmp_path)
    (tmp_path / "source.txt").unlink()
    monkeypatch.delenv("KZGRAPH_SEEDS", raising=False)
    code = main(
        [
            "validate",
            "--ontology",
            str(tmp_path / "ontology"),
            "--data",
            str(tmp_path / "data"),
            "--seeds",
            str(tmp_path / "seeds"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED (0 SHACL result(s), 0 quality-check row(s), 1 evidence problem(s))" in out
    assert "kzr:source-mini: the registered source text source.txt is missing" in out


def test_locate_finds_a_registered_source_by_its_iri(capsys, monkeypatch):
    monkeypatch.chdir(MINI)
    assert main(["locate", "kzr:source-mini", "Its last sentence is unique"]) == 0
    out = capsys.readouterr().out
    assert f"file:       {MINI / 'source.txt'}" in out
    assert "prov:wasDerivedFrom kzr:source-mini ;" in out
    assert main(["locate", "kzr:no-such-source", "x"]) == 2
    assert "is not a registered source" in capsys.readouterr().err
