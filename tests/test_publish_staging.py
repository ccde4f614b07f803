"""``kzgraph publish`` against a real ``oxigraph serve`` on loopback, with injected failures.

Regression (issue 17, "publish leaves a mixed remote"): when the graph store failed on the third
PUT, two graphs were new and the default graph old, and the message did not say so. Now graphs
are staged under temporary names and switched in by one SPARQL Update; a failure before or at
the switch leaves every published graph as it was (and drops the staged copies). Without
staging, the message says exactly which graphs are new and which old.

A small forwarding proxy sits between publish and Oxigraph and answers 500 to the request chosen
for failure.
"""

from __future__ import annotations

import http.server
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from graph.cli.main import main
from graph.stores.publish import STAGING_PREFIX

from .conftest import MINI, problem_lines
from .support.servers import oxigraph_server, running

pytestmark = pytest.mark.server

EVERYTHING = "SELECT ?g ?s ?p ?o WHERE { { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o } }"


class FailingProxy(http.server.ThreadingHTTPServer):
    """Forwards to ``target``; answers 500 to the ``fail_put``-th PUT or to the MOVE update."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.fail_put = 0
        self.fail_switch = False
        self.puts = 0
        super().__init__(("127.0.0.1", 0), _Forward)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Forward(http.server.BaseHTTPRequestHandler):
    server: FailingProxy

    def log_message(self, *args: object) -> None:
        pass

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.command == "PUT":
            self.server.puts += 1
            if self.server.puts == self.server.fail_put:
                return self._refuse()
        if self.command == "POST" and self.server.fail_switch and b"MOVE GRAPH" in body:
            return self._refuse()
        answer = httpx.request(
            self.command,
            self.server.target + self.path,
            content=body,
            headers={k: v for k, v in self.headers.items() if k.lower() in {"content-type"}},
        )
        self.send_response(answer.status_code)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    def _refuse(self) -> None:
        message = b"injected failure\n"
        self.send_response(500)
        self.send_header("Content-Length", str(len(message)))
        self.end_headers()
        self.wfile.write(message)

    do_GET = do_PUT = do_POST = _forward  # noqa: N815 - http.server dispatches on these names


@pytest.fixture
def oxigraph(tmp_path: Path) -> Iterator[str]:
    with oxigraph_server(tmp_path / "oxigraph") as served:
        yield served.base


@pytest.fixture
def proxy(oxigraph: str) -> Iterator[FailingProxy]:
    server = FailingProxy(oxigraph)
    with running(server):
        yield server


def project(root: Path, label: str) -> list[str]:
    """A copy of the mini project whose one label says ``label``; its input options."""
    where = root / label.replace(" ", "-")
    shutil.copytree(MINI, where)
    data = where / "data" / "mini.trig"
    data.write_text(data.read_text().replace('"Jane Example"@en', f'"{label}"@en'))
    return ["--ontology", str(where / "ontology"), "--data", str(where / "data")]


def remote_content(base: str) -> set[str]:
    answer = httpx.post(
        f"{base}/query",
        content=EVERYTHING,
        headers={"Content-Type": "application/sparql-query", "Accept": "text/tab-separated-values"},
    )
    answer.raise_for_status()
    return set(answer.text.splitlines()[1:])


def publish_args(oxigraph: str, store: str, update: str | None, inputs: list[str]) -> list[str]:
    args = ["publish", "--endpoint", f"{oxigraph}/query", "--graph-store", f"{store}/store"]
    return args + (["--update", f"{update}/update"] if update else ["--no-staging"]) + inputs


def test_a_failure_on_the_third_put_leaves_every_published_graph_as_it_was(
    oxigraph, proxy, tmp_path, capsys
):
    first = project(tmp_path, "Jane Example")
    assert main(publish_args(oxigraph, oxigraph, oxigraph, first)) == 0
    before = remote_content(oxigraph)
    assert any("Jane Example" in row for row in before)
    capsys.readouterr()

    proxy.fail_put = 3
    second = project(tmp_path, "Jane Example the second")
    code = main(publish_args(oxigraph, proxy.url, proxy.url, second))

    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1, err
    assert "answered 500: injected failure while staging" in err[0]
    assert "(3 of " in err[0]
    assert "nothing was switched: every published graph is as before" in err[0]
    assert "(the staged copies were removed)" in err[0]
    assert remote_content(oxigraph) == before  # no new graph, no staged copy left behind

    proxy.fail_put = 0
    assert main(publish_args(oxigraph, proxy.url, proxy.url, second)) == 0
    after = remote_content(oxigraph)
    assert any("Jane Example the second" in row for row in after)
    assert not any('"Jane Example"@en' in row for row in after)
    assert not any(STAGING_PREFIX in row for row in after)
    assert "switched in at once by" in capsys.readouterr().err


def test_a_failed_switch_leaves_every_published_graph_as_it_was(oxigraph, proxy, tmp_path, capsys):
    first = project(tmp_path, "Jane Example")
    assert main(publish_args(oxigraph, oxigraph, oxigraph, first)) == 0
    before = remote_content(oxigraph)
    capsys.readouterr()

    proxy.fail_switch = True
    second = project(tmp_path, "Jane Example the second")
    assert main(publish_args(oxigraph, proxy.url, proxy.url, second)) == 1
    err = capsys.readouterr().err
    assert "answered 500: injected failure to the switch" in err
    assert "still holds every published graph as before" in err
    assert remote_content(oxigraph) == before


def test_without_staging_the_message_says_which_graphs_are_new_and_which_old(
    oxigraph, proxy, tmp_path, capsys
):
    first = project(tmp_path, "Jane Example")
    assert main(publish_args(oxigraph, oxigraph, None, first)) == 0
    capsys.readouterr()

    proxy.fail_put = 3
    second = project(tmp_path, "Jane Example the second")
    assert main(publish_args(oxigraph, proxy.url, None, second)) == 1
    err = capsys.readouterr().err.strip()
    assert len(problem_lines(err)) == 1
    assert "the remote is now MIXED: 2 graph(s) replaced (<" in err
    assert "still old (<" in err and "the default graph" in err
    assert "run kzgraph publish again to finish, or give --update URL" in err


def test_the_update_endpoint_defaults_from_the_query_endpoint(oxigraph, tmp_path, capsys):
    inputs = project(tmp_path, "Jane Example")
    args = ["publish", "--endpoint", f"{oxigraph}/query", "--graph-store", f"{oxigraph}/store"]
    assert main(args + inputs) == 0
    assert f"switched in at once by {oxigraph}/update" in capsys.readouterr().err


def test_an_update_endpoint_that_refuses_changes_nothing(oxigraph, tmp_path, capsys):
    inputs = project(tmp_path, "Jane Example")
    args = publish_args(oxigraph, oxigraph, oxigraph, inputs)
    args[args.index("--update") + 1] = f"{oxigraph}/no-such-endpoint"
    before = remote_content(oxigraph)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "refused a no-op update" in err and "the remote is unchanged" in err
    assert remote_content(oxigraph) == before


def test_without_staging_a_failure_on_the_first_put_says_nothing_changed(
    oxigraph, proxy, tmp_path, capsys
):
    inputs = project(tmp_path, "Jane Example")
    before = remote_content(oxigraph)
    proxy.fail_put = 1
    assert main(publish_args(oxigraph, proxy.url, None, inputs)) == 1
    err = capsys.readouterr().err
    assert "answered 500: injected failure for <" in err
    assert "nothing was replaced, the remote is as before" in err
    assert remote_content(oxigraph) == before
