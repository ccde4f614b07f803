"""The datasets kzgraph links to, the files and graphs the links live in, and the link terms."""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import OWL, RDFS, SKOS

from graph import __version__
from graph.namespaces import KZG, KZR, WD

FOAF = Namespace("http://xmlns.com/foaf/0.1/")
ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
DCT = Namespace("http://purl.org/dc/terms/")
VOID = Namespace("http://rdfs.org/ns/void#")
ADMS = Namespace("http://www.w3.org/ns/adms#")

#: Wikidata's RDF model (https://www.mediawiki.org/wiki/Wikibase/Indexing/RDF_Dump_Format).
WIKIDATA_PREFIXES: dict[str, str] = {
    "wd": str(WD),
    "wdt": "http://www.wikidata.org/prop/direct/",
    "p": "http://www.wikidata.org/prop/",
    "ps": "http://www.wikidata.org/prop/statement/",
    "psv": "http://www.wikidata.org/prop/statement/value/",
    "pq": "http://www.wikidata.org/prop/qualifier/",
    "pqv": "http://www.wikidata.org/prop/qualifier/value/",
    "wikibase": "http://wikiba.se/ontology#",
    "rdfs": str(RDFS),
    "skos": str(SKOS),
    # Wikidata writes descriptions with http://schema.org/, not the https form we use.
    "wschema": "http://schema.org/",
}
WIKIBASE = Namespace(WIKIDATA_PREFIXES["wikibase"])

DEFAULT_ENDPOINT = "https://query.wikidata.org/sparql"
ALIGNMENTS_GRAPH = KZG["alignments"]
ENRICHMENT_GRAPH = KZG["enrichment"]
ALIGNMENTS_FILE = "alignments.ttl"
ENRICHMENT_FILE = "enrichment.ttl"

WIKIDATA_DATASET = KZR["dataset-wikidata"]
DBPEDIA_DATASET = KZR["dataset-dbpedia"]
#: Target dataset slug (as used on the command line) -> its description in kzg:alignments.
TARGET_DATASETS: dict[str, URIRef] = {"wikidata": WIKIDATA_DATASET, "dbpedia": DBPEDIA_DATASET}
TARGET_NAMES = {"wikidata": "Wikidata", "dbpedia": "DBpedia"}

RETRY_STATUSES = (429, 500, 502, 503, 504)
LINK_PROPERTIES = (OWL.sameAs, SKOS.exactMatch, SKOS.closeMatch, RDFS.seeAlso)
EXACT_LINKS = (OWL.sameAs, SKOS.exactMatch)

DBPEDIA_RESOURCE = "http://dbpedia.org/resource/"


def compact_target(iri: URIRef) -> str:
    """``wd:Q232`` or ``dbr:Kazakhstan`` for a Wikidata item or a DBpedia resource, else
    ``<IRI>``: how reports and link lists name what an entity is linked to."""
    for prefix, ns in (("wd", str(WD)), ("dbr", DBPEDIA_RESOURCE)):
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return f"<{iri}>"


USER_AGENT = (
    f"kzgraph/{__version__} (+https://w3id.org/kzgraph; linked-data reconciliation and "
    "enrichment of a human-rights knowledge graph)"
)
