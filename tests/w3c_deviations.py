"""Where the engine's answers differ from the W3C SPARQL 1.1 tests: the one list of them.

Each entry names the approved test, says in one line what the engine does instead, and points
at the upstream report (or says that none exists). The conformance tests mark these
``xfail(strict=True)``, so an engine that fixes one makes the suite fail until the entry goes;
the list is printed at the end of every pytest run and in docs/querying.md ("Conformance").
Tests of the suites at w3c/rdf-tests commit ad541a5f0479f0798608c4801369d97b8e08b36f.
"""

from __future__ import annotations

from dataclasses import dataclass

W3C = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"


@dataclass(frozen=True)
class Deviation:
    test: str  # the test's IRI
    engine: str  # "oxigraph" (every door), or "api" (the Python door on an rdflib Dataset)
    reason: str
    upstream: str


DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        W3C + "functions/manifest#bnode01",
        "oxigraph",
        "BNODE(str) returns the same blank node for the same string in different solutions;"
        " SPARQL 1.1 (17.4.2.9) scopes it to one solution",
        "no issue found in oxigraph/oxigraph; earlier versions of Oxigraph's own W3C runner"
        " (testsuite/tests/sparql.rs) skipped this test as 'BNODE() scope is currently wrong',"
        " later ones no longer list it (a release after pyoxigraph 0.5.13 may pass it)",
    ),
)

#: The public Python door (``graph.query`` on an rdflib Dataset): Oxigraph evaluates, but the
#: test's data was read by rdflib's Turtle parser first, which rewrites some lexical forms.
API_DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        W3C + "functions/manifest#timezone",
        "api",
        'rdflib\'s parser normalises the lexical form of xsd:dateTime literals ("...Z" is read'
        ' as "...+00:00"), so TIMEZONE() sees a different literal than the data holds',
        "rdflib's literal normalisation (rdflib.NORMALIZE_LITERALS), by design; not an"
        " Oxigraph deviation: the server path and Oxigraph directly pass",
    ),
)


def deviation(test: str, engine: str) -> Deviation | None:
    """The known deviation of ``engine`` on the test with IRI ``test``, if any."""
    listed = DEVIATIONS + API_DEVIATIONS if engine == "api" else DEVIATIONS
    return next((d for d in listed if d.test == test), None)
