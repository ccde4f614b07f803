"""One measurement in a fresh process, so that its peak memory is its own.

``python -m benchmarks.worker TASK JSON`` prints one JSON object on stdout. The tasks:

- ``load``: load one file into one store (kzgraph's or pyoxigraph's own); time and peak memory.
- ``queries``: the benchmark queries on one dataset, through kzgraph's query API on each store
  and through pyoxigraph directly; median and 90th-percentile times.
- ``curated``: every catalogue query on the curated graph in the default in-memory store.
- ``view``: the network view at given node counts: time to write the HTML, then time for the
  page to finish drawing in headless Chromium.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PREFIXES = """PREFIX kz:     <https://w3id.org/kzgraph/ontology#>
PREFIX kzr:    <https://w3id.org/kzgraph/id/>
PREFIX kzg:    <https://w3id.org/kzgraph/graph/>
PREFIX eli:    <http://data.europa.eu/eli/ontology#>
PREFIX org:    <http://www.w3.org/ns/org#>
PREFIX prov:   <http://www.w3.org/ns/prov#>
PREFIX dct:    <http://purl.org/dc/terms/>
PREFIX rdfs:   <http://www.w3.org/2000/01/rdf-schema#>
"""


def rss_mb() -> float:
    """Resident memory now."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- load --


def task_load(args: dict[str, Any]) -> dict[str, Any]:
    import pyoxigraph as ox

    engine, path, where = args["engine"], args["file"], args.get("dir")
    fmt = ox.RdfFormat.N_QUADS
    count: Callable[[], int]
    if engine.startswith("kzgraph"):
        import graph.inputs.reading  # noqa: F401
    base = rss_mb()
    started = time.perf_counter()
    if engine == "pyoxigraph-memory":
        store = ox.Store()
        store.load(path=path, format=fmt)
        count = store.__len__
    elif engine == "pyoxigraph-disk":
        store = ox.Store(where)
        store.load(path=path, format=fmt)
        store.flush()
        count = store.__len__
    elif engine == "pyoxigraph-disk-bulk":
        store = ox.Store(where)
        store.bulk_load(path=path, format=fmt)
        store.flush()
        count = store.__len__
    elif engine == "kzgraph-oxigraph":
        from graph.stores.bulkload import load, source_for, store_dir

        load(where, [source_for(path)], replace=True, show_progress=False, count=False)

        def count() -> int:
            return len(ox.Store.read_only(str(store_dir(where))))
    elif engine == "kzgraph-memory":
        from graph.stores.memory import MemoryStore

        memory = MemoryStore(nquads=Path(path).read_bytes())

        def count() -> int:
            return sum(1 for _ in memory.store.quads_for_pattern(None, None, None, None))
    else:
        raise SystemExit(f"unknown engine {engine}")
    seconds = time.perf_counter() - started
    return {
        "engine": engine,
        "seconds": seconds,
        "peak_mb": peak_mb(),
        "base_mb": base,
        "quads": count(),
    }


# -- queries --


def benchmark_queries(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The six catalogue-shaped queries, with parameters read from the dataset's manifest."""
    hub = manifest["hub"]
    s, p, o = manifest["provenance_triple"]
    lookups = [
        PREFIXES + f"SELECT ?p ?o WHERE {{ <{subject}> ?p ?o }}"
        for subject in manifest["lookup_subjects"]
    ]
    return [
        {"name": "lookup", "title": "lookup by subject", "texts": lookups},
        {
            "name": "join",
            "title": "2-hop join with label filter",
            "texts": [
                PREFIXES
                + """SELECT ?person ?name ?body ?bodyLabel WHERE {
  ?person org:holds ?post .
  ?post org:postIn ?body .
  ?person rdfs:label ?name .
  ?body rdfs:label ?bodyLabel .
  FILTER (REGEX(?bodyLabel, "Justice|Health|Education|Internal", "i"))
}"""
            ],
        },
        {
            "name": "group",
            "title": "GROUP BY count",
            "texts": [
                PREFIXES
                + """SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type }
GROUP BY ?type ORDER BY DESC(?n)"""
            ],
        },
        {
            "name": "path",
            "title": "property path (amendment chains)",
            "texts": [
                PREFIXES
                + """SELECT ?act ?decree WHERE {
  ?act eli:amends+ ?decree .
  ?decree a kz:Decree .
}"""
            ],
        },
        {
            "name": "construct",
            "title": "CONSTRUCT neighbourhood of a hub",
            "texts": [
                PREFIXES
                + f"""CONSTRUCT {{ ?x ?p ?hub . ?x rdfs:label ?l . ?y ?q ?x }} WHERE {{
  VALUES ?hub {{ <{hub}> }}
  ?x ?p ?hub .
  {{ ?x rdfs:label ?l }} UNION {{ ?y ?q ?x }}
}}"""
            ],
        },
        {
            "name": "provenance",
            "title": "provenance of a triple",
            "texts": [
                PREFIXES
                + f"""SELECT ?evidence ?source ?title ?claimant ?mode ?paragraph ?quote WHERE {{
  VALUES (?s ?p ?o) {{ (<{s}> <{p}> <{o}>) }}
  GRAPH ?evidence {{ ?s ?p ?o }}
  GRAPH kzg:provenance {{
    ?evidence prov:wasDerivedFrom ?source ; prov:wasAttributedTo ?claimant ;
              kz:assertionMode ?mode ; kz:paragraph ?paragraph ; kz:quote ?quote .
  }}
  OPTIONAL {{ ?source dct:title ?title }}
}}"""
            ],
        },
    ]


class RunTooLong(BaseException):  # not an Exception: rdflib must not catch it
    """A single run went over the per-run time limit."""


def _alarm(signum: int, frame: object) -> None:
    raise RunTooLong


#: A measured run: it does the work and returns how to count its rows, which is not timed.
Run = Callable[[str], Callable[[], int]]


def _timed_runs(
    run: Run,
    texts: list[str],
    budget: float,
    min_runs: int,
    max_runs: int,
    limit: float | None = None,
) -> dict[str, Any]:
    """Median and 90th percentile of repeated runs (after one warm-up run).

    Runs go on until ``min_runs`` are done and ``budget`` seconds are spent (at most
    ``max_runs``). With ``limit``, a run longer than that is interrupted (SIGALRM) and reported
    instead of a time: rdflib takes minutes on some queries at 1M triples.
    """
    import signal

    def once(text: str) -> tuple[float, int]:
        if limit:
            signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            started = time.perf_counter()
            count = run(text)
            elapsed = time.perf_counter() - started
        finally:
            if limit:
                signal.setitimer(signal.ITIMER_REAL, 0)
        return elapsed, count()

    try:
        first, rows = once(texts[0])  # warm-up (caches, lazy imports)
    except RunTooLong:
        return {
            "median_ms": None,
            "p90_ms": None,
            "runs": 0,
            "rows": None,
            "stopped_after_s": limit,
        }
    times: list[float] = []
    if limit and first > budget:  # one slow run is measurement enough
        times.append(first)
    i = 0
    while len(times) < min_runs or (sum(times) < budget and len(times) < max_runs):
        if limit and times and times[-1] > budget:
            break
        text = texts[i % len(texts)]
        i += 1
        try:
            elapsed, rows = once(text)
        except RunTooLong:
            break
        times.append(elapsed)
    times.sort()
    return {
        "median_ms": statistics.median(times) * 1000,
        "p90_ms": times[int(0.9 * (len(times) - 1))] * 1000,
        "runs": len(times),
        "rows": rows,
    }


def task_queries(args: dict[str, Any]) -> dict[str, Any]:
    import pyoxigraph as ox

    from graph.sparql.guard import check_query
    from graph.stores.bulkload import store_dir
    from graph.stores.memory import MemoryStore
    from graph.stores.persistent import OxigraphStore

    manifest = json.loads(Path(args["manifest"]).read_text("utf-8"))
    queries = benchmark_queries(manifest)
    engines: dict[str, Run] = {}
    loaded: dict[str, float] = {}

    def graph_format(is_graph: bool) -> str:
        return "ntriples" if is_graph else "json"

    if "kzgraph-oxigraph" in args["engines"] or "pyoxigraph" in args["engines"]:
        kz_store = OxigraphStore(store_dir(args["location"]), read_only=True)
        direct = kz_store.store  # the very same database, through pyoxigraph's own API

        def kzgraph_oxigraph(text: str) -> Callable[[], int]:
            check_query.cache_clear()  # the guard sees each query anew, as a new request
            answer = kz_store.query(check_query(text))
            answer.serialize(graph_format(answer.is_graph))
            return lambda: answer.count

        def pyoxigraph_direct(text: str) -> Callable[[], int]:
            result = direct.query(text)
            if isinstance(result, ox.QueryTriples):
                data = result.serialize(format=ox.RdfFormat.N_TRIPLES)
                return lambda: int(data.count(b"\n"))
            data = result.serialize(format=ox.QueryResultsFormat.JSON)
            return lambda: _json_rows(data)

        if "kzgraph-oxigraph" in args["engines"]:
            engines["kzgraph-oxigraph"] = kzgraph_oxigraph
        if "pyoxigraph" in args["engines"]:
            engines["pyoxigraph"] = pyoxigraph_direct
    if "kzgraph-memory" in args["engines"]:
        started = time.perf_counter()
        memory_store = MemoryStore(nquads=Path(args["nquads"]).read_bytes())
        loaded["kzgraph-memory"] = time.perf_counter() - started

        def kzgraph_memory(text: str) -> Callable[[], int]:
            check_query.cache_clear()
            answer = memory_store.query(check_query(text))
            answer.serialize(graph_format(answer.is_graph))
            return lambda: answer.count

        engines["kzgraph-memory"] = kzgraph_memory
    results: list[dict[str, Any]] = []
    for query in queries:
        entry: dict[str, Any] = {"name": query["name"], "title": query["title"], "engines": {}}
        for name, run in engines.items():
            slow = False
            entry["engines"][name] = _timed_runs(
                run,
                query["texts"],
                budget=args.get("budget", 2.0),
                min_runs=1 if slow else args.get("min_runs", 3),
                max_runs=args.get("max_runs", 200),
                limit=args.get("slow_limit", 60.0) if slow else None,
            )
        results.append(entry)
    return {"queries": results, "memory_store_parse_seconds": loaded.get("kzgraph-memory")}


def _json_rows(data: bytes) -> int:
    return len(json.loads(data)["results"]["bindings"])


# -- the curated catalogue in the default store --


def task_curated(args: dict[str, Any]) -> dict[str, Any]:
    """Each catalogue query on the default (in-memory) store, next to pyoxigraph directly.

    The reference is a pyoxigraph Store holding the very same quads (the default graph the
    merge of the named graphs), queried with pyoxigraph's own API and serialised as JSON. The
    kzgraph figure is the public Python door, ``graph.query(store, text)`` with the JSON
    serialisation; ``guarded`` adds the query guard as the CLI and the server run it, for a
    query seen for the first time (its cache cleared) and once cached.
    """
    import pyoxigraph as ox

    from graph.inputs.cache import cached_nquads
    from graph.sparql.catalogue import list_queries
    from graph.sparql.guard import check_query
    from graph.sparql.results import QueryRefused
    from graph.stores.base import prefixes_used
    from graph.stores.memory import MemoryStore
    from graph.stores.querying import query

    store = MemoryStore(nquads=cached_nquads())
    direct = ox.Store()
    direct.extend(store.store.quads_for_pattern(None, None, None, None))
    out = []
    for entry in list_queries():
        try:
            check_query(entry.text)
        except QueryRefused:
            continue  # federated (SERVICE) queries need the network; not a local measurement

        def api(text: str) -> Callable[[], int]:
            data = query(store, text).serialize("json")
            return lambda: len(data)

        def reference(text: str) -> Callable[[], int]:
            result = direct.query(text, prefixes=prefixes_used(text))
            data = result.serialize(format=ox.QueryResultsFormat.JSON)
            return lambda: len(data or b"")

        def guarded(text: str, fresh: bool = True) -> Callable[[], int]:
            if fresh:
                check_query.cache_clear()
            answer = store.query(check_query(text))
            answer.serialize("ntriples" if answer.is_graph else "json")
            return lambda: answer.count

        timings = {
            "api": _timed_runs(api, [entry.text], budget=1.0, min_runs=20, max_runs=400),
            "pyoxigraph": _timed_runs(
                reference, [entry.text], budget=1.0, min_runs=20, max_runs=400
            ),
            "guarded_first_use": _timed_runs(
                guarded, [entry.text], budget=0.5, min_runs=5, max_runs=50
            ),
            "guarded_cached": _timed_runs(
                lambda text: guarded(text, fresh=False),
                [entry.text],
                budget=0.5,
                min_runs=5,
                max_runs=200,
            ),
        }
        ref = timings["pyoxigraph"]["median_ms"]
        out.append(
            {
                "name": entry.name,
                "median_ms": timings["api"]["median_ms"],
                "pyoxigraph_median_ms": ref,
                "ratio": timings["api"]["median_ms"] / ref if ref else None,
                "guarded_first_use_ms": timings["guarded_first_use"]["median_ms"],
                "cached_median_ms": timings["guarded_cached"]["median_ms"],
            }
        )
    return {"queries": out}


def task_build(args: dict[str, Any]) -> dict[str, Any]:
    """``graph.build`` of the curated graph next to its unavoidable part, in one process:
    parsing the inputs (``load_graph``) plus pySHACL's validation of the same dataset.

    Each is run ``runs`` times after a warm-up that imports everything; medians are reported.
    """
    from pyshacl import validate as shacl_validate
    from rdflib import Graph

    from graph.inputs.locations import resolve_dir
    from graph.inputs.reading import load_graph, parse_file
    from graph.namespaces import bind_prefixes
    from graph.pipeline.build import build
    from graph.pipeline.validation import merged_graph

    shapes_file = resolve_dir("ontology") / "shapes.ttl"

    def reference() -> None:
        ds = load_graph()
        shapes = bind_prefixes(Graph())
        parse_file(shapes, shapes_file, "turtle")
        shacl_validate(
            merged_graph(ds),
            shacl_graph=shapes,
            inference="none",
            abort_on_first=False,
            allow_warnings=True,
            meta_shacl=False,
            advanced=True,
        )

    work = Path(tempfile.mkdtemp(prefix="kzgraph-build-bench-"))
    runs = int(args.get("runs", 5))
    times: dict[str, list[float]] = {"build": [], "reference": []}
    try:
        for i in range(runs + 1):
            for name, run in (
                ("reference", reference),
                ("build", lambda: build(work / "dist")),
            ):
                started = time.perf_counter()
                run()
                if i:  # the first round is the warm-up
                    times[name].append(time.perf_counter() - started)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    build_s = statistics.median(times["build"])
    reference_s = statistics.median(times["reference"])
    return {
        "runs": runs,
        "build_s": build_s,
        "parse_and_shacl_s": reference_s,
        "ratio": build_s / reference_s,
    }


def task_view(args: dict[str, Any]) -> dict[str, Any]:
    import networkx as nx

    from graph.errors import InputError
    from graph.explore.network import to_networkx
    from graph.explore.view import MAX_NODES, render
    from graph.inputs.reading import new_dataset

    started = time.perf_counter()
    dataset = new_dataset()
    dataset.parse(args["nquads"], format="nquads")
    whole = to_networkx(dataset)
    prepared = time.perf_counter() - started
    hub = json.loads(Path(args["manifest"]).read_text("utf-8"))["hub"]
    order = list(nx.bfs_tree(whole.to_undirected(as_view=True), hub)) if hub in whole else []
    order += [n for n in whole.nodes if n not in set(order)]
    out_dir = Path(args.get("out_dir") or tempfile.mkdtemp(prefix="kzgraph-view-"))
    results = []
    for wanted in args["nodes"]:
        record: dict[str, Any] = {"nodes": wanted, "limit": MAX_NODES}
        if wanted > len(order):
            record["error"] = f"the dataset has only {len(order)} nodes"
            results.append(record)
            continue
        sub = whole.subgraph(order[:wanted]).copy()
        sub.graph.update(whole.graph)
        record["edges"] = sub.number_of_edges()
        started = time.perf_counter()
        try:
            page = render(sub, title=f"kzgraph benchmark, {wanted} nodes")
        except InputError as exc:  # the view refuses graphs it cannot draw
            record["refused"] = True
            record["message"] = str(exc)
            record["write_seconds"] = time.perf_counter() - started
            results.append(record)
            continue
        path = out_dir / f"view-{wanted}.html"
        page.save(path)
        record["write_seconds"] = time.perf_counter() - started
        record["html_mb"] = path.stat().st_size / 2**20
        record["refused"] = False
        record.update(_draw(path, args.get("draw_timeout", 120.0)))
        results.append(record)
    results.append(_whole_curated_view(out_dir, args.get("draw_timeout", 120.0)))
    return {"prepare_seconds": prepared, "graph_nodes": len(order), "views": results}


def _whole_curated_view(out_dir: Path, timeout: float) -> dict[str, Any]:
    """The project's own graph, whole, as `kzgraph view` writes it: until it is ready to use
    (laid out, physics stopped, labels placed)."""
    from graph.explore.network import to_networkx
    from graph.explore.view import render
    from graph.inputs.reading import load_graph

    graph = to_networkx(load_graph())
    started = time.perf_counter()
    page = render(graph, title="kzgraph: whole graph")
    path = out_dir / "view-whole.html"
    page.save(path)
    record: dict[str, Any] = {
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "whole": True,
        "refused": False,
        "write_seconds": time.perf_counter() - started,
        "html_mb": path.stat().st_size / 2**20,
    }
    record.update(_draw(path, timeout))
    return record


def _draw(path: Path, timeout: float) -> dict[str, Any]:
    """Open the page in headless Chromium; time until it marks itself drawn (data-kz-ready)."""
    from tests.support.browser import chromium

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        started = time.perf_counter()
        page.goto(path.as_uri(), wait_until="commit")
        try:
            page.wait_for_selector(
                "html[data-kz-ready=true]", state="attached", timeout=timeout * 1000
            )
            drawn = time.perf_counter() - started
            ready_at = page.evaluate("performance.now()")
        except Exception as exc:  # the page never said it was drawn
            return {
                "draw_seconds": None,
                "draw_error": str(exc).splitlines()[0],
                "page_errors": errors,
            }
        return {"draw_seconds": drawn, "page_clock_ms": ready_at, "page_errors": errors}


TASKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "load": task_load,
    "queries": task_queries,
    "build": task_build,
    "curated": task_curated,
    "view": task_view,
}


def main() -> int:
    task, raw = sys.argv[1], sys.argv[2]
    result = TASKS[task](json.loads(raw))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
