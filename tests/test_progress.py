"""Long operations show progress on a terminal and stay quiet when their output is piped.

Each command runs as a real process twice: with standard error on a pseudo-terminal (with a
window size, as a real terminal has) and with standard error piped.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from benchmarks.generate import generate
from tests.conftest import REPO, client_args
from tests.support.servers import oxigraph_server


def run_on_terminal(args: list[str], cwd: Path = REPO) -> tuple[int, str]:
    """``kzgraph ARGS`` with standard error on a 100x24 pseudo-terminal; exit code and output."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "graph.cli", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=secondary,
    )
    os.close(secondary)
    chunks = []
    while True:
        ready, _w, _x = select.select([primary], [], [], 0.1)
        if ready:
            try:
                data = os.read(primary, 65536)
            except OSError:  # the other end closed
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    process.wait(120)
    os.close(primary)
    return process.returncode, b"".join(chunks).decode(errors="replace")


def run_piped(args: list[str], cwd: Path = REPO) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "graph.cli", *args], cwd=cwd, capture_output=True, timeout=300
    )


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("progress")
    manifest = generate(out, "40k")
    return out / manifest.files["nquads"]


@pytest.mark.slow
def test_loading_a_large_file(big_file, tmp_path):
    code, shown = run_on_terminal(["load", str(big_file), "--location", str(tmp_path / "t")])
    assert code == 0, shown
    assert f"loading {big_file.name}" in shown
    assert "%|" in shown and "B/s" in shown  # a bar counting bytes read
    assert "merging" in shown  # the second pass, into the default graph
    assert "quads" in shown  # the summary line
    piped = run_piped(["load", str(big_file), "--location", str(tmp_path / "p")])
    assert piped.returncode == 0 and piped.stderr == b"" and piped.stdout == b""


@pytest.mark.slow
@pytest.mark.server
def test_reconciling_entities(wikidata_endpoint, tmp_path):
    link = ["link", "--dry-run", "--entity", "igor-rogov", "--entity", "venice-commission"]
    code, shown = run_on_terminal([*link, *client_args(wikidata_endpoint, tmp_path / "cache")])
    assert code == 0, shown
    assert "reconciling with" in shown and "%|" in shown
    piped = run_piped([*link, *client_args(wikidata_endpoint, tmp_path / "cache2")])
    assert piped.returncode == 0, piped.stderr
    assert b"reconciling with" not in piped.stderr and b"%|" not in piped.stderr


@pytest.mark.slow
@pytest.mark.server
def test_publishing_to_an_endpoint(tmp_path):
    with oxigraph_server(tmp_path / "oxigraph") as remote:
        base = remote.base
        args = ["publish", "--endpoint", f"{base}/query", "--graph-store", f"{base}/store"]
        code, shown = run_on_terminal(args)
        assert code == 0, shown
        assert f"publishing to {base}/store" in shown and "graph/s" in shown
        piped = run_piped(args)
        assert piped.returncode == 0, piped.stderr
        assert b"publishing to" not in piped.stderr and b"%|" not in piped.stderr
