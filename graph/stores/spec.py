"""Which store to use (:class:`StoreSpec`), and opening it: the one place that knows every kind.

- ``memory``: an in-memory Oxigraph store filled from the checked curated files (the default,
  nothing to set up; the checked dataset is cached as N-Quads, see :mod:`graph.inputs.cache`).
- ``oxigraph``: an embedded, persistent Oxigraph store in a directory
  (:mod:`graph.stores.persistent`).
- ``endpoint``: any SPARQL 1.1 endpoint over HTTP (:mod:`graph.stores.endpoint`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from graph.errors import InputError

if TYPE_CHECKING:
    from rdflib import Dataset

from graph.stores.base import STORE_KINDS, Store, StoreKind
from graph.stores.endpoint import EndpointStore
from graph.stores.memory import MemoryStore
from graph.stores.persistent import OxigraphStore, load_oxigraph


@dataclass(frozen=True)
class StoreSpec:
    """How to open a store; small and picklable, so query workers can open their own copy."""

    kind: StoreKind = "memory"
    location: str | None = None
    endpoint: str | None = None
    ontology_dir: str | None = None
    data_dir: str | None = None
    read_only: bool = True
    http_timeout: float = 60.0
    extra: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        if self.kind == "oxigraph":
            return f"Oxigraph store in {self.location}"
        if self.kind == "endpoint":
            return f"SPARQL endpoint {self.endpoint}"
        return "in-memory graph (Oxigraph)"


def open_store(spec: StoreSpec, dataset_factory: Callable[[], Dataset] | None = None) -> Store:
    """Open the store that ``spec`` names (loading the curated files for ``memory``)."""
    if spec.kind == "memory":
        if dataset_factory is not None:
            return MemoryStore(dataset_factory())
        from graph.inputs.cache import cached_nquads

        # the checked dataset as N-Quads, from the cache when the curated files are unchanged
        return MemoryStore(nquads=cached_nquads(spec.ontology_dir, spec.data_dir))
    if spec.kind == "oxigraph":
        if not spec.location:
            raise InputError("--store oxigraph needs --location DIR")
        return OxigraphStore(spec.location, read_only=spec.read_only)
    if spec.kind == "endpoint":
        if not spec.endpoint:
            raise InputError("the endpoint store needs --endpoint URL")
        return EndpointStore(spec.endpoint, spec.http_timeout)
    raise InputError(f"unknown store {spec.kind!r} (use one of: {', '.join(STORE_KINDS)})")


def prepare_store(spec: StoreSpec, reload: bool = False) -> bool:
    """Make the store ready to open: an Oxigraph store is (re)loaded when out of date."""
    if spec.kind == "oxigraph":
        if not spec.location:
            raise InputError("--store oxigraph needs --location DIR")
        return load_oxigraph(spec.location, spec.ontology_dir, spec.data_dir, force=reload)
    return False
