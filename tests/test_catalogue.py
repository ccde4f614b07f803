"""The query catalogue: headers parsed, every shipped query documented and valid SPARQL."""

from __future__ import annotations

import pytest
from rdflib.plugins.sparql import prepareQuery

from graph.errors import InputError
from graph.inputs.locations import queries_dir
from graph.namespaces import PREFIXES
from graph.sparql.catalogue import get_query, list_queries, parse_header

QUERIES = sorted(queries_dir().glob("*.rq"))


def test_header_with_multiline_description():
    text = (
        "# title: Decrees\n# description: Every decree,\n#   newest first.\n"
        "# other note\nPREFIX x: <urn:x#>\nSELECT * {}\n"
    )
    assert parse_header(text) == {
        "title": "Decrees",
        "description": "Every decree, newest first. other note",
    }


def test_header_stops_at_first_non_comment_line():
    assert parse_header("SELECT * {}\n# title: late\n") == {}


def test_list_and_get(tmp_path):
    (tmp_path / "b.rq").write_text("# title: B\n# description: bee\nSELECT * {}\n")
    (tmp_path / "a.rq").write_text("# title: A\n# description: ay\nSELECT * {}\n")
    found = list_queries(tmp_path)
    assert [q.name for q in found] == ["a", "b"]
    assert found[0].title == "A" and found[0].description == "ay"
    assert get_query("b.rq", tmp_path).path == tmp_path / "b.rq"
    with pytest.raises(InputError, match="no query named 'c' in the catalogue"):
        get_query("c", tmp_path)


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_every_catalogue_query_is_documented_and_parses(path):
    query = next(q for q in list_queries() if q.path == path)
    assert query.title, f"{path.name}: no '# title:' header"
    assert query.description, f"{path.name}: no '# description:' header"
    prepareQuery(query.text, initNs=PREFIXES)
