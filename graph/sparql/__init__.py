"""Stage 2, the SPARQL language: the guard that decides what a query may touch, one-line syntax
errors, answers and their formats, IRIs written into query text, and the query catalogue
(``queries/*.rq``). Nothing here evaluates a query: the stores do.
"""
