"""A remote SPARQL 1.1 endpoint over HTTP (Oxigraph server, Virtuoso, Fuseki, ...), queried
with SPARQLWrapper; its answers are parsed and re-serialised by Oxigraph. (Virtuoso's default
graph is the union of all its graphs anyway.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from graph.prefixes import PREFIXES
from graph.sparql.results import (
    Answer,
    QuerySyntaxError,
    StoreUnavailable,
    check_cap,
    must,
)

if TYPE_CHECKING:
    from graph.sparql.guard import CheckedQuery
from graph.stores.base import Store, answer_from_oxigraph, engine_syntax_error, prefixes_used

#: An empty store whose parser checks what is sent to a remote endpoint (nothing is evaluated
#: against it: its results are never read).
_SYNTAX_CHECK = ox.Store()


class EndpointStore(Store):
    """A SPARQL 1.1 endpoint over HTTP; results parsed and re-serialised by Oxigraph."""

    kind = "endpoint"

    def __init__(self, endpoint: str, timeout: float = 60.0) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.prologue = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())

    def query(self, checked: CheckedQuery, max_rows: int | None = None) -> Answer:
        from SPARQLWrapper import JSON, POST, URLENCODED, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

        # syntax errors from our own engine, with the user's lines and columns, before the
        # text (with our prologue in front) goes anywhere
        try:
            _SYNTAX_CHECK.query(
                checked.text,
                base_iri=checked.base_iri,
                prefixes=prefixes_used(checked.text, checked.prefixes),
            )
        except SyntaxError as exc:
            raise engine_syntax_error(exc, checked.text) from None

        client = SPARQLWrapper(self.endpoint)
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
        client.setTimeout(int(self.timeout))
        client.setOnlyConneg(True)  # no format=/output= parameters: Virtuoso answers 406 to them
        # our prefixes first: a PREFIX the query declares again overrides them (SPARQL 1.1)
        base = f"BASE <{checked.base_iri}>\n" if checked.base_iri else ""
        client.setQuery(base + self.prologue + checked.text)
        graph = checked.form in ("CONSTRUCT", "DESCRIBE")
        if graph:
            client.addCustomHttpHeader("Accept", "application/n-triples, text/turtle;q=0.9")
        else:
            client.setReturnFormat(JSON)
        try:
            response = client.query().response
            body: bytes = response.read()
            media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        except QueryBadFormed as exc:
            from graph.sparql.syntax import rdflib_location

            raise rdflib_location(checked.text) or QuerySyntaxError(
                f"the endpoint rejected the query: {_first_line(exc)}"
            ) from None
        except SPARQLWrapperException as exc:
            raise StoreUnavailable(f"endpoint {self.endpoint}: {_first_line(exc)}") from None
        except OSError as exc:
            raise StoreUnavailable(f"endpoint {self.endpoint} unreachable: {exc}") from None
        try:
            if graph:
                rdf_format = ox.RdfFormat.from_media_type(media) or ox.RdfFormat.TURTLE
                if rdf_format == ox.RdfFormat.RDF_XML:  # its entities could expand a lot
                    from graph.inputs.rdfxml import check_entities

                    check_entities(body, self.endpoint)
                triples = [q.triple for q in ox.parse(body, format=rdf_format)]
                check_cap(len(triples), max_rows, "triples")
                data = must(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
                form: Any = "DESCRIBE" if checked.form == "DESCRIBE" else "CONSTRUCT"
                return Answer(form, data, ox.RdfFormat.N_TRIPLES, len(triples))
            results = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError) as exc:
            raise StoreUnavailable(
                f"endpoint {self.endpoint} sent an unreadable answer: {exc}"
            ) from None
        if isinstance(results, ox.QueryBoolean):
            return Answer("ASK", body, ox.QueryResultsFormat.JSON, 1)
        return answer_from_oxigraph(results, "SELECT", max_rows)


def _first_line(exc: BaseException) -> str:
    """The endpoint's own message when SPARQLWrapper quotes the response, else the first line."""
    text = str(exc).strip()
    if "Response:\n" in text:
        body = text.split("Response:\n", 1)[1].strip()
        if body.startswith(("b'", 'b"')):
            try:
                import ast

                body = ast.literal_eval(body).decode("utf-8", "replace")
            except (ValueError, SyntaxError):
                pass
        first = next((line.strip() for line in body.splitlines() if line.strip()), "")
        if first:
            return first[:300]
    return text.splitlines()[0] if text else type(exc).__name__
