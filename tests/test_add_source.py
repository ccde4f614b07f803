"""`kzgraph add-source` and the whole "add an article" workflow of data/README.md, end to end."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from rdflib import Literal, URIRef

from graph.cli.main import main
from graph.inputs.reading import SOURCES_GRAPH, load_graph
from graph.namespaces import KZ, KZR

from .conftest import FIXTURES, MINI, snapshot

ARTICLE = FIXTURES / "articles" / "example-news.txt"
SCHEMA = "https://schema.org/"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the mini project with the fixture article saved in its sources/ folder."""
    monkeypatch.delenv("KZGRAPH_HOME", raising=False)
    monkeypatch.delenv("KZGRAPH_SEEDS", raising=False)
    root = tmp_path / "project"
    shutil.copytree(MINI, root)
    (root / "sources").mkdir()
    shutil.copy(ARTICLE, root / "sources" / "example-news.txt")
    monkeypatch.chdir(root)
    return root


def add(*extra: str) -> int:
    return main(
        [
            "add-source",
            "sources/example-news.txt",
            "--title",
            "Parliament of Examplia Adopts a Transparency Law",
            "--url",
            "https://news.example.org/2022/05/03/transparency-law/",
            "--outlet",
            "Example News",
            "--published",
            "2022-05-03",
            *extra,
        ]
    )


def test_add_an_article_end_to_end(project, capsys, tmp_path):
    # 1-2: register the saved text; the new IRI is printed on stdout
    assert add() == 0
    out, err = capsys.readouterr()
    assert out == "kzr:article-parliament-of-examplia-adopts-a-transparency-law\n"
    assert "registered sources/example-news.txt" in err
    ds = load_graph()
    article = KZR["article-parliament-of-examplia-adopts-a-transparency-law"]
    sources = ds.graph(SOURCES_GRAPH)
    digest = hashlib.sha256(ARTICLE.read_bytes()).hexdigest()
    assert sources.value(article, KZ.sha256) == Literal(digest)
    assert sources.value(article, KZ.localFile) == Literal("sources/example-news.txt")
    assert sources.value(article, URIRef(SCHEMA + "url")) == URIRef(
        "https://news.example.org/2022/05/03/transparency-law/"
    )
    assert sources.value(article, URIRef(SCHEMA + "datePublished")) == Literal(
        "2022-05-03", datatype=URIRef("http://www.w3.org/2001/XMLSchema#date")
    )
    outlet = sources.value(article, URIRef(SCHEMA + "publisher"))
    assert outlet == KZR["example-news"]

    # 3: locate a statement by the source's IRI, paste the block and the facts it supports
    quote = "On May 2, the Parliament of Examplia adopted a law on open registers"
    code = main(
        [
            "locate",
            "kzr:article-parliament-of-examplia-adopts-a-transparency-law",
            quote,
            *("--assertion", "kze:example-law-adopted", "--agent", "kzr:example-news"),
        ]
    )
    assert code == 0
    located = capsys.readouterr().out
    assert "paragraph:  3" in located
    assert "prov:wasDerivedFrom kzr:article-parliament-of-examplia-adopts-a-transparency-law ;" in (
        located
    )
    block = located.split("\n\n", 1)[1].replace("    kz:assertionMode kz:CHANGE-ME-mode ;\n", "")
    facts = (
        "kze:example-law-adopted {\n"
        "    kzr:open-registers-law a kz:Decree ;\n"
        '        rdfs:label "Law on open registers"@en .\n'
        "}\n"
    )
    trig = project / "data" / "mini.trig"
    trig.write_text(trig.read_text() + "\n" + block + facts)

    # 4: validate (the evidence checks find the text by its kz:localFile) and build
    assert main(["validate"]) == 0
    report = capsys.readouterr().out
    assert "Evidence checks (0 problem(s))" in report
    assert main(["build", "-o", str(tmp_path / "dist")]) == 0
    capsys.readouterr()
    assert "open-registers-law" in (tmp_path / "dist" / "kzgraph.nq").read_text()

    # an edited source text is caught by its SHA-256
    text = project / "sources" / "example-news.txt"
    text.write_text(text.read_text().replace("May 2", "May 3"))
    assert main(["validate"]) == 1
    assert "has sha256" in capsys.readouterr().out


def test_the_same_text_is_not_registered_twice(project, capsys):
    assert add() == 0
    before = snapshot(project / "data")
    capsys.readouterr()
    assert add("--id", "another-name") == 2
    err = capsys.readouterr().err
    assert "this text is already registered as" in err
    assert "kzr:article-parliament-of-examplia-adopts-a-transparency-law" in err
    assert snapshot(project / "data") == before  # nothing written


def test_a_used_iri_an_outside_file_and_a_bad_date_are_refused(project, capsys, tmp_path):
    before = snapshot(project / "data")
    assert add("--id", "decree-2021") == 2
    assert "kzr:decree-2021 is already used" in capsys.readouterr().err
    assert add("--published", "3 May 2022") == 2
    assert "--published must be a date" in capsys.readouterr().err
    outside = tmp_path / "outside.txt"
    shutil.copy(ARTICLE, outside)
    code = main(
        [
            *("add-source", str(outside), "--title", "T", "--url", "https://example.org/t"),
            *("--outlet", "Example News", "--published", "2022"),
        ]
    )
    assert code == 2
    assert "must lie in a source folder" in capsys.readouterr().err
    assert snapshot(project / "data") == before


def test_an_existing_outlet_is_reused_by_name(project, capsys):
    assert add("--id", "first") == 0
    other = project / "sources" / "second.txt"
    other.write_text("A different text.\n")
    code = main(
        [
            *("add-source", "sources/second.txt", "--title", "Second", "--url", "https://e.org/2"),
            *("--outlet", "example news", "--published", "2022-06"),
        ]
    )
    assert code == 0
    capsys.readouterr()
    text = (project / "data" / "sources.trig").read_text()
    assert text.count("kzr:example-news a kz:NewsOutlet") == 1
    assert '"2022-06"^^xsd:gYearMonth' in text
