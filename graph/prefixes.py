"""The one canonical prefix map, in plain Python (no rdflib), for the fast query path.

Every serialisation, the query surface and the docs use :data:`PREFIXES`;
:mod:`graph.namespaces` re-exports it beside the rdflib namespaces.
"""

from __future__ import annotations

BASE = "https://w3id.org/kzgraph/"

#: The one canonical prefix map: every serialisation, the query surface and the docs use it.
PREFIXES: dict[str, str] = {
    "kz": BASE + "ontology#",
    "kzr": BASE + "id/",
    "kzt": BASE + "id/topic/",
    "kze": BASE + "evidence/",
    "kzg": BASE + "graph/",
    "eli": "http://data.europa.eu/eli/ontology#",
    "org": "http://www.w3.org/ns/org#",
    "schema": "https://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sh": "http://www.w3.org/ns/shacl#",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "adms": "http://www.w3.org/ns/adms#",
    "oa": "http://www.w3.org/ns/oa#",
    "time": "http://www.w3.org/2006/time#",
    "vann": "http://purl.org/vocab/vann/",
    "wd": "http://www.wikidata.org/entity/",
    "wdt": "http://www.wikidata.org/prop/direct/",
    "dbr": "http://dbpedia.org/resource/",
}
