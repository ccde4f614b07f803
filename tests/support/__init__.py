"""What the tests, the benchmarks and the docs' screenshot scripts share, in one place.

- :mod:`tests.support.servers`: servers started on free loopback ports and stopped after
  (``kzgraph serve``, ``oxigraph serve``, Virtuoso, a counting stub);
- :mod:`tests.support.wrk`: load runs with wrk, and its reports read;
- :mod:`tests.support.answers`: SPARQL answers compared across engines.

It lives under ``tests/`` because that is already a package importable from the repository
root, where ``python -m benchmarks`` and ``python docs/screenshots/*.py`` run, while ``graph/``
is the installed package and carries no test plumbing. Pytest fixtures stay in
``tests/conftest.py``; this package imports nothing from pytest, so the benchmarks need no more
than the ``test`` extra they already use.
"""
