"""Servers started on free loopback ports for the tests and the benchmarks, and stopped after.

``kzgraph serve`` itself, Oxigraph's own server (the ``oxigraph`` CLI from PyPI), Virtuoso 7
(Debian's ``virtuoso-opensource-7``, with its own ini binding both ports to 127.0.0.1), and
in-process stubs. A server's output goes to a temporary file, never to a pipe nobody reads (a
full pipe blocks a chatty server), and is shown when the server fails to start.
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
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
#: How long a server may take to answer at all: Virtuoso creating its database, or kzgraph
#: loading the curated graph into a persistent store, take tens of seconds on a busy machine.
START_TIMEOUT = 120.0
#: The query every probe sends: the smallest one a SPARQL endpoint answers.
ASK = "query=ASK%7B%7D"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now: for a server to bind, or to find nobody at."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A server process, the base URL it answers on, and the file its output goes to."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def output(self) -> str:
        """The end of what the server wrote (standard output and error), for failure messages."""
        return self.log.read_text(errors="replace")[-4000:]

    def tree_rss_mb(self) -> float:
        """Resident memory of the server and all its worker processes."""
        import psutil

        root = psutil.Process(self.process.pid)
        total = 0
        for proc in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total / 2**20


def wait_for(server: Server, probe: str, timeout: float) -> None:
    """Poll ``server.base + probe`` until it answers (any HTTP status); fail at once, with the
    server's output, if its process exits first."""
    url = server.base + probe
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited with {server.process.returncode}: {server.output()}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s: {server.output()}")


def stop(process: subprocess.Popen[bytes], stop_signal: int, grace: float) -> None:
    """Ask ``process`` to stop with ``stop_signal``; kill it if it is still there after
    ``grace`` seconds."""
    if process.poll() is None:
        process.send_signal(stop_signal)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextlib.contextmanager
def serving(
    command: Sequence[str],
    port: int,
    probe: str,
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = START_TIMEOUT,
    stop_signal: int = signal.SIGINT,
    grace: float = 20.0,
) -> Iterator[Server]:
    """Run ``command``, a server listening on 127.0.0.1:``port``, from the moment ``probe``
    answers until the block ends; then stop it and remove its output."""
    fd, name = tempfile.mkstemp(prefix="kzgraph-server-", suffix=".log")
    log = Path(name)
    with os.fdopen(fd, "wb") as sink:
        process = subprocess.Popen(
            list(command), cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        wait_for(server, probe, timeout)
        yield server
    finally:
        stop(process, stop_signal, grace)
        log.unlink(missing_ok=True)


@contextlib.contextmanager
def kzgraph_serve(*args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """``kzgraph serve ARGS`` from the checkout, ready once its endpoint answers a query."""
    port = free_port()
    with serving(
        [sys.executable, "-m", "graph.cli", "serve", "--port", str(port), *args],
        port,
        f"/sparql?{ASK}",
        cwd=REPO,
        env={**os.environ, "PYTHONHASHSEED": "0", **(env or {})},
    ) as server:
        yield server


def oxigraph_binary() -> str:
    """The ``oxigraph`` CLI, on PATH or beside this Python."""
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        raise RuntimeError("the oxigraph CLI is missing: pip install oxigraph")
    return found


@contextlib.contextmanager
def oxigraph_server(location: Path, *, read_only: bool = False) -> Iterator[Server]:
    """``oxigraph serve`` (or ``serve-read-only``) of the store at ``location``; its endpoints
    are ``/query`` and ``/store`` under the base URL."""
    port = free_port()
    command = [
        oxigraph_binary(),
        "serve-read-only" if read_only else "serve",
        "--location",
        str(location),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    with serving(command, port, f"/query?{ASK}") as server:
        yield server


@contextlib.contextmanager
def virtuoso_server(directory: Path) -> Iterator[Server]:
    """Virtuoso 7 with a fresh database in ``directory``; its endpoint is ``/sparql``."""
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
    with serving(
        [binary, "-f", "-c", str(directory / "virtuoso.ini")],
        http_port,
        f"/sparql?{ASK}",
        cwd=directory,
        stop_signal=signal.SIGTERM,
        grace=30.0,
    ) as server:
        yield server


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
        self._running = running(self.server)

    def __enter__(self) -> CountingServer:
        self._running.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._running.__exit__(None, None, None)
