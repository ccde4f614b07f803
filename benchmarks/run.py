"""Run the kzgraph benchmarks, print a table, write JSON and Markdown results.

``python -m benchmarks`` runs the full form (10k, 100k and 1M quads; about 25 minutes on two
cores); ``python -m benchmarks --quick`` a reduced form (10k quads, short HTTP runs; about two
minutes). Every figure is measured in this run, on this machine; every ratio is to a
reference measured in the same run. Results go to ``benchmarks/results/latest.json`` and
``latest.md`` (with the machine they ran on).

Sections (``--only`` picks some): ``load``, ``queries``, ``http``, ``view``, ``cold``, ``curated``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.generate import DEFAULT_SEED, SIZES, generate, parse_size
from tests.support.servers import Server, kzgraph_serve, oxigraph_binary, oxigraph_server
from tests.support.wrk import Request, run_wrk

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
DATA = Path(__file__).resolve().parent / "data"
SECTIONS = ("load", "queries", "http", "view", "cold", "curated", "build")
#: What every HTTP client of the benchmark asks for.
SPARQL_JSON = {"Accept": "application/sparql-results+json"}

#: The targets of issue 7, as (key, description, limit, comparison); load and queries are
#: judged at the largest size measured (1M in the full form), which the detail column names.
TARGETS = {
    "load_time": ("load into the Oxigraph store, time vs pyoxigraph Store.load", 1.3, "<="),
    "load_memory": ("load into the Oxigraph store, peak memory vs pyoxigraph", 1.5, "<="),
    "query_ratio": ("each benchmark query, kzgraph API vs pyoxigraph direct", 1.5, "<="),
    "http_median": ("endpoint median latency vs oxigraph serve, persistent store", 1.5, "<="),
    "http_throughput": ("endpoint throughput (8 clients) vs oxigraph serve, persistent", 0.5, ">="),
    "http_median_default": ("endpoint median latency vs oxigraph serve, default store", 1.5, "<="),
    "http_throughput_default": (
        "endpoint throughput (8 clients) vs oxigraph serve, default",
        0.5,
        ">=",
    ),
    "http_errors": ("failed requests at the endpoint", 0, "<="),
    "curated_max_ms": ("slowest curated catalogue query, default store (ms)", 50.0, "<"),
    "curated_ratio": (
        "each curated catalogue query, default store vs pyoxigraph direct",
        1.2,
        "<=",
    ),
    "build_ratio": ("`kzgraph build` vs parsing the inputs plus pySHACL", 1.5, "<="),
    "view_5000_s": ("network view, 5,000 nodes drawn (s)", 5.0, "<"),
    "view_20000_refused": ("network view, 20,000 nodes refused or clustered", 1, ">="),
    "view_whole_s": ("network view of the whole curated graph ready (s)", 2.0, "<"),
    "cold_start_s": ("cold start of `kzgraph query <catalogue query>` (s)", 0.5, "<"),
    "cold_ratio": (
        "cold start of `kzgraph query <catalogue query>` vs `python -c 'import pyoxigraph'`",
        3.0,
        "<=",
    ),
}


# -- helpers --


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def worker(task: str, args: dict[str, Any], timeout: float = 3600) -> dict[str, Any]:
    """Run one measurement in a fresh Python process and return its JSON."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.worker", task, json.dumps(args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark worker {task} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def machine() -> dict[str, Any]:
    """What the benchmark ran on."""
    import pyoxigraph
    import rdflib

    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = 0.0
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = int(line.split()[1]) / 2**20
    versions = {
        "python": platform.python_version(),
        "rdflib": rdflib.__version__,
        "pyoxigraph": getattr(pyoxigraph, "__version__", "?"),
    }
    with contextlib.suppress(Exception):
        out = subprocess.run([oxigraph_binary(), "--version"], capture_output=True, text=True)
        versions["oxigraph"] = out.stdout.strip()
    with contextlib.suppress(Exception):
        out = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
        versions["wrk"] = (out.stdout or out.stderr).split()[1]
    with contextlib.suppress(Exception):
        out = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True)
        versions["chromium"] = out.stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory, 1),
        "system": f"{platform.system()} {platform.release()}",
        "versions": versions,
        "load_average_start": os.getloadavg(),
    }


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


# -- sections --


def section_load(
    sizes: list[str], manifests: dict[str, Any], work: Path, repeat: int, memory_limit: int
) -> dict[str, Any]:
    engines = [
        "pyoxigraph-disk",
        "pyoxigraph-memory",
        "pyoxigraph-disk-bulk",
        "kzgraph-oxigraph",
        "kzgraph-memory",
    ]
    out: dict[str, Any] = {}
    for size in sizes:
        manifest = manifests[size]
        path = str(DATA_DIR / manifest["files"]["nquads"])
        out[size] = {}
        for engine in engines:
            if engine == "kzgraph-memory" and manifest["quads"] > memory_limit:
                continue
            runs = []
            count = 1 if engine == "kzgraph-memory" and manifest["quads"] > 200_000 else repeat
            for i in range(count):
                where = work / f"load-{size}-{engine}-{i}"
                shutil.rmtree(where, ignore_errors=True)
                log(f"load {size}: {engine} (run {i + 1}/{count})")
                runs.append(worker("load", {"engine": engine, "file": path, "dir": str(where)}))
                shutil.rmtree(where, ignore_errors=True)
            out[size][engine] = {
                "seconds": median([r["seconds"] for r in runs]),
                "peak_mb": median([r["peak_mb"] for r in runs]),
                "base_mb": median([r["base_mb"] for r in runs]),
                "quads": runs[0]["quads"],
                "runs": [round(r["seconds"], 3) for r in runs],
            }
        ref = out[size]["pyoxigraph-disk"]
        mem = out[size]["pyoxigraph-memory"]
        for result in out[size].values():
            result["time_ratio"] = result["seconds"] / ref["seconds"]
            result["memory_ratio"] = result["peak_mb"] / ref["peak_mb"]
            result["time_ratio_in_memory_ref"] = result["seconds"] / mem["seconds"]
            result["memory_ratio_in_memory_ref"] = result["peak_mb"] / mem["peak_mb"]
    return out


def kzgraph_store(size: str, manifests: dict[str, Any], work: Path) -> Path:
    """The kzgraph Oxigraph store of one size, loaded once and reused by later sections."""
    where = work / f"store-{size}"
    marker = where / "kzgraph-active"
    if not marker.exists():
        shutil.rmtree(where, ignore_errors=True)
        path = str(DATA_DIR / manifests[size]["files"]["nquads"])
        log(f"prepare the {size} Oxigraph store")
        worker("load", {"engine": "kzgraph-oxigraph", "file": path, "dir": str(where)})
    return where


def section_queries(
    sizes: list[str], manifests: dict[str, Any], work: Path, quick: bool, memory_limit: int
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for size in sizes:
        manifest = manifests[size]
        engines = ["pyoxigraph", "kzgraph-oxigraph"]
        if manifest["quads"] <= memory_limit:
            engines.append("kzgraph-memory")
        location = kzgraph_store(size, manifests, work)
        log(f"queries {size}: {', '.join(engines)}")
        result = worker(
            "queries",
            {
                "manifest": str(DATA_DIR / f"{Path(manifest['files']['nquads']).stem}.json"),
                "location": str(location),
                "nquads": str(DATA_DIR / manifest["files"]["nquads"]),
                "engines": engines,
                "budget": 0.5 if quick else 3.0,
                "min_runs": 3 if quick else 5,
                "quick": quick,
            },
        )
        for query in result["queries"]:
            ref = query["engines"]["pyoxigraph"]["median_ms"]
            for timing in query["engines"].values():
                ms = timing["median_ms"]
                timing["ratio"] = ms / ref if ref and ms is not None else None
        out[size] = result
    return out


def measure_server(
    name: str,
    served: contextlib.AbstractContextManager[Server],
    endpoint: str,
    queries: list[str],
    work: Path,
    quick: bool,
) -> dict[str, Any]:
    """wrk with 1 and 8 clients, and a sequential Python client, against one server, started
    by entering ``served``; ``endpoint`` is the path of its SPARQL endpoint."""
    paths = [f"{endpoint}?query={urllib.parse.quote(q)}" for q in queries]
    requests: list[Request] = [("GET", path, SPARQL_JSON, None) for path in paths]
    log(f"http: {name}")
    with served as server:
        base = server.base
        for path in paths[:20]:  # warm-up, and a check that the answers are right
            request = urllib.request.Request(base + path, headers=SPARQL_JSON)
            with urllib.request.urlopen(request, timeout=30) as response:
                rows = json.loads(response.read())["results"]["bindings"]
                if not rows:
                    raise RuntimeError(f"{name} returned no rows for {path}")
        seq = run_wrk(base, requests, 1, 5 if quick else 20, work)
        conc = run_wrk(base, requests, 8, 5 if quick else 30, work)
        python_client = sequential_python(base, paths, 1000 if quick else 5000)
    return {
        "python_client_median_ms": python_client["median_ms"],
        "python_client_p99_ms": python_client["p99_ms"],
        "median_ms": seq.get("p50_ms"),
        "p99_ms": seq.get("p99_ms"),
        "sequential_rps": seq["requests_per_s"],
        "concurrent_rps": conc["requests_per_s"],
        "concurrent_median_ms": conc.get("p50_ms"),
        "concurrent_p99_ms": conc.get("p99_ms"),
        "requests": seq.get("requests", 0) + conc.get("requests", 0),
        "errors": seq["errors"] + conc["errors"],
        "wrk": {"sequential": seq["raw"], "concurrent": conc["raw"]},
    }


def add_ratios(kz: dict[str, Any], ref: dict[str, Any]) -> None:
    kz["median_ratio"] = kz["median_ms"] / ref["median_ms"]
    kz["p99_ratio"] = kz["p99_ms"] / ref["p99_ms"]
    kz["throughput_ratio"] = kz["concurrent_rps"] / ref["concurrent_rps"]
    kz["python_client_median_ratio"] = (
        kz["python_client_median_ms"] / ref["python_client_median_ms"]
    )


def section_http(size: str, manifests: dict[str, Any], work: Path, quick: bool) -> dict[str, Any]:
    """``kzgraph serve`` beside ``oxigraph serve`` on the same data, in the same run: on a
    persistent store of the generated dataset, and on the default (in-memory) store of the
    curated graph, with ``oxigraph serve`` over an Oxigraph copy of that graph."""
    import pyoxigraph as ox

    from graph.stores.bulkload import store_dir
    from graph.stores.persistent import load_oxigraph

    manifest = manifests[size]
    location = kzgraph_store(size, manifests, work)
    reference = work / f"oxigraph-serve-{size}"
    shutil.rmtree(reference, ignore_errors=True)
    ox.Store.read_only(str(store_dir(location))).backup(str(reference))  # same data, own copy
    queries = [f"SELECT ?p ?o WHERE {{ <{s}> ?p ?o }}" for s in manifest["lookup_subjects"]]
    out: dict[str, Any] = {
        "size": size,
        "quads": manifest["quads"],
        "query": "lookup by subject",
        "sequential_seconds": 5 if quick else 20,
        "concurrent_seconds": 5 if quick else 30,
        "load_average_start": os.getloadavg(),
    }
    out["oxigraph serve"] = measure_server(
        "oxigraph serve", oxigraph_server(reference), "/query", queries, work, quick
    )
    name = "kzgraph serve --store oxigraph"
    kz = kzgraph_serve("--store", "oxigraph", "--location", str(location))
    out[name] = measure_server(name, kz, "/sparql", queries, work, quick)
    add_ratios(out[name], out["oxigraph serve"])
    shutil.rmtree(reference, ignore_errors=True)

    # the default store: the curated graph in memory, against oxigraph serve on the same graph
    curated = work / "curated-store"
    load_oxigraph(curated)
    curated_ref = work / "oxigraph-serve-curated"
    shutil.rmtree(curated_ref, ignore_errors=True)
    ox.Store.read_only(str(store_dir(curated))).backup(str(curated_ref))
    store = ox.Store.read_only(str(store_dir(curated)))
    subjects = [
        str(row["s"].value)
        for row in store.query(
            "SELECT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) } GROUP BY ?s ORDER BY ?s LIMIT 200"
        )
    ]
    del store
    default: dict[str, Any] = {"quads": None, "subjects": len(subjects)}
    lookups = [f"SELECT ?p ?o WHERE {{ <{s}> ?p ?o }}" for s in subjects]
    ref_name = "oxigraph serve (curated graph)"
    default[ref_name] = measure_server(
        ref_name, oxigraph_server(curated_ref), "/query", lookups, work, quick
    )
    name = "kzgraph serve (default store)"
    default[name] = measure_server(name, kzgraph_serve(), "/sparql", lookups, work, quick)
    add_ratios(default[name], default[ref_name])
    out["default_store"] = default
    out["load_average_end"] = os.getloadavg()
    shutil.rmtree(curated_ref, ignore_errors=True)
    return out


def sequential_python(base: str, paths: list[str], count: int) -> dict[str, float]:
    """Latency seen by a sequential keep-alive Python client (http.client), as a script sees it.

    wrk measures the server with almost no client cost; this adds what a Python caller pays.
    """
    import http.client

    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    times = []
    try:
        for i in range(count):
            started = time.perf_counter()
            connection.request("GET", paths[i % len(paths)], headers=SPARQL_JSON)
            response = connection.getresponse()
            response.read()
            times.append(time.perf_counter() - started)
            if response.status != 200:
                raise RuntimeError(f"{base}: status {response.status}")
    finally:
        connection.close()
    times.sort()
    return {"median_ms": median(times) * 1000, "p99_ms": times[int(0.99 * (len(times) - 1))] * 1000}


def section_view(manifest: dict[str, Any], nodes: list[int]) -> dict[str, Any]:
    log(f"network view: {', '.join(map(str, nodes))} nodes")
    return worker(
        "view",
        {
            "nquads": str(DATA_DIR / manifest["files"]["nquads"]),
            "manifest": str(DATA_DIR / f"{Path(manifest['files']['nquads']).stem}.json"),
            "nodes": nodes,
        },
    )


def section_cold(runs: int) -> dict[str, Any]:
    """Wall time of whole processes: ``kzgraph query`` on the curated graph, and references."""
    cache = Path(tempfile.mkdtemp(prefix="kzgraph-cache-"))
    env = {**os.environ, "KZGRAPH_CACHE_DIR": str(cache)}
    commands = {
        "kzgraph query entity-facts": [sys.executable, "-m", "graph.cli", "query", "entity-facts"],
        "kzgraph query claims --format json": [
            sys.executable,
            "-m",
            "graph.cli",
            "query",
            "claims",
            "--format",
            "json",
        ],
        "kzgraph --version": [sys.executable, "-m", "graph.cli", "--version"],
        "python -c 'import rdflib'": [sys.executable, "-c", "import rdflib"],
        "python -c 'import pyoxigraph'": [sys.executable, "-c", "import pyoxigraph"],
    }

    def wall(command: list[str]) -> tuple[float, float]:
        """Wall time, and CPU time (user + system) of the process: contention shows as a gap."""
        import resource

        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True)
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise RuntimeError(f"{command} failed: {done.stderr.decode()[-1000:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return elapsed, cpu

    out: dict[str, Any] = {}
    try:
        first, _cpu = wall(commands["kzgraph query entity-facts"])  # fills the cache
        for name, command in commands.items():
            measured = [wall(command) for _ in range(runs)]
            times = [w for w, _c in measured]
            out[name] = {
                "median_s": median(times),
                "min_s": min(times),
                "runs": len(times),
                "cpu_median_s": median([c for _w, c in measured]),
            }
        out["kzgraph query entity-facts"]["first_run_s"] = first
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return out


# -- targets and reports --


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the figure measured for it, or None when not measured in this run."""
    measured: dict[str, Any] = {}
    detail: dict[str, str] = {}
    load = results.get("load", {})
    big = (
        "1m" if "1m" in load else (sorted(load, key=lambda s: parse_size(s))[-1] if load else None)
    )
    if big:
        kz = load[big]["kzgraph-oxigraph"]
        measured["load_time"] = kz["time_ratio"]
        measured["load_memory"] = kz["memory_ratio"]
        detail["load_time"] = (
            f"{big}: {kz['seconds']:.1f} s vs {load[big]['pyoxigraph-disk']['seconds']:.1f} s"
            f" (on disk); {kz['time_ratio_in_memory_ref']:.2f}x the in-memory Store.load"
            f" ({load[big]['pyoxigraph-memory']['seconds']:.1f} s)"
        )
        detail["load_memory"] = (
            f"{big}: {kz['peak_mb']:.0f} MB vs {load[big]['pyoxigraph-disk']['peak_mb']:.0f} MB"
            f" (on disk); {kz['memory_ratio_in_memory_ref']:.2f}x the in-memory Store.load"
            f" ({load[big]['pyoxigraph-memory']['peak_mb']:.0f} MB)"
        )
    queries = results.get("queries", {})
    qbig = (
        "1m"
        if "1m" in queries
        else (sorted(queries, key=lambda s: parse_size(s))[-1] if queries else None)
    )
    if qbig:
        ratios = {
            q["name"]: q["engines"]["kzgraph-oxigraph"]["ratio"] for q in queries[qbig]["queries"]
        }
        worst = max(ratios, key=lambda k: ratios[k])
        measured["query_ratio"] = ratios[worst]
        detail["query_ratio"] = f"{qbig}: the worst is {worst}; " + ", ".join(
            f"{k} {v:.2f}x" for k, v in ratios.items()
        )
    http = results.get("http")
    if http:
        kz = http["kzgraph serve --store oxigraph"]
        ref = http["oxigraph serve"]
        measured["http_median"] = kz["median_ratio"]
        measured["http_throughput"] = kz["throughput_ratio"]
        measured["http_errors"] = kz["errors"]
        detail["http_median"] = (
            f"wrk: {kz['median_ms']:.3f} ms vs {ref['median_ms']:.3f} ms ({http['size']});"
            f" a Python client sees {kz.get('python_client_median_ms', 0):.3f} ms vs"
            f" {ref.get('python_client_median_ms', 0):.3f} ms"
            f" ({kz.get('python_client_median_ratio', 0):.2f}x)"
        )
        detail["http_throughput"] = (
            f"{kz['concurrent_rps']:.0f} vs {ref['concurrent_rps']:.0f} req/s"
        )
        detail["http_errors"] = f"{kz['errors']} of {kz['requests']} requests"
        default = http.get("default_store")
        if default:
            dkz = default["kzgraph serve (default store)"]
            dref = default["oxigraph serve (curated graph)"]
            measured["http_median_default"] = dkz["median_ratio"]
            measured["http_throughput_default"] = dkz["throughput_ratio"]
            measured["http_errors"] += dkz["errors"]
            detail["http_median_default"] = (
                f"wrk: {dkz['median_ms']:.3f} ms vs {dref['median_ms']:.3f} ms (curated graph);"
                f" a Python client sees {dkz['python_client_median_ms']:.3f} ms vs"
                f" {dref['python_client_median_ms']:.3f} ms"
            )
            detail["http_throughput_default"] = (
                f"{dkz['concurrent_rps']:.0f} vs {dref['concurrent_rps']:.0f} req/s"
            )
            detail["http_errors"] = (
                f"{measured['http_errors']} of {kz['requests'] + dkz['requests']} requests"
            )
    curated = results.get("curated")
    if curated:
        slowest = max(curated["queries"], key=lambda q: q["median_ms"])
        measured["curated_max_ms"] = slowest["median_ms"]
        detail["curated_max_ms"] = (
            f"{slowest['name']} ({len(curated['queries'])} queries, `graph.query` on the"
            " default store, JSON serialised)"
        )
        if all(q.get("ratio") is not None for q in curated["queries"]):
            worst = max(curated["queries"], key=lambda q: q["ratio"])
            measured["curated_ratio"] = worst["ratio"]
            detail["curated_ratio"] = (
                f"the worst is {worst['name']}: {worst['median_ms']:.2f} ms vs"
                f" {worst['pyoxigraph_median_ms']:.2f} ms; through the query guard, first use"
                f" {max(q['guarded_first_use_ms'] for q in curated['queries']):.2f} ms at most"
            )
    built = results.get("build")
    if built:
        measured["build_ratio"] = built["ratio"]
        detail["build_ratio"] = (
            f"{built['build_s']:.2f} s vs {built['parse_and_shacl_s']:.2f} s"
            f" (medians of {built['runs']}, in one process)"
        )
    view = results.get("view")
    if view:
        for record in view["views"]:
            if record["nodes"] == 5000 and record.get("draw_seconds") is not None:
                measured["view_5000_s"] = record["write_seconds"] + record["draw_seconds"]
                detail["view_5000_s"] = (
                    f"write {record['write_seconds']:.2f} s + draw {record['draw_seconds']:.2f} s"
                )
            if record.get("whole") and record.get("draw_seconds") is not None:
                measured["view_whole_s"] = record["draw_seconds"]
                detail["view_whole_s"] = (
                    f"{record['nodes']} nodes, {record['edges']} edges; opened to ready"
                    f" (written in {record['write_seconds']:.2f} s)"
                )
                continue
            if record["nodes"] >= 20000:
                measured["view_20000_refused"] = 1 if record.get("refused") else 0
                detail["view_20000_refused"] = record.get("message", "not refused")
    cold = results.get("cold")
    if cold:
        kz_cold = cold["kzgraph query entity-facts"]["median_s"]
        pyox = cold["python -c " + repr("import pyoxigraph")]["median_s"]
        measured["cold_start_s"] = kz_cold
        measured["cold_ratio"] = kz_cold / pyox
        detail["cold_start_s"] = (
            f"median of {cold['kzgraph query entity-facts']['runs']}; import rdflib alone"
            f" {cold['python -c ' + repr('import rdflib')]['median_s']:.2f} s"
        )
        detail["cold_ratio"] = f"{kz_cold:.3f} s vs {pyox:.3f} s"
    out = []
    for key, (description, limit, op) in TARGETS.items():
        value = measured.get(key)
        met = None
        if value is not None:
            met = {"<=": value <= limit, "<": value < limit, ">=": value >= limit}[op]
        out.append(
            {
                "key": key,
                "target": description,
                "limit": f"{op} {limit}",
                "measured": value,
                "met": met,
                "detail": detail.get(key, ""),
            }
        )
    return out


def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


README_START = "<!-- benchmark-results:start -->"
README_END = "<!-- benchmark-results:end -->"


def update_readme(path: Path, results: dict[str, Any]) -> None:
    """Put the machine and the targets table of ``results`` between the README's markers."""
    text = path.read_text("utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise SystemExit(f"{path}: no {README_START} ... {README_END} block to update")
    body = "\n".join(summary_lines(results, heading="####"))
    text = text[: start + len(README_START)] + "\n" + body + "\n" + text[end:]
    path.write_text(text, "utf-8")


def summary_lines(results: dict[str, Any], heading: str = "##") -> list[str]:
    """Where and how the results were measured, and the targets table."""
    m = results["machine"]
    lines = [
        f"Run {results['started']} on {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM,"
        f" {m['system']}; Python {m['versions']['python']}, rdflib {m['versions']['rdflib']},"
        f" pyoxigraph {m['versions']['pyoxigraph']}, {m['versions'].get('oxigraph', 'oxigraph ?')}."
        f" Load average at start {', '.join(f'{x:.2f}' for x in m['load_average_start'])},"
        f" at end {', '.join(f'{x:.2f}' for x in results.get('load_average_end', []))}.",
        f"Command: `{results['command']}`. Sizes: {', '.join(results['sizes'])}; datasets"
        f" generated with seed {results['seed']}.",
        "",
        f"{heading} Targets",
        "",
        "| target | limit | measured | met | detail |",
        "|---|---|---|---|---|",
    ]
    for t in results["targets"]:
        met = {True: "yes", False: "**no**", None: "not measured"}[t["met"]]
        lines.append(
            f"| {t['target']} | {t['limit']} | {fmt(t['measured'])} | {met} | {t['detail']} |"
        )
    return lines


def markdown(results: dict[str, Any]) -> str:
    """The results as Markdown tables."""
    lines = [f"# kzgraph benchmark results ({results['mode']})", "", *summary_lines(results)]
    if "load" in results:
        lines += [
            "",
            "## Load (median of runs; ratios to pyoxigraph `Store.load` on disk, and in memory)",
            "",
            "| size | engine | seconds | peak MB | time ratio | memory ratio |"
            " time vs in-memory | memory vs in-memory | quads in store |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for size, engines in results["load"].items():
            for engine, r in engines.items():
                lines.append(
                    f"| {size} | {ENGINE_NAMES.get(engine, engine)} | {fmt(r['seconds'])} |"
                    f" {fmt(r['peak_mb'], 0)} | {fmt(r['time_ratio'])} | {fmt(r['memory_ratio'])} |"
                    f" {fmt(r['time_ratio_in_memory_ref'])} |"
                    f" {fmt(r['memory_ratio_in_memory_ref'])} |"
                    f" {r['quads']:,} |"
                )
    if "queries" in results:
        lines += ["", "## Queries (median ms; ratio to pyoxigraph direct on the same store)", ""]
        for size, data in results["queries"].items():
            engines = list(data["queries"][0]["engines"])
            lines += [
                f"### {size}",
                "",
                "| query | rows | " + " | ".join(ENGINE_NAMES.get(e, e) for e in engines) + " |",
                "|---|---|" + "---|" * len(engines),
            ]
            for q in data["queries"]:
                cells = []
                for e in engines:
                    t = q["engines"][e]
                    if t["median_ms"] is None:
                        cells.append(f"stopped after {t['stopped_after_s']:g} s")
                        continue
                    ratio = "" if e == "pyoxigraph" else f" ({fmt(t['ratio'])}x)"
                    cells.append(f"{fmt(t['median_ms'], 3)}{ratio}")
                rows = q["engines"]["kzgraph-oxigraph"]["rows"]
                lines.append(f"| {q['title']} | {rows:,} | " + " | ".join(cells) + " |")
            lines.append("")
    if "http" in results:
        h = results["http"]
        lines += [
            "## HTTP endpoint (lookup by subject, "
            f"{h['size']} = {h['quads']:,} quads; wrk, keep-alive)",
            "",
            "| server | median ms (1 client) | p99 ms | req/s (1 client) |"
            f" req/s (8 clients, {h['concurrent_seconds']} s) | p99 ms (8 clients) | errors |"
            " median ms, Python client | p99 ms, Python client |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        rows = [(name, h[name]) for name in h if name.startswith(("oxigraph serve", "kzgraph"))]
        rows += [(n, r) for n, r in h.get("default_store", {}).items() if isinstance(r, dict)]
        for name, r in rows:
            lines.append(
                f"| {name} | {fmt(r['median_ms'], 3)} | {fmt(r['p99_ms'], 3)} |"
                f" {fmt(r['sequential_rps'], 0)} | {fmt(r['concurrent_rps'], 0)} |"
                f" {fmt(r['concurrent_p99_ms'], 2)} | {r['errors']} of {r['requests']:,} |"
                f" {fmt(r.get('python_client_median_ms'), 3)} |"
                f" {fmt(r.get('python_client_p99_ms'), 3)} |"
            )
        lines.append(
            "\nwrk measures the servers with next to no client cost; the Python client"
            " (http.client, sequential, keep-alive) shows the latency a script sees. The last two"
            " rows: the default store (the curated graph in memory) beside `oxigraph serve` on"
            " an Oxigraph copy of the same graph, looking up its subjects. Load average (1, 5,"
            f" 15 min) at the start: {h.get('load_average_start')}, at the end:"
            f" {h.get('load_average_end')}."
        )
    if "view" in results:
        v = results["view"]
        lines += [
            "",
            "## Network view (headless Chromium; draw = until the page marks itself drawn)",
            "",
            "| nodes | edges | write HTML s | HTML MB | draw s | result |",
            "|---|---|---|---|---|---|",
        ]
        for r in v["views"]:
            result = (
                r.get("message")
                if r.get("refused")
                else r.get("error") or r.get("draw_error") or "drawn"
            )
            if r.get("whole") and result == "drawn":
                result = "the curated graph, whole: ready to use"
            lines.append(
                f"| {r['nodes']:,} | {fmt(r.get('edges'))} | {fmt(r.get('write_seconds'))} |"
                f" {fmt(r.get('html_mb'))} | {fmt(r.get('draw_seconds'))} | {result} |"
            )
    if "cold" in results:
        lines += [
            "",
            "## Cold start (whole process)",
            "",
            "| command | median s (wall) | min s (wall) | median s (CPU) | runs |",
            "|---|---|---|---|---|",
        ]
        for name, r in results["cold"].items():
            lines.append(
                f"| `{name}` | {fmt(r['median_s'], 3)} | {fmt(r['min_s'], 3)} |"
                f" {fmt(r.get('cpu_median_s'), 3)} | {r['runs']} |"
            )
        first = results["cold"]["kzgraph query entity-facts"].get("first_run_s")
        lines.append(f"\nFirst run with an empty cache: {fmt(first, 3)} s.")
    if "curated" in results:
        lines += [
            "",
            "## Curated catalogue on the default (in-memory Oxigraph) store (median ms)",
            "",
            "`graph.query(store, text)` with JSON serialisation, next to pyoxigraph's own API on"
            " the same quads; the guarded columns add the query guard as the CLI and the server"
            " run it, for a query seen the first time and once its check is cached.",
            "",
            "| query | kzgraph ms | pyoxigraph ms | ratio | guarded, first use ms"
            " | guarded, cached ms |",
            "|---|---|---|---|---|---|",
        ]
        for q in results["curated"]["queries"]:
            lines.append(
                f"| {q['name']} | {fmt(q['median_ms'], 2)}"
                f" | {fmt(q.get('pyoxigraph_median_ms'), 2)} | {fmt(q.get('ratio'), 2)}"
                f" | {fmt(q.get('guarded_first_use_ms'), 2)}"
                f" | {fmt(q.get('cached_median_ms'), 2)} |"
            )
    if "build" in results:
        b = results["build"]
        lines += [
            "",
            "## Build",
            "",
            f"`graph.build` of the curated graph: {fmt(b['build_s'], 2)} s; parsing the inputs"
            f" plus pySHACL: {fmt(b['parse_and_shacl_s'], 2)} s ({fmt(b['ratio'], 2)}x;"
            f" medians of {b['runs']} in one process).",
        ]
    return "\n".join(lines) + "\n"


ENGINE_NAMES = {
    "pyoxigraph-disk": "pyoxigraph Store.load, on disk (reference)",
    "pyoxigraph-memory": "pyoxigraph Store.load, in memory",
    "pyoxigraph-disk-bulk": "pyoxigraph Store.bulk_load, on disk",
    "kzgraph-oxigraph": "kzgraph, Oxigraph store",
    "kzgraph-memory": "kzgraph, in-memory store (Oxigraph)",
    "pyoxigraph": "pyoxigraph direct (reference)",
}


def console(results: dict[str, Any]) -> str:
    """A compact plain-text summary: the targets table."""
    rows = [["target", "limit", "measured", "met"]]
    for t in results["targets"]:
        met = {True: "yes", False: "NO", None: "-"}[t["met"]]
        rows.append([t["target"], t["limit"], fmt(t["measured"]), met])
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    out = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out) + "\n"


DATA_DIR = DATA


def main(argv: list[str] | None = None) -> int:
    global DATA_DIR
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark kzgraph against pyoxigraph and oxigraph serve; write results.",
        epilog="example:\n  python -m benchmarks --quick\n  python -m benchmarks",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="the reduced form (10k, short runs)")
    parser.add_argument("--sizes", help="comma-separated sizes (10k,100k,1m)")
    parser.add_argument("--only", help=f"comma-separated sections ({','.join(SECTIONS)})")
    parser.add_argument("--repeat", type=int, help="runs per load measurement (median)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--data-dir", default=str(DATA), help="where generated datasets are kept")
    parser.add_argument("--work-dir", help="scratch directory for stores (default: a temp dir)")
    parser.add_argument("--results", default=str(RESULTS), help="where latest.json/.md go")
    parser.add_argument(
        "--readme",
        metavar="FILE",
        help="also put the machine and the targets table into FILE (between its"
        f" {README_START} and {README_END} lines), e.g. README.md",
    )
    parser.add_argument(
        "--memory-limit",
        type=int,
        default=1_100_000,
        help="largest dataset (quads) to load into the in-memory store",
    )
    args = parser.parse_args(argv)

    sizes = args.sizes.split(",") if args.sizes else (["10k"] if args.quick else list(SIZES))
    sections = args.only.split(",") if args.only else list(SECTIONS)
    repeat = args.repeat or (1 if args.quick else 3)
    DATA_DIR = Path(args.data_dir)
    work = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="kzgraph-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "command": "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv),
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "sizes": sizes,
        "seed": args.seed,
    }
    manifests: dict[str, Any] = {}
    http_size = "100k" if "100k" in sizes else sizes[0]
    view_size_quads = 300_000 if not args.quick else 100_000
    try:
        for size in sorted(
            set(sizes + ([http_size] if "http" in sections else [])), key=parse_size
        ):
            log(f"generate {size}")
            manifests[size] = generate(DATA_DIR, size, args.seed).to_json()
        if "load" in sections:
            results["load"] = section_load(sizes, manifests, work, repeat, args.memory_limit)
        if "queries" in sections:
            results["queries"] = section_queries(
                sizes, manifests, work, args.quick, args.memory_limit
            )
        if "http" in sections:
            results["http"] = section_http(http_size, manifests, work, args.quick)
        if "view" in sections:
            label = f"q{view_size_quads}"
            view_manifest = generate(DATA_DIR, label, args.seed, view_size_quads).to_json()
            nodes = [500, 5000] if args.quick else [500, 5000, 20000]
            results["view"] = section_view(view_manifest, nodes)
            if args.quick:
                results["view"]["views"].append(refusal_check(20000))
        if "cold" in sections:
            log("cold start")
            results["cold"] = section_cold(5 if args.quick else 11)
        if "curated" in sections:
            log("curated catalogue, default store")
            results["curated"] = worker("curated", {})
        if "build" in sections:
            log("build")
            results["build"] = worker("build", {"runs": 3 if args.quick else 5})
    finally:
        if not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)
    results["load_average_end"] = os.getloadavg()
    results["targets"] = evaluate(results)
    out = Path(args.results)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    (out / "latest.md").write_text(markdown(results), "utf-8")
    if args.readme:
        update_readme(Path(args.readme), results)
    print(markdown(results))
    print(console(results))
    print(f"written: {out / 'latest.json'}, {out / 'latest.md'}", file=sys.stderr)
    return 0


def refusal_check(nodes: int) -> dict[str, Any]:
    """In the quick form: the view's refusal, on a plain graph of ``nodes`` nodes."""
    import networkx as nx

    from graph.errors import InputError
    from graph.explore.view import render

    graph = nx.MultiDiGraph()
    graph.add_nodes_from(f"https://w3id.org/kzgraph/id/n{i}" for i in range(nodes))
    started = time.perf_counter()
    try:
        render(graph)
    except InputError as exc:  # the view refuses graphs it cannot draw
        return {
            "nodes": nodes,
            "refused": True,
            "message": str(exc),
            "write_seconds": time.perf_counter() - started,
            "note": "plain graph",
        }
    return {"nodes": nodes, "refused": False, "write_seconds": time.perf_counter() - started}


if __name__ == "__main__":
    sys.exit(main())
