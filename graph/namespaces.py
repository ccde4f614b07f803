"""The project's vocabulary and the one canonical prefix map.

``KZ`` is a closed :class:`~rdflib.namespace.DefinedNamespace` (``_fail = True``): a misspelt
term raises ``AttributeError`` at import of the code that uses it instead of silently minting
a new IRI. A test keeps its member list equal to the terms declared in ``ontology/kzgraph.ttl``.
"""

from __future__ import annotations

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DefinedNamespace

from graph.prefixes import BASE as BASE
from graph.prefixes import PREFIXES as _PREFIXES


class KZ(DefinedNamespace):
    """Terms minted by kzgraph (only what no established vocabulary has)."""

    _NS = Namespace(BASE + "ontology#")
    _fail = True

    # Classes, concept schemes and their concepts
    ActionPlan: URIRef
    Address: URIRef
    Alignment: URIRef
    AlignmentStatus: URIRef
    AlignmentStatusScheme: URIRef
    AmendingAct: URIRef
    Announced: URIRef
    Anticipated: URIRef
    Approved: URIRef
    ArmedConflict: URIRef
    Assertion: URIRef
    AssertionMode: URIRef
    AssertionModeScheme: URIRef
    Assessment: URIRef
    AuthorStatement: URIRef
    Campaign: URIRef
    Characterisation: URIRef
    Claim: URIRef
    ClaimKind: URIRef
    ClaimKindScheme: URIRef
    Close: URIRef
    Commitment: URIRef
    Constitution: URIRef
    Cooperation: URIRef
    Curated: URIRef
    CurrentTenure: URIRef
    Decree: URIRef
    Demanded: URIRef
    DirectQuote: URIRef
    EditorialIdentification: URIRef
    Event: URIRef
    Exact: URIRef
    Expectation: URIRef
    FormerTenure: URIRef
    InProgress: URIRef
    InternationalOrganization: URIRef
    Introduced: URIRef
    Investigation: URIRef
    Launched: URIRef
    LegalAct: URIRef
    MappingMethod: URIRef
    MappingMethodScheme: URIRef
    MatchKind: URIRef
    MatchKindScheme: URIRef
    Narration: URIRef
    NewsOutlet: URIRef
    PendingReconciliation: URIRef
    PilotProgramme: URIRef
    Programme: URIRef
    Project: URIRef
    Proposed: URIRef
    Reconciled: URIRef
    ReformMeasure: URIRef
    ReformProgramme: URIRef
    ReportedSpeech: URIRef
    Signing: URIRef
    Stance: URIRef
    Standard: URIRef
    State: URIRef
    StateBody: URIRef
    Status: URIRef
    StatusScheme: URIRef
    TenureStatus: URIRef
    TenureStatusScheme: URIRef
    Treaty: URIRef
    TreatyAccession: URIRef
    TreatyParty: URIRef
    Unrest: URIRef
    Verified: URIRef

    # Properties
    acceding: URIRef
    alignedWith: URIRef
    alignmentStatus: URIRef
    announcedBy: URIRef
    anticipatedBy: URIRef
    assertionMode: URIRef
    attachedTo: URIRef
    changedQuantity: URIRef
    claimKind: URIRef
    confidence: URIRef
    cooperatesWith: URIRef
    dateSigned: URIRef
    deliveredBy: URIRef
    endOffset: URIRef
    follows: URIRef
    includesMeasure: URIRef
    initiatedBy: URIRef
    instrumentOf: URIRef
    lastChecked: URIRef
    localFile: URIRef
    mappingMethod: URIRef
    matchKind: URIRef
    newRule: URIRef
    newValue: URIRef
    oldValue: URIRef
    paragraph: URIRef
    participant: URIRef
    partner: URIRef
    partySince: URIRef
    partyState: URIRef
    partyTo: URIRef
    partyTreaty: URIRef
    phased: URIRef
    previousRule: URIRef
    prioritises: URIRef
    projectOwner: URIRef
    publishedNotAfter: URIRef
    publishedNotBefore: URIRef
    quote: URIRef
    requires: URIRef
    respondsTo: URIRef
    responsibleBody: URIRef
    setBy: URIRef
    sha256: URIRef
    signatory: URIRef
    signedBy: URIRef
    signedInstrument: URIRef
    startOffset: URIRef
    status: URIRef
    strengthens: URIRef
    targetDataset: URIRef
    tenureStatus: URIRef
    transferredFrom: URIRef
    transferredTo: URIRef
    treaty: URIRef


KZR = Namespace(BASE + "id/")
KZT = Namespace(BASE + "id/topic/")
KZE = Namespace(BASE + "evidence/")
KZG = Namespace(BASE + "graph/")

ELI = Namespace("http://data.europa.eu/eli/ontology#")
OA = Namespace("http://www.w3.org/ns/oa#")
WD = Namespace("http://www.wikidata.org/entity/")
WDT = Namespace("http://www.wikidata.org/prop/direct/")
DBR = Namespace("http://dbpedia.org/resource/")

#: The one canonical prefix map (defined without rdflib in :mod:`graph.prefixes`).
PREFIXES: dict[str, str] = _PREFIXES


def bind_prefixes(graph: Graph) -> Graph:
    """Bind the canonical prefixes on ``graph`` (replacing rdflib's defaults) and return it."""
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, Namespace(iri), override=True, replace=True)
    return graph


def prefixes_for(base: str | None = None) -> dict[str, str]:
    """:data:`PREFIXES`, with every namespace under :data:`BASE` moved to ``base`` when given."""
    if base is None or base == BASE:
        return dict(PREFIXES)
    return {
        prefix: base + iri[len(BASE) :] if iri.startswith(BASE) else iri
        for prefix, iri in PREFIXES.items()
    }
