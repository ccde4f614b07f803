"""wrk, the HTTP load generator: a run against a server, cycling through given requests, and
the figures of its report. The load test and the benchmarks' HTTP section both use it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: One request a client sends: method, path, headers, body (None for none).
Request = tuple[str, str, dict[str, str], str | None]

#: The Lua script wrk runs: each connection takes the next of ``requests`` in turn.
SCRIPT = """
requests = {%s}
i = 0
request = function()
  i = i %% #requests + 1
  local r = requests[i]
  return wrk.format(r[1], r[2], r[3], r[4])
end
"""


def wrk_binary() -> str:
    """The ``wrk`` executable on PATH."""
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is missing: apt-get install -y wrk")
    return found


def lua_requests(requests: Sequence[Request]) -> str:
    """``requests`` as the Lua table entries of :data:`SCRIPT`."""
    entries = []
    for method, path, headers, body in requests:
        header_table = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
        entries.append(
            f"{{{json.dumps(method)}, {json.dumps(path)}, {{{header_table}}},"
            f" {json.dumps(body) if body is not None else 'nil'}}}"
        )
    return ", ".join(entries)


def run_wrk(
    base: str, requests: Sequence[Request], clients: int, seconds: float, workdir: Path
) -> dict[str, Any]:
    """wrk with ``clients`` keep-alive connections on up to two threads for ``seconds``, cycling
    through ``requests``; the figures of its report (:func:`parse_wrk`) and its stderr."""
    script = workdir / "requests.lua"
    script.write_text(SCRIPT % lua_requests(requests))
    done = subprocess.run(
        [
            wrk_binary(),
            f"-t{min(clients, 2)}",
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
    return {**parse_wrk(done.stdout), "stderr": done.stderr}


def _duration_ms(text: str) -> float:
    """A wrk duration (``766.00us``, ``2.10ms``, ``1.5s``, ``1m``) in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unreadable wrk duration {text!r}")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(output: str) -> dict[str, Any]:
    """The figures of a ``wrk --latency`` report: latency percentiles (``p50_ms`` ...), requests,
    requests per second, non-2xx answers, socket errors, and ``errors``, the two together."""
    result: dict[str, Any] = {"raw": output}
    for pct in ("50", "75", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+(\S+)", output, flags=re.M)
        if match:
            result[f"p{pct}_ms"] = _duration_ms(match.group(1))
    match = re.search(r"(\d+) requests in", output)
    result["requests"] = int(match.group(1)) if match else 0
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    result["requests_per_s"] = float(match.group(1)) if match else 0.0
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = int(match.group(1)) if match else 0
    match = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    result["socket_errors"] = sum(int(g) for g in match.groups()) if match else 0
    result["errors"] = result["non_2xx"] + result["socket_errors"]
    return result
