"""Terms written into SPARQL text: checked, never pasted."""

from __future__ import annotations

from rdflib import URIRef

from graph.errors import InputError


def iri_term(iri: str) -> str:
    """``iri`` as a SPARQL IRI term; refuses anything that is not a well-formed IRI."""
    try:
        return URIRef(iri).n3()
    except Exception:
        raise InputError(f"not an IRI: {iri!r}") from None
