"""Stage 7, serving: the SPARQL 1.1 Protocol endpoint and the linked-data pages
(:mod:`graph.serving.app`), the operations they run (:mod:`graph.serving.operations`), the
locked-down processes those run in (:mod:`graph.serving.sandbox`), how ``kzgraph serve`` runs
them on uvicorn (:mod:`graph.serving.processes`), and the pages' templates and assets.
"""
