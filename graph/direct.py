"""Direct serving: sandboxed HTTP processes that answer queries themselves.

``kzgraph serve`` over a read-only Oxigraph store does not hand each query to a separate worker
process: the round trip through a pipe, a thread hop and the ASGI stack cost more than Oxigraph
takes to answer a lookup. Instead :func:`serve_direct` (the *supervisor*) binds the listening
socket and starts ``workers`` server processes that share it. Each server process

- opens the store read-only, then locks itself down exactly as a query worker does
  (:func:`graph.sandbox.lockdown`: a private, empty network namespace, so the inherited
  listening socket still accepts but nothing can be dialled out; an audit hook refusing file
  writes, reads outside the installation, subprocesses and connections);
- answers each connection in its own thread. Oxigraph releases the GIL while it evaluates and
  serialises, so a slow query holds up only its own connection. A SPARQL request the protocol
  handler can take as it is (a query in ``?query=``, a form body or an
  ``application/sparql-query`` body, no other parameters, no ``Origin``) is answered on the
  spot through the same guard and the same Oxigraph serialisers as everywhere else
  (:func:`graph.sandbox.run_op`); every other request (pages, YASGUI, VoID, the service
  description, errors the protocol spells out) goes to the ordinary Starlette application
  (:func:`graph.server.create_app`) on the process's event loop, over a :class:`DirectPool`;
- enforces the time limit with a watchdog thread. A query that overruns is answered with the
  same 503 as the worker pool gives, and the process *recycles*: it tells the supervisor, which
  starts a replacement at once, stops accepting, answers what is in flight with
  ``Connection: close``, closes idle keep-alive connections after a grace period and exits,
  taking the runaway evaluation with it.

HTTP is parsed by httptools (the parser uvicorn uses); the server loop here only frames
requests and responses (HTTP/1.1 keep-alive and pipelining, ``Expect: 100-continue``, HEAD,
caps on the URL, header block and body size).
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import functools
import http
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.utils import formatdate
from multiprocessing.connection import Connection, wait
from typing import Any
from urllib.parse import parse_qsl, unquote

import httptools

from graph.errors import InputError
from graph.query import QueryError, QueryRefused, QueryTimeout, StoreUnavailable
from graph.sandbox import Policy, lockdown, run_op
from graph.server import GRAPH_MEDIA, RESULT_MEDIA, _with_charset, create_app, negotiate
from graph.stores import Store, StoreSpec, open_store

#: Largest request header block (request line and headers), as most servers allow.
MAX_HEADER_BYTES = 64 * 1024
#: Connections one server process holds at once (a thread each); more are refused with 503.
MAX_CONNECTIONS = 512
#: Seconds an idle keep-alive connection stays open.
KEEP_ALIVE_SECONDS = 30.0
#: Seconds a recycling process keeps answering its open connections before it exits.
DRAIN_SECONDS = 2.0
#: Milliseconds a process defers a new connection to a less busy one, at most.
MAX_DEFERRALS = 5
#: Seconds the supervisor may take to stop its processes before it exits regardless.
SHUTDOWN_SECONDS = 12.0
#: How often the watchdog looks at the queries in flight.
WATCHDOG_INTERVAL = 0.05
#: Fast-path parameters: any other one sends the request through the full protocol handler.
_FAST_PARAMS = frozenset({"query"})


# -- Helpers shared by both paths --


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


_date_cache: list[Any] = [0, b""]


def _http_date() -> bytes:
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0] = now
        _date_cache[1] = formatdate(now, usegmt=True).encode("ascii")
    return bytes(_date_cache[1])


def _head(status: int, headers: list[tuple[bytes, bytes]], length: int, close: bool) -> bytes:
    """The status line and headers of a response, with Content-Length, Date and Connection."""
    lines = [b"HTTP/1.1 %d %s" % (status, _reason(status).encode("ascii"))]
    has_length = False
    for name, value in headers:
        lower = name.lower()
        if lower in (b"connection", b"keep-alive", b"transfer-encoding", b"date", b"server"):
            continue
        if lower == b"content-length":
            has_length = True
        if b"\r" in value or b"\n" in value or b"\r" in name or b"\n" in name:
            continue  # never let a header value split the response
        lines.append(name + b": " + value)
    if not has_length:
        lines.append(b"content-length: %d" % length)
    lines.append(b"date: " + _http_date())
    lines.append(b"server: kzgraph")
    if close:
        lines.append(b"connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _plain(
    status: int, message: str, *extra: tuple[bytes, bytes]
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """A plain-text answer, with ``Retry-After`` on a 503 as the full handler sends it."""
    headers = [(b"content-type", b"text/plain; charset=utf-8"), *extra]
    if status == 503:
        headers.append((b"retry-after", b"5"))
    return status, headers, (message + "\n").encode("utf-8")


@functools.lru_cache(maxsize=256)
def _formats(accept: str | None) -> tuple[str, str]:
    """(result format, graph format) for an Accept header, as the protocol handler picks them."""
    return (
        negotiate(accept, RESULT_MEDIA, "json") or "json",
        negotiate(accept, GRAPH_MEDIA, "turtle") or "turtle",
    )


@functools.lru_cache(maxsize=1024)
def _plain_query(url: bytes, media: bytes | None, body: bytes) -> str | None:
    """The query of a plain SPARQL request (None: let the full protocol handler answer).

    ``media`` is the POST body's media type, None for GET and HEAD. Plain means: path
    ``/sparql``; for GET exactly one parameter, ``query``; for POST no URL parameters and
    either an ``application/sparql-query`` body or a form body holding only ``query``.
    Cached per distinct request (percent-decoding a long query costs more than a lookup):
    only the decoding is reused, the query still runs every time.
    """
    path, _, query_string = url.partition(b"?")
    if path != b"/sparql":
        return None
    try:
        params = parse_qsl(query_string.decode("utf-8"), keep_blank_values=True)
        if media is None:
            if len(params) == 1 and params[0][0] in _FAST_PARAMS:
                return params[0][1]
            return None
        if params:
            return None
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if media == b"application/sparql-query":
        return text
    if media == b"application/x-www-form-urlencoded":
        form = parse_qsl(text, keep_blank_values=True)
        if len(form) == 1 and form[0][0] in _FAST_PARAMS:
            return form[0][1]
    return None


# -- The in-process pool the Starlette application calls --


class DirectPool:
    """What the Starlette application needs of :class:`graph.sandbox.WorkerPool` (``call``),
    answered in this process.

    Operations run on a thread pool (Oxigraph releases the GIL), so the event loop stays free;
    one that overruns the time limit is answered with :class:`QueryTimeout` and makes the
    process recycle (``on_overrun``), since a running evaluation cannot be interrupted.
    """

    def __init__(
        self,
        store: Store,
        policy: Policy,
        timeout: float,
        on_overrun: Callable[[str], None],
        size: int = 8,
    ) -> None:
        self.store = store
        self.policy = policy
        self.timeout = timeout
        self.on_overrun = on_overrun
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="kzgraph-op")

    async def call(self, op: str, *args: Any, timeout: float | None = None) -> Any:
        limit = self.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, run_op, self.store, self.policy, op, args)
        try:
            return await asyncio.wait_for(future, limit)
        except TimeoutError:
            self.on_overrun(f"{op} ran longer than {limit:g} s")
            raise QueryTimeout(
                f"the query ran longer than the time limit of {limit:g} s and was stopped"
            ) from None

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


# -- One server process --


@dataclass
class _Request:
    method: str = ""
    url: bytearray = field(default_factory=bytearray)
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)
    keep_alive: bool = True
    http_version: str = "1.1"
    header_bytes: int = 0
    expect_continue: bool = False

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None


class _RefusedError(Exception):
    """A request the server answers with an error status and then closes the connection."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Connection:
    """One client connection: parse requests with httptools and answer them in turn."""

    def __init__(self, server: _ServerProcess, sock: socket.socket, peer: Any) -> None:
        self.server = server
        self.sock = sock
        self.peer = peer if isinstance(peer, tuple) else ("", 0)
        self.parser = httptools.HttpRequestParser(self)
        self.current: _Request | None = None
        self.ready: list[_Request] = []
        self.refused: _RefusedError | None = None
        self.lock = threading.Lock()
        self.abandoned = False  # the watchdog answered for an overrunning query
        self.busy = False  # a request is being answered

    # httptools callbacks

    def on_message_begin(self) -> None:
        self.current = _Request()

    def on_url(self, url: bytes) -> None:
        request = self.current
        if request is None or self.refused:
            return
        request.url += url
        request.header_bytes += len(url)
        if len(request.url) > self.server.max_request_bytes + MAX_HEADER_BYTES:
            self._refuse_long_url()

    def _refuse_long_url(self) -> None:
        self.refused = _RefusedError(
            414, f"query string longer than {self.server.max_request_bytes} bytes"
        )

    def on_header(self, name: bytes, value: bytes) -> None:
        request = self.current
        if request is None or self.refused:
            return
        request.header_bytes += len(name) + len(value) + 4
        if request.header_bytes > MAX_HEADER_BYTES:
            self.refused = _RefusedError(431, "request headers too large")
            return
        request.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        request = self.current
        if request is None:
            return
        if len(request.url.partition(b"?")[2]) > self.server.max_request_bytes:
            self._refuse_long_url()  # the same cap as the full handler's, on the query string
            return
        request.method = self.parser.get_method().decode("ascii", "replace")
        request.http_version = self.parser.get_http_version()
        request.keep_alive = self.parser.should_keep_alive()
        if self.parser.should_upgrade():
            self.refused = _RefusedError(400, "protocol upgrades are not supported")
            return
        declared = request.header(b"content-length")
        cap = self.server.max_request_bytes
        if declared is not None and declared.isdigit() and int(declared) > cap:
            self.refused = _RefusedError(413, f"request body larger than {cap} bytes")
            return
        expect = request.header(b"expect")
        request.expect_continue = expect is not None and expect.lower() == b"100-continue"

    def on_body(self, body: bytes) -> None:
        request = self.current
        if request is None or self.refused:
            return
        request.body += body
        if len(request.body) > self.server.max_request_bytes:
            self.refused = _RefusedError(
                413, f"request body larger than {self.server.max_request_bytes} bytes"
            )

    def on_message_complete(self) -> None:
        if self.current is not None and not self.refused:
            self.ready.append(self.current)
        self.current = None

    # the loop

    def run(self) -> None:
        try:
            self._serve()
        except OSError:
            pass  # the client went away
        finally:
            self.server.forget(self)
            with contextlib.suppress(OSError):
                self.sock.close()

    def _serve(self) -> None:
        sock = self.sock
        # idle and stalled connections time out in the kernel (SO_RCVTIMEO / SO_SNDTIMEO): a
        # Python socket timeout would add a poll() before every recv and send
        idle = struct.pack("ll", int(KEEP_ALIVE_SECONDS), 0)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, idle)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, idle)
        while True:
            try:
                data = sock.recv(65536)
            except (BlockingIOError, TimeoutError):
                return
            if not data:
                return
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserUpgrade:
                self.refused = self.refused or _RefusedError(
                    400, "protocol upgrades are not supported"
                )
            except httptools.HttpParserError as exc:
                self.refused = self.refused or _RefusedError(400, f"malformed HTTP request: {exc}")
            while self.ready:
                request = self.ready.pop(0)
                if not self._answer(request):
                    return
            if self.refused:
                self._send_plain(self.refused.status, self.refused.message)
                self._lingering_close()
                return
            current = self.current
            if current is not None and current.expect_continue and not current.body:
                current.expect_continue = False
                sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _lingering_close(self) -> None:
        """Close after an error without losing the answer: a socket closed with unread input
        sends a reset, which can reach the client before the error does; so stop writing,
        read what the client still sends (briefly), then close."""
        sock = self.sock
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 1, 0))
            deadline = time.monotonic() + 2.0
            drained = 0
            while time.monotonic() < deadline and drained < 4 * 2**20:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                drained += len(chunk)

    def _answer(self, request: _Request) -> bool:
        """Answer one request; False when the connection is to close afterwards."""
        server = self.server
        self.busy = True
        try:
            fast = server.fast_answer(self, request)
            status, headers, body = fast if fast is not None else server.bridge(self, request)
        except _AbandonedError:
            return False
        except Exception as exc:  # a bug: say so, log it, keep the process serving
            traceback.print_exception(exc, file=sys.stderr)
            failure = f"the server could not answer: {type(exc).__name__}"
            status, headers, body = _plain(500, failure)
        finally:
            self.busy = False
        close = not request.keep_alive or server.draining
        with self.lock:
            if self.abandoned:
                return False
            payload = b"" if request.method == "HEAD" else body
            self.sock.sendall(_head(status, headers, len(body), close) + payload)
        return not close

    def _send_plain(self, status: int, message: str, abandon: bool = False) -> None:
        """Answer with a plain-text error and close; ``abandon``: from the watchdog's thread,
        for the request in flight, whose own thread then writes nothing more."""
        status, headers, body = _plain(status, message)
        with self.lock:
            if self.abandoned:
                return
            self.abandoned = abandon
            with contextlib.suppress(OSError):
                self.sock.sendall(_head(status, headers, len(body), True) + body)
            if abandon:
                with contextlib.suppress(OSError):
                    self.sock.shutdown(socket.SHUT_RDWR)


class _AbandonedError(Exception):
    """The watchdog answered this request already; the connection is closed."""


class _ServerProcess:
    """The state of one server process: store, guard, connections, watchdog and drain."""

    def __init__(
        self,
        store: Store,
        policy: Policy,
        config: Any,
        control: Connection,
        listener: socket.socket,
        loads: Any = None,
        slot: int = 0,
        supervisor_alive: Connection | None = None,
    ) -> None:
        self.store = store
        # the read end of a pipe only the supervisor holds open: EOF once it has died
        self.supervisor_alive = supervisor_alive
        self.loads = loads  # connections held by each server process (-1: slot not accepting)
        self.slot = slot
        self.policy = policy
        self.config = config
        self.control = control
        self.listener = listener
        host, port = listener.getsockname()[:2]
        self.address = (str(host), int(port))  # the ASGI scope's "server"
        self.timeout = float(config.timeout)
        self.max_rows = config.max_rows
        self.max_request_bytes = int(config.max_request_bytes)
        self.draining = False
        self.connections: set[_Connection] = set()
        self.inflight: dict[_Connection, float] = {}
        self.lock = threading.Lock()
        self.pool = DirectPool(store, policy, self.timeout, self.recycle)
        self.loop = asyncio.new_event_loop()
        self.app: Any = None

    # lifecycle

    def start(self) -> None:
        self.app = create_app(self.pool, self.config)  # type: ignore[arg-type]
        threading.Thread(target=self.loop.run_forever, daemon=True, name="kzgraph-asgi").start()
        threading.Thread(target=self._watchdog, daemon=True, name="kzgraph-watchdog").start()

    def accept_forever(self) -> None:
        """Accept connections (non-blocking, shared with the other processes) until draining."""
        listener = self.listener
        poller = select.poll()
        poller.register(listener, select.POLLIN)
        deferred = 0
        while not self.draining:
            if not poller.poll(200):
                continue
            if deferred < MAX_DEFERRALS and self._busier_than_others():
                deferred += 1
                time.sleep(0.001)  # a process with fewer connections takes this one
                continue
            deferred = 0
            try:
                sock, peer = listener.accept()
            except (BlockingIOError, InterruptedError):
                continue  # another process took it
            except OSError:
                time.sleep(0.05)  # out of file descriptors: let connections close
                continue
            sock.setblocking(True)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection = _Connection(self, sock, peer)
            with self.lock:
                crowded = len(self.connections) >= MAX_CONNECTIONS
                if not crowded:
                    self.connections.add(connection)
                    self._publish_load()
            if crowded:
                connection._send_plain(503, "too many connections; try again shortly")
                sock.close()
                continue
            threading.Thread(target=connection.run, daemon=True, name="kzgraph-conn").start()
        self._drain()

    def forget(self, connection: _Connection) -> None:
        with self.lock:
            self.connections.discard(connection)
            self.inflight.pop(connection, None)
            self._publish_load()

    def _publish_load(self) -> None:
        """Tell the other processes how many connections this one holds (under self.lock)."""
        if self.loads is not None and not self.draining:
            self.loads[self.slot] = len(self.connections)

    def _busier_than_others(self) -> bool:
        """Whether another accepting process holds fewer connections than this one.

        The processes share one listening socket and all wake for a new connection; without
        this the first to wake takes it, and a few keep-alive clients can end up on one
        process (one GIL) while the other idles.
        """
        loads = self.loads
        if loads is None:
            return False
        mine = loads[self.slot]
        return any(0 <= load < mine for i, load in enumerate(loads) if i != self.slot)

    # the time limit

    def _watchdog(self) -> None:
        while True:
            time.sleep(WATCHDOG_INTERVAL)
            if self.supervisor_alive is not None and self.supervisor_alive.poll():
                os._exit(0)  # EOF: the supervisor is gone (even killed), so are we
            now = time.monotonic()
            with self.lock:
                overdue = [c for c, deadline in self.inflight.items() if deadline <= now]
                for connection in overdue:
                    self.inflight.pop(connection, None)
            for connection in overdue:
                connection._send_plain(
                    503,
                    f"the query ran longer than the time limit of {self.timeout:g} s"
                    " and was stopped",
                    abandon=True,
                )
                self.recycle("a query overran the time limit")

    def recycle(self, reason: str) -> None:
        """Stop taking connections, let the supervisor start a replacement, and wind down."""
        with self.lock:
            if self.draining:
                return
            self.draining = True
            if self.loads is not None:
                self.loads[self.slot] = -1  # no longer accepting
        with contextlib.suppress(OSError):
            self.control.send(("recycle", reason))

    def _drain(self) -> None:
        """Answer what is in flight (with Connection: close), wait out the grace, then exit."""
        started = time.monotonic()
        while True:
            with self.lock:
                remaining = list(self.connections)
            # queries still running legitimately get their answer (the watchdog bounds them)
            busy = any(c.busy and not c.abandoned for c in remaining)
            waited = time.monotonic() - started
            if not remaining or (waited >= DRAIN_SECONDS and not busy):
                break
            if waited >= DRAIN_SECONDS + self.timeout + 1:
                break
            time.sleep(0.05)
        for connection in remaining:  # idle keep-alive connections: a clean close
            with contextlib.suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)
        sys.stdout.flush()
        os._exit(0)

    # the two paths

    def fast_answer(
        self, connection: _Connection, request: _Request
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        """Answer a plain SPARQL query request here, or None to use the full handler."""
        if request.method not in ("GET", "HEAD", "POST") or request.header(b"origin"):
            return None
        if request.method == "POST":
            media = (request.header(b"content-type") or b"").split(b";")[0].strip().lower()
            text = _plain_query(bytes(request.url), media, bytes(request.body))
        else:
            text = _plain_query(bytes(request.url), None, b"")
        if text is None:
            return None
        accept = request.header(b"accept")
        result_fmt, graph_fmt = _formats(accept.decode("latin-1") if accept else None)
        try:
            _form, media_type, payload, count = self.run_query(
                connection, text, result_fmt, graph_fmt
            )
        except QueryError as exc:
            return _plain(exc.http_status, exc.message, (b"vary", b"Origin"))
        headers = [
            (b"content-type", _with_charset(media_type).encode("latin-1")),
            (b"vary", b"Accept, Origin"),  # as the CORS middleware of the full handler says
            (b"x-result-count", str(count).encode("ascii")),
        ]
        return 200, headers, payload

    def run_query(self, connection: _Connection, text: str, result_fmt: str, graph_fmt: str) -> Any:
        """Run the query under the watchdog; raises _AbandonedError if it answered for us."""
        with self.lock:
            self.inflight[connection] = time.monotonic() + self.timeout
        try:
            result = run_op(
                self.store, self.policy, "query", (text, result_fmt, graph_fmt, self.max_rows)
            )
        except QueryError:
            if connection.abandoned:
                raise _AbandonedError() from None
            raise
        except PermissionError as exc:  # the audit hook refused something
            raise QueryRefused(str(exc)) from None
        except Exception as exc:  # the same wording as the worker pool's
            if connection.abandoned:
                raise _AbandonedError() from None
            raise QueryError(f"the query failed: {type(exc).__name__}: {exc}") from None
        finally:
            with self.lock:
                self.inflight.pop(connection, None)
        if connection.abandoned:
            raise _AbandonedError()
        return result

    def bridge(
        self, connection: _Connection, request: _Request
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Answer through the Starlette application on this process's event loop."""
        url = bytes(request.url)
        raw_path, _, query_string = url.partition(b"?")
        if not raw_path.startswith(b"/"):
            return _plain(400, "bad request target")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": request.http_version,
            "method": request.method,
            "scheme": "http",
            "path": unquote(raw_path.decode("latin-1")),
            "raw_path": raw_path,
            "query_string": query_string,
            "root_path": "",
            "headers": request.headers,
            "client": (str(connection.peer[0]), int(connection.peer[1])),
            "server": self.address,
            "state": {},
        }
        future = asyncio.run_coroutine_threadsafe(
            _call_asgi(self.app, scope, bytes(request.body)), self.loop
        )
        try:
            return future.result(self.timeout + 30)
        except Exception:
            future.cancel()
            raise  # answered with a 500 and logged, as any other failure (_Connection._answer)


async def _call_asgi(
    app: Any, scope: dict[str, Any], body: bytes
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Run one request through an ASGI application, collecting the whole response."""
    received = False
    done = asyncio.Event()
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()  # the client stays connected until the response is complete
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = int(message["status"])
            headers = [(bytes(k).lower(), bytes(v)) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))

    try:
        await app(scope, receive, send)
    finally:
        done.set()
    return status, headers, b"".join(chunks)


def server_main(
    listener: socket.socket,
    spec: StoreSpec,
    policy: Policy,
    config: Any,
    control: Connection,
    isolate: bool,
    loads: Any = None,
    slot: int = 0,
    supervisor_alive: Connection | None = None,
) -> None:
    """A server process: open the store, lock down, then accept and answer until recycled."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor stops us
    try:
        _die_with_parent()
        store = open_store(spec)
        import mimetypes

        mimetypes.init()  # static files: /etc/mime.types is read once, before the lockdown
        isolated = lockdown(store, spec, policy, isolate)
        listener.setblocking(False)
        server = _ServerProcess(
            store, policy, config, control, listener, loads, slot, supervisor_alive
        )
        server.start()
        # warm the protocol path and the application once, before the first client
        run_op(store, policy, "query", ("ASK { ?s ?p ?o }", "json", "turtle", 1))
    except Exception as exc:
        with contextlib.suppress(OSError):
            control.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    control.send(("ready", isolated))
    if loads is not None:
        loads[slot] = 0
    server.accept_forever()


def _die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent, the forkserver, dies (Linux)."""
    import ctypes

    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


# -- The supervisor --


class Supervisor:
    """Start ``size`` server processes on one listening socket and keep them running."""

    def __init__(
        self,
        listener: socket.socket,
        spec: StoreSpec,
        policy: Policy,
        config: Any,
        size: int,
        isolate: bool = True,
        start_timeout: float = 120.0,
    ) -> None:
        import multiprocessing

        self.listener = listener
        self.spec = spec
        self.policy = policy
        self.config = config
        self.size = max(1, size)
        self.isolate = isolate
        self.start_timeout = start_timeout
        self.isolated = False
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(["graph.direct", "graph.server", "graph.entity"])
        self.children: dict[Any, Connection] = {}  # process -> control pipe
        self.slots: dict[Any, int] = {}  # process -> its slot in loads
        self.alive: dict[Any, Connection] = {}  # process -> the pipe end it watches for EOF
        # a slot per process, twice over: a recycling process and its replacement overlap
        self.loads: Any = self._ctx.RawArray("i", [-1] * (2 * self.size))
        self.stopping = False
        self.recycled = 0
        self.crashed = 0

    def _spawn(self) -> tuple[Any, Connection]:
        taken = set(self.slots.values())
        slot = next(i for i in range(len(self.loads)) if i not in taken)
        self.loads[slot] = -1
        parent, child = self._ctx.Pipe(duplex=False)
        # a server process's parent is the forkserver, so PR_SET_PDEATHSIG does not cover the
        # supervisor being killed: the server watches this pipe, held open only here, instead
        alive_r, alive_w = self._ctx.Pipe(duplex=False)
        process = self._ctx.Process(
            target=server_main,
            args=(
                self.listener,
                self.spec,
                self.policy,
                self.config,
                child,
                self.isolate,
                self.loads,
                slot,
                alive_r,
            ),
            daemon=True,
            name="kzgraph-server",
        )
        process.start()
        child.close()
        alive_r.close()
        self.slots[process] = slot
        self.alive[process] = alive_w
        return process, parent

    def _discard(self, process: Any) -> None:
        """Kill ``process`` if it still runs and free its slot."""
        with contextlib.suppress(Exception):
            process.kill()
            process.join(5)
        slot = self.slots.pop(process, None)
        if slot is not None:
            self.loads[slot] = -1
        alive = self.alive.pop(process, None)
        if alive is not None:
            alive.close()

    def _await_ready(self, process: Any, control: Connection) -> None:
        if not control.poll(self.start_timeout):
            self._discard(process)
            raise StoreUnavailable("a server process did not start in time")
        try:
            message = control.recv()
        except EOFError:
            self._discard(process)
            raise StoreUnavailable("a server process died while starting") from None
        if message[0] != "ready":
            self._discard(process)
            raise InputError(f"a server process could not start: {message[1]}")
        self.isolated = bool(message[1])

    def start(self) -> Supervisor:
        started = [self._spawn() for _ in range(self.size)]
        try:
            for process, control in started:
                self._await_ready(process, control)
                self.children[process] = control
        except BaseException:  # an interrupt while starting, too: no process left behind
            for process, _control in started:
                self._discard(process)
            raise
        return self

    def _replace(self) -> None:
        for attempt in range(5):
            process, control = self._spawn()
            try:
                self._await_ready(process, control)
            except (StoreUnavailable, InputError) as exc:
                print(f"kzgraph: restarting a server process failed: {exc}", file=sys.stderr)
                time.sleep(min(2.0**attempt, 10.0))
                continue
            self.children[process] = control
            return
        raise StoreUnavailable("server processes keep failing to start; stopping")

    def supervise(self) -> None:
        """Replace recycled and crashed server processes until stopped."""
        draining: set[Any] = set()
        while not self.stopping:
            sentinels = {p.sentinel: p for p in self.children}
            controls = {c: p for p, c in self.children.items() if p not in draining}
            ready = wait([*sentinels, *controls], timeout=1.0)
            for item in ready:
                if item in controls:
                    process = controls[item]
                    try:
                        message = item.recv()  # type: ignore[union-attr]
                    except (EOFError, OSError):
                        continue
                    if message[0] == "recycle" and process not in draining:
                        draining.add(process)
                        self.recycled += 1
                        self._replace()
                elif item in sentinels:
                    process = sentinels[item]
                    control = self.children.pop(process, None)
                    if control is not None:
                        control.close()
                    self._discard(process)
                    if process in draining:
                        draining.discard(process)
                    elif not self.stopping:
                        self.crashed += 1
                        print(
                            f"kzgraph: a server process exited (code {process.exitcode});"
                            " starting another",
                            file=sys.stderr,
                        )
                        self._replace()

    def close(self) -> None:
        """Stop every server process started, ready or not."""
        self.stopping = True
        processes = list(self.slots)  # every process spawned and not yet discarded
        for process in processes:
            with contextlib.suppress(Exception):
                process.terminate()
        deadline = time.monotonic() + 5
        for process in processes:
            with contextlib.suppress(Exception):
                process.join(max(0.1, deadline - time.monotonic()))
                if process.is_alive():
                    process.kill()
                    process.join(2)
        self.children.clear()
        self.slots.clear()
        for alive in self.alive.values():
            alive.close()
        self.alive.clear()
        with contextlib.suppress(OSError):
            self.listener.close()


def bind(host: str, port: int) -> socket.socket:
    """The listening socket the server processes share."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    listener.listen(1024)
    return listener


def serve_direct(
    spec: StoreSpec,
    policy: Policy,
    config: Any,
    host: str,
    port: int,
    workers: int,
    announce: Callable[[Supervisor], None] | None = None,
) -> None:
    """Serve until interrupted: bind, start the server processes, replace them as needed."""
    listener = bind(host, port)
    supervisor = Supervisor(listener, spec, policy, config, workers)

    # SIGINT and SIGTERM stop the server, even while it is still starting, and even when it was
    # started with SIGINT ignored (a background job of a shell script), as uvicorn does in
    # pooled mode
    previous = {
        sig: signal.signal(sig, signal.default_int_handler)
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        supervisor.start()
        if announce is not None:
            announce(supervisor)
        supervisor.supervise()
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        # never hang on the way out: past this, print where it is stuck and exit (the server
        # processes die with the supervisor, PR_SET_PDEATHSIG)
        faulthandler.dump_traceback_later(SHUTDOWN_SECONDS, exit=True)
        supervisor.close()
        faulthandler.cancel_dump_traceback_later()


__all__ = ["DirectPool", "Supervisor", "bind", "serve_direct", "server_main"]
