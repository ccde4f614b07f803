"""Shared helpers of the reliability tests: the full or reduced form, and a store's content.

The tests run in a reduced form by default (CI); ``KZGRAPH_RELIABILITY=full`` runs the full
form (32 clients for 60 s, thousands of fuzzed requests, dozens of kills). The servers and wrk
they drive are in :mod:`tests.support`.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

FULL = os.environ.get("KZGRAPH_RELIABILITY", "").lower() == "full"


def scale(reduced: int, full: int) -> int:
    """``full`` in the full form, ``reduced`` in CI."""
    return full if FULL else reduced


def store_digest(location: Path) -> tuple[int, str]:
    """Number of quads and a hash of the sorted quads of the store's active content."""
    import pyoxigraph as ox

    from graph.stores.bulkload import store_dir

    store = ox.Store.read_only(str(store_dir(location)))
    lines = sorted(str(q) for q in store)
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return len(lines), digest
