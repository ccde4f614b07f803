"""kzgraph's benchmarks: a generator of synthetic datasets and a runner (``python -m benchmarks``).

Not part of the installed package; run from a checkout. See docs/performance.md.
"""
