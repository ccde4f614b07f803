"""Every catalogue query and quality check answers on Oxigraph exactly as on Apache Jena.

The expected answers in ``tests/competency/`` were read off the articles; this compares the
engine itself with an independent SPARQL 1.1 implementation (Jena ARQ, from Debian's
``libapache-jena-java``, run by ``../shared/tools/jena.sh``) on the same dataset: the built graph
with its default graph holding the merge of the named graphs, as every kzgraph store has it.
Rows are compared as multisets of full RDF terms (language tags and datatypes included); only
the order of GROUP_CONCAT's parts, which SPARQL leaves open, is taken out.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.inputs.cache import cached_nquads
from graph.sparql.catalogue import list_queries, read_query
from graph.stores.memory import MemoryStore

REPO = Path(__file__).resolve().parent.parent
JENA = REPO.parent / "shared" / "tools" / "jena.sh"
QUERIES = [q for q in list_queries() if "SERVICE" not in q.text.upper()] + [
    read_query(p) for p in sorted((REPO / "ontology" / "checks").glob("*-violation.rq"))
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not JENA.is_file()
        or shutil.which("java") is None
        or not Path("/usr/share/java/jena-arq.jar").is_file(),
        reason="Apache Jena (libapache-jena-java and ../shared/tools/jena.sh) is not installed",
    ),
]


@pytest.fixture(scope="module")
def store() -> MemoryStore:
    return MemoryStore(nquads=cached_nquads(REPO / "ontology", REPO / "data"))


@pytest.fixture(scope="module")
def dataset_file(store: MemoryStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store's quads, the default graph's merged copy included, as N-Quads for Jena."""
    path = tmp_path_factory.mktemp("jena") / "kzgraph.nq"
    quads = store.store.quads_for_pattern(None, None, None, None)
    path.write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"")
    return path


def _cell(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal) and "; " in term.value:
        parts = "; ".join(sorted(term.value.split("; ")))
        term = (
            ox.Literal(parts, language=term.language)
            if term.language
            else ox.Literal(parts, datatype=term.datatype)
        )
    return str(term)


@pytest.mark.parametrize("entry", QUERIES, ids=lambda q: q.name)
def test_oxigraph_and_jena_agree(entry, store: MemoryStore, dataset_file: Path) -> None:
    names, rows = store.run(entry.text).solutions()
    ours = Counter(tuple(_cell(t) for t in row) for row in rows)
    jena = subprocess.run(
        [
            str(JENA),
            "arq.sparql",
            "--data",
            str(dataset_file),
            "--query",
            str(entry.path),
            "--results",
            "tsv",
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    results = ox.parse_query_results(jena.stdout, format=ox.QueryResultsFormat.TSV)
    assert isinstance(results, ox.QuerySolutions)
    jena_names = [v.value for v in results.variables]
    theirs = Counter(tuple(_cell(s[n]) for n in jena_names) for s in results)
    assert jena_names == names
    assert ours == theirs, (
        f"only Oxigraph: {sorted(ours - theirs)[:5]}\nonly Jena: {sorted(theirs - ours)[:5]}"
    )
