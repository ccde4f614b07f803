"""Real servers for the SPARQL tests, started and stopped on free loopback ports.

Oxigraph's own server (the ``oxigraph`` CLI from PyPI), Virtuoso 7 (Debian's
``virtuoso-opensource-7``, with its own ini binding both ports to 127.0.0.1), ``kzgraph serve``
itself, and a plain HTTP server that only counts who contacts it.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rdflib import Literal
from rdflib.term import Node

REPO = Path(__file__).resolve().parent.parent
VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes] | None, timeout: float = 60.0) -> None:
    """Poll ``url`` until it answers (any HTTP status), or fail with the process's output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            out = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise RuntimeError(f"server exited with {process.returncode}: {out[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    if process.stdout:
        process.stdout.close()


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        raise RuntimeError("the oxigraph CLI is missing: pip install oxigraph")
    return found


@contextlib.contextmanager
def oxigraph_server(location: Path) -> Iterator[str]:
    """``oxigraph serve`` on a free port; yields its base URL (``/query``, ``/store``)."""
    port = free_port()
    process = subprocess.Popen(
        [oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/query?query=ASK%7B%7D", process)
        yield base
    finally:
        stop(process)


@contextlib.contextmanager
def virtuoso_server(directory: Path) -> Iterator[str]:
    """Virtuoso 7 with a fresh database in ``directory``; yields its HTTP base URL."""
    binary = shutil.which("virtuoso-t")
    if binary is None or not VIRTUOSO_INI.is_file():
        raise RuntimeError("Virtuoso is missing: apt-get install -y virtuoso-opensource-7")
    sql_port, http_port = free_port(), free_port()
    ini = VIRTUOSO_INI.read_text()
    ini = ini.replace("/var/lib/virtuoso-opensource-7/db/", f"{directory}/")
    ini = re.sub(r"(?m)^ServerPort\s*=\s*1111\s*$", f"ServerPort = 127.0.0.1:{sql_port}", ini)
    ini = re.sub(r"(?m)^ServerPort\s*=\s*8890\s*$", f"ServerPort = 127.0.0.1:{http_port}", ini)
    assert f"127.0.0.1:{sql_port}" in ini and f"127.0.0.1:{http_port}" in ini
    (directory / "virtuoso.ini").write_text(ini)
    process = subprocess.Popen(
        [binary, "-f", "-c", str(directory / "virtuoso.ini")],
        cwd=directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{http_port}"
    try:
        wait_for(f"{base}/sparql?query=ASK%7B%7D", process, timeout=120)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        if process.stdout:
            process.stdout.close()


@contextlib.contextmanager
def kzgraph_server(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``kzgraph serve`` as a real process on a free port; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "graph.cli", "serve", "--port", str(port), *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/static/kzgraph.css", process, timeout=120)
        yield base
    finally:
        stop(process)


@contextlib.contextmanager
def running(server: http.server.HTTPServer) -> Iterator[None]:
    """Serve ``server`` from a daemon thread until the block ends, then shut it and close it."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


class CountingServer:
    """A loopback HTTP server that answers 200 to everything and counts every request."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        counter = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                counter.hits.append(f"{self.command} {self.path}")
                body = b"<urn:a> <urn:b> <urn:c> .\n"
                self.send_response(200)
                self.send_header("Content-Type", "application/n-triples")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _answer  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> CountingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- Comparing answers across engines --


def separators(query: str) -> list[str]:
    """The GROUP_CONCAT separators a query uses (SPARQL's default is a space)."""
    found = re.findall(r'SEPARATOR\s*=\s*"((?:[^"\\]|\\.)*)"', query, flags=re.IGNORECASE)
    if re.search(r"GROUP_CONCAT", query, flags=re.IGNORECASE) and not found:
        found = [" "]
    return found


def normalise(rows: Sequence[Sequence[Node | None]], query: str) -> Counter[tuple[object, ...]]:
    """Rows as a multiset, with the one freedom SPARQL 1.1 leaves engines taken out: the order
    of GROUP_CONCAT's values is undefined (SPARQL 1.1, 18.5.1.7), so string literals of a query
    using GROUP_CONCAT compare as the sorted list of their parts (with their tag or datatype).
    """
    seps = separators(query)

    def norm(term: Node | None) -> object:
        if seps and isinstance(term, Literal) and (term.language or term.datatype is None):
            parts = [str(term)]
            for sep in seps:
                parts = [piece for part in parts for piece in part.split(sep)]
            return ("concat", tuple(sorted(parts)), term.language)
        return term

    return Counter(tuple(norm(t) for t in row) for row in rows)


def split_catalogue() -> tuple[list[Any], list[Any]]:
    """The catalogue queries that run on the dataset alone, and those that need SERVICE.

    The federated ones are refused under the default policy, so they are tested for that.
    """
    from graph.sparql.catalogue import list_queries
    from graph.sparql.guard import check_query
    from graph.sparql.results import QueryRefused

    local, federated = [], []
    for entry in list_queries():
        try:
            check_query(entry.text)
            local.append(entry)
        except QueryRefused:
            federated.append(entry)
    return local, federated
