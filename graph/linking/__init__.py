"""Stage 6, links to the web of data: reconciliation with Wikidata and DBpedia, the alignment
records, enrichment, external links for the pages, and federated queries, all through one
polite SPARQL client (:mod:`graph.linking.client`).
"""
