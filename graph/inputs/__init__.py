"""Stage 1, the inputs: where ontology/, data/ and the source texts live, reading them into one
rdflib Dataset (named graphs kept), the evidence quotes in the source texts, the cache of the
loaded dataset, and writing a dataset out in every RDF format.

Uses only the core modules (errors, namespaces, atomic, progress).
"""
