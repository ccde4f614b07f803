"""Copying the dataset to an endpoint through the SPARQL 1.1 Graph Store Protocol, one named
graph at a time (staged, then moved into place), with a merged default graph.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from graph.sparql.results import (
    StoreUnavailable,
)

if TYPE_CHECKING:
    from rdflib import Dataset


@dataclass(frozen=True)
class PublishReport:
    """What :func:`publish` sent, and whether the graphs were switched in at once."""

    graphs: int
    triples: int
    graph_store: str
    atomic: bool = False


#: Staged copies are named ``urn:kzgraph:staging:<run>:<n>`` until the switch moves them.
STAGING_PREFIX = "urn:kzgraph:staging:"


def publish(
    dataset: Dataset,
    graph_store: str,
    user: str | None = None,
    password: str | None = None,
    auth: Literal["digest", "basic"] = "digest",
    timeout: float = 60.0,
    default_graph: bool = True,
    update: str | None = None,
) -> PublishReport:
    """PUT every named graph of ``dataset`` to ``graph_store`` (SPARQL 1.1 GSP, ``?graph=``).

    With ``default_graph``, the merge of all graphs also goes to the store's default graph
    (``?default``), so that plain queries see every fact once, as in the other stores. PUT
    replaces each graph: publishing twice leaves the same content. Graphs are sent as N-Triples
    labelled ``text/turtle`` (N-Triples is Turtle, and every GSP server reads Turtle).

    With ``update`` (the store's SPARQL Update endpoint), every graph is first PUT into a staging
    graph (``urn:kzgraph:staging:<run>:<n>``), then one SPARQL Update request of ``MOVE``
    operations switches them all in: a store that applies a request as one transaction (Oxigraph,
    Fuseki) shows readers the old graphs or the new ones, never a mix. A failure before the
    switch leaves the published graphs as they were and drops the staged copies. Without
    ``update``, graphs are replaced one by one, and a failure says which are new and which old.

    Raises:
        StoreUnavailable: the server is unreachable or refused a request; the message says
            what state the remote is in and how to repair it.
    """
    import httpx

    from graph.inputs.reading import named_graphs
    from graph.inputs.writing import export
    from graph.progress import progress_bar

    credentials: httpx.Auth | None = None
    if user is not None:
        secret = password or ""
        credentials = (
            httpx.DigestAuth(user, secret) if auth == "digest" else httpx.BasicAuth(user, secret)
        )
    names = named_graphs(dataset)
    bodies: list[tuple[str | None, bytes]] = [
        (str(name), export_graph(dataset.graph(name))) for name in names
    ]
    if default_graph:
        bodies.append((None, export(dataset, "ntriples")))
    total = sum(body.count(b"\n") for name, body in bodies if name is not None)
    run = os.urandom(6).hex()
    staged = [f"{STAGING_PREFIX}{run}:{i}" for i in range(len(bodies))]

    def label(name: str | None) -> str:
        return "the default graph" if name is None else f"<{name}>"

    with (
        httpx.Client(auth=credentials, timeout=timeout) as client,
        progress_bar(len(bodies), f"publishing to {graph_store}", unit="graph") as bar,
    ):

        def send_update(text: str) -> str | None:
            """None when the update endpoint applied ``text``, else why not."""
            assert update is not None
            try:
                response = client.post(
                    update,
                    content=text.encode("utf-8"),
                    headers={"Content-Type": "application/sparql-update; charset=utf-8"},
                )
            except httpx.HTTPError as exc:
                return str(exc) or type(exc).__name__
            return None if response.status_code < 300 else _status(response)

        def put(params: dict[str, str], body: bytes) -> str | None:
            try:
                response = client.put(
                    graph_store,
                    params=params,
                    content=body,
                    headers={"Content-Type": "text/turtle; charset=utf-8"},
                )
            except httpx.HTTPError as exc:
                return str(exc) or type(exc).__name__
            return None if response.status_code < 300 else _status(response)

        if update is not None:
            refused = send_update(f"DROP SILENT GRAPH <{STAGING_PREFIX}{run}:probe>")
            if refused is not None:
                raise StoreUnavailable(
                    f"SPARQL Update endpoint {update} refused a no-op update ({refused});"
                    " nothing was sent, the remote is unchanged"
                )
            for i, (name, body) in enumerate(bodies):
                bar.update(1)
                failed = put({"graph": staged[i]}, body)
                if failed is None:
                    continue
                left = _drop_staged(send_update, staged[: i + 1])
                raise StoreUnavailable(
                    f"graph store {graph_store} answered {failed} while staging {label(name)}"
                    f" ({i + 1} of {len(bodies)}); nothing was switched: every published graph"
                    f" is as before{left}"
                )
            moves = " ;\n".join(
                f"MOVE GRAPH <{staged[i]}> TO " + ("DEFAULT" if name is None else f"GRAPH <{name}>")
                for i, (name, _body) in enumerate(bodies)
            )
            failed = send_update(moves)
            if failed is not None:
                left = _drop_staged(send_update, staged)
                raise StoreUnavailable(
                    f"SPARQL Update endpoint {update} answered {failed} to the switch; a store"
                    " that applies an update request whole (Oxigraph, Fuseki) still holds every"
                    f" published graph as before{left}; run kzgraph publish again"
                )
            return PublishReport(len(names), total, graph_store, atomic=True)

        for i, (name, body) in enumerate(bodies):
            bar.update(1)
            failed = put({"default": ""} if name is None else {"graph": name}, body)
            if failed is None:
                continue
            failure = f"graph store {graph_store} answered {failed} for {label(name)}"
            if i == 0:
                raise StoreUnavailable(f"{failure}; nothing was replaced, the remote is as before")
            done = [label(n) for n, _b in bodies[:i]]
            old = [label(n) for n, _b in bodies[i:]]
            raise StoreUnavailable(
                f"{failure}; the remote is now MIXED: {len(done)} graph(s) replaced"
                f" ({_few(done)}), {len(old)} still old ({_few(old)}); run kzgraph publish again"
                " to finish, or give --update URL so that publish switches every graph in at once"
            )
    return PublishReport(len(names), total, graph_store)


def _status(response: Any) -> str:
    reason = response.text.strip().splitlines()[:1]
    return f"{response.status_code}{': ' + reason[0][:200] if reason else ''}"


def _few(labels: list[str]) -> str:
    return (
        ", ".join(labels[:3]) + (f" and {len(labels) - 3} more" if len(labels) > 3 else "")
        or "none"
    )


def _drop_staged(send_update: Callable[[str], str | None], staged: list[str]) -> str:
    """Drop the staged copies; the message tail says whether any remain and how to remove them."""
    failed = send_update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in staged))
    if failed is None:
        return " (the staged copies were removed)"
    run = staged[0].rsplit(":", 1)[0]
    return (
        f"; staged copies remain in graphs <{run}:0> to <{run}:{len(staged) - 1}> (removing them"
        f" failed: {failed}): drop them with DROP GRAPH, or leave them, they are not published"
    )


def export_graph(graph: Any) -> bytes:
    """One graph as sorted N-Triples bytes (deterministic bodies)."""
    from graph.inputs.writing import ntriples_lines

    return ntriples_lines(graph)
