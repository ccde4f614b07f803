"""Stage 6, links to the web of data: reconciliation with Wikidata and DBpedia, the alignment
records, enrichment, external links for the pages, and federated queries, all through one
polite SPARQL client (:mod:`graph.linking.client`).

Inside the package imports run one way. :mod:`~graph.linking.targets` (the datasets linked to,
their files and terms) is at the bottom; :mod:`~graph.linking.client`,
:mod:`~graph.linking.turtle`, :mod:`~graph.linking.alignments` and
:mod:`~graph.linking.federated` build on it; :mod:`~graph.linking.reconcile`,
:mod:`~graph.linking.enrich` and :mod:`~graph.linking.external` are at the top and import none
of each other.
"""
