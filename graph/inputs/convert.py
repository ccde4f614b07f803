"""rdflib terms as Oxigraph terms: the one conversion the writers and the stores share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

if TYPE_CHECKING:
    pass


class RdflibToOxigraph:
    """rdflib terms to Oxigraph terms, remembering the IRIs already made."""

    def __init__(self) -> None:
        from rdflib import BNode, Literal, URIRef

        self.kinds = (URIRef, Literal, BNode)
        self.iris: dict[str, ox.NamedNode] = {}

    def iri(self, value: str) -> ox.NamedNode:
        node = self.iris.get(value)
        if node is None:
            node = self.iris[value] = ox.NamedNode(value)
        return node

    def __call__(self, term: Any) -> Any:
        iri, literal, bnode = self.kinds
        if isinstance(term, iri):
            return self.iri(str(term))
        if isinstance(term, literal):
            if term.language:
                return ox.Literal(str(term), language=term.language)
            if term.datatype is not None:
                return ox.Literal(str(term), datatype=self.iri(str(term.datatype)))
            return ox.Literal(str(term))
        if isinstance(term, bnode):
            return ox.BlankNode(str(term))
        raise TypeError(f"cannot store {term!r} in Oxigraph")
