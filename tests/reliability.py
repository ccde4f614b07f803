"""Shared helpers of the reliability tests: the full or reduced form, servers, memory, wrk.

The tests run in a reduced form by default (CI); ``KZGRAPH_RELIABILITY=full`` runs the full
form (32 clients for 60 s, thousands of fuzzed requests, dozens of kills).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.sparql_servers import free_port

REPO = Path(__file__).resolve().parent.parent
FULL = os.environ.get("KZGRAPH_RELIABILITY", "").lower() == "full"


def scale(reduced: int, full: int) -> int:
    """``full`` in the full form, ``reduced`` in CI."""
    return full if FULL else reduced


@dataclass
class Server:
    """A ``kzgraph serve`` process and where it listens."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def output(self) -> str:
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


@contextlib.contextmanager
def kzgraph_serve(
    *args: str, timeout: float = 120.0, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """``kzgraph serve`` on a free loopback port; its output goes to a file (never a full pipe)."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="kzgraph-serve-", suffix=".log")[1])
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "graph.cli", "serve", "--port", str(port), *args],
            cwd=REPO,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONHASHSEED": "0", **(env or {})},
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"kzgraph serve exited: {server.output()}")
            try:
                with urllib.request.urlopen(f"{server.base}/sparql?query=ASK%7B%7D", timeout=5):
                    break
            except urllib.error.HTTPError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"kzgraph serve did not start: {server.output()}") from None
                time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        log.unlink(missing_ok=True)


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is missing: apt-get install -y wrk")
    return found


WRK_SCRIPT = """
requests = {%s}
i = 0
request = function()
  i = i %% #requests + 1
  local r = requests[i]
  return wrk.format(r[1], r[2], r[3], r[4])
end
"""


def run_wrk(
    base: str,
    requests: Sequence[tuple[str, str, dict[str, str], str | None]],
    clients: int,
    seconds: int,
    workdir: Path,
) -> dict[str, object]:
    """wrk with ``clients`` connections cycling through ``requests`` (method, path, headers,
    body)."""
    entries = []
    for method, path, headers, body in requests:
        header_table = (
            "{"
            + ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
            + "}"
        )
        entries.append(
            f"{{{json.dumps(method)}, {json.dumps(path)}, {header_table},"
            f" {json.dumps(body) if body is not None else 'nil'}}}"
        )
    script = workdir / "requests.lua"
    script.write_text(WRK_SCRIPT % ", ".join(entries))
    threads = min(clients, 2)
    done = subprocess.run(
        [
            wrk_binary(),
            f"-t{threads}",
            f"-c{clients}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "30s",
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
    )
    out = done.stdout
    result: dict[str, object] = {"raw": out + done.stderr}
    match = re.search(r"(\d+) requests in", out)
    result["requests"] = int(match.group(1)) if match else 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    result["non_2xx"] = int(non2xx.group(1)) if non2xx else 0
    result["socket_errors"] = sum(int(g) for g in sockets.groups()) if sockets else 0
    return result


def store_digest(location: Path) -> tuple[int, str]:
    """Number of quads and a hash of the sorted quads of the store's active content."""
    import pyoxigraph as ox

    from graph.stores.bulkload import store_dir

    store = ox.Store.read_only(str(store_dir(location)))
    lines = sorted(str(q) for q in store)
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return len(lines), digest
