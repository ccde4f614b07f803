"""How ``kzgraph serve`` runs: sandboxed server processes, each a uvicorn server over the app.

:func:`serve` (the *supervisor*) binds the listening socket and starts ``workers`` server
processes that share it, whatever the store. Each server process

- opens the store (the in-memory default, a persistent Oxigraph store, or a remote endpoint),
  replays the update journal the supervisor keeps (in-memory store with ``--allow-update``),
  caps its own data memory (``RLIMIT_DATA``), then locks itself down
  (:func:`graph.serving.sandbox.lockdown`: a private, empty network namespace, so the inherited
  listening socket still accepts but nothing can be dialled out, unless the store is a remote
  endpoint; an audit hook refusing file writes, reads outside the installation, subprocesses
  and connections);
- serves the Starlette application (:func:`graph.serving.app.create_app`) with uvicorn, which parses
  and frames HTTP (httptools). Queries run in-process on threads (:class:`QueryRunner`):
  Oxigraph releases the GIL while it evaluates, so a slow query holds up only itself. A query
  past the time limit is answered 503 and the process *recycles*: it tells the supervisor,
  which starts a replacement at once, and winds down (uvicorn's graceful shutdown), taking the
  runaway evaluation with it.

uvicorn's protocol is extended here, not replaced (:func:`protocol_class`): a per-client cap on
connections, a deadline for each request's head and body (slow clients), caps on the URL and
header block (answered 414/431 by the application), and a request that offers a protocol
upgrade (``Upgrade: h2c``, as Java's HTTP client sends on every request) is handed to uvicorn's
h11 protocol, which reads its body, exactly as uvicorn hands a WebSocket upgrade over (llhttp,
under httptools, takes everything after the head of such a request for the new protocol).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import faulthandler
import os
import shutil
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from graph.errors import InputError
from graph.serving.sandbox import QueryRunner, limit_memory, lockdown
from graph.sparql.guard import Policy
from graph.sparql.results import StoreUnavailable, UpdateJournalFull
from graph.stores.spec import StoreSpec, open_store

#: The longest request target httptools can split into path and query.
MAX_URL_BYTES = 65_535


@dataclass(frozen=True)
class Limits:
    """What one server process allows each connection and client."""

    #: Seconds from a connection's start (or its previous response) to the end of the next
    #: request's body: a client trickling bytes is cut off after this.
    request_seconds: float = 10.0
    #: Connections one client address may hold open on one server process.
    connections_per_client: int = 64
    #: Connections plus requests in flight on one server process; beyond it uvicorn answers 503.
    max_connections: int = 1024
    #: Largest request target (path and query string) and header block. httptools reads URLs of
    #: at most 64 KiB (its offsets are 16 bits); longer ones are answered 414: POST instead.
    max_url_bytes: int = MAX_URL_BYTES
    max_header_bytes: int = 64 * 1024
    #: Seconds an idle keep-alive connection stays open.
    keep_alive_seconds: float = 5.0


#: Seconds a stopping server process gives what is in flight, beyond the query time limit (a
#: recycling process lets every query in flight finish or be answered 503 by its own limit).
DRAIN_SECONDS = 2.0
#: Seconds the supervisor may take to stop its processes before it exits regardless.
SHUTDOWN_SECONDS = 12.0
#: Bound of the update journal (bytes of update text) of an in-memory store.
MAX_JOURNAL_BYTES = 16 * 2**20
#: The scope key a protocol sets when a request exceeded a head limit: (status, message).
REFUSED = "kzgraph.refused"


# -- uvicorn's protocol, with limits --


def protocol_class(limits: Limits) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol with the limits above and upgrade offers handed to h11."""
    from uvicorn.protocols.http.h11_impl import H11Protocol
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    clients: collections.Counter[str] = collections.Counter()

    class Guarded:
        """Connection counting and the request deadline, for either uvicorn protocol."""

        transport: asyncio.Transport
        client: Any
        cycle: Any
        loop: asyncio.AbstractEventLoop
        _peer: str | None = None
        _deadline: asyncio.TimerHandle | None = None

        def _admit(self) -> bool:
            peer = str(self.client[0]) if self.client else ""
            clients[peer] += 1
            self._peer = peer
            if clients[peer] > limits.connections_per_client:
                self.transport.close()
                return False
            self._arm()
            return True

        def _release(self) -> None:
            if self._peer is not None:
                clients[self._peer] -= 1
                if clients[self._peer] <= 0:
                    del clients[self._peer]
                self._peer = None
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _arm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._deadline = self.loop.call_later(limits.request_seconds, self._expire)

        def _expire(self) -> None:
            self._deadline = None
            cycle = self.cycle
            # a request still arriving (or none yet): cut off; a query being answered: keep
            if cycle is None or cycle.response_complete or cycle.more_body:
                self.transport.close()

        # the protocol's own hooks (the mixin comes first: ``super()`` is the protocol)
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)  # type: ignore[misc]
            self._admit()

        def connection_lost(self, exc: Exception | None) -> None:
            self._release()
            super().connection_lost(exc)  # type: ignore[misc]

        def on_response_complete(self) -> None:
            super().on_response_complete()  # type: ignore[misc]
            self._arm()

    class H11(Guarded, H11Protocol):
        pass

    class HttpTools(Guarded, HttpToolsProtocol):
        _refused: tuple[int, str] | None = None
        _header_bytes = 0
        _handoff = False

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._refused = None
            self._header_bytes = 0

        def on_url(self, url: bytes) -> None:
            if self._refused is None and len(self.url) + len(url) > limits.max_url_bytes:
                self._refused = (
                    414,
                    f"request target longer than {limits.max_url_bytes} bytes: POST long queries",
                )
            if self._refused is None:
                super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._header_bytes += len(name) + len(value) + 4
            if self._refused is None and self._header_bytes > limits.max_header_bytes:
                self._refused = (431, "request headers too large")
            if self._refused is None:
                super().on_header(name, value)

        def on_headers_complete(self) -> None:
            if self.parser.should_upgrade():
                self._handoff = True  # the rest goes to h11 (data_received)
                return
            if self._refused is not None:
                self.scope[REFUSED] = self._refused  # type: ignore[literal-required]
                self.url = b"/"  # what was kept of it may not parse; it is not used
            super().on_headers_complete()

        def on_body(self, body: bytes) -> None:
            if not self._handoff:
                super().on_body(body)

        def on_message_complete(self) -> None:
            if not self._handoff:
                super().on_message_complete()

        def data_received(self, data: bytes) -> None:
            import httptools

            self._unset_keepalive_if_required()
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserError:
                self.send_400_response("Invalid HTTP request received.")
            except httptools.HttpParserUpgrade as exc:
                if self._handoff:
                    offset = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
                    self._hand_to_h11(data[offset:])

        def _hand_to_h11(self, rest: bytes) -> None:
            """Give the connection to uvicorn's h11 protocol with the request as received."""
            head = [self.parser.get_method(), b" ", self.url, b" HTTP/1.1\r\n"]
            for name, value in self.headers:
                head += [name, b": ", value, b"\r\n"]
            head.append(b"\r\n")
            self._release()
            self.connections.discard(self)
            protocol = H11(config=self.config, server_state=self.server_state, app_state={})
            protocol.connection_made(self.transport)
            self.transport.set_protocol(protocol)
            protocol.data_received(b"".join(head) + rest)

    return HttpTools


def guard_scope(app: Any) -> Any:
    """The application, answering a request the protocol refused (head too large) itself."""
    from starlette.responses import PlainTextResponse

    from graph.serving.app import SERVER_SETS_NOSNIFF

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        scope[SERVER_SETS_NOSNIFF] = True
        refused = scope.get(REFUSED)
        if refused is not None:
            status, message = refused
            response = PlainTextResponse(message + "\n", status_code=status)
            await response(scope, receive, send)
            return
        await app(scope, receive, send)

    return guarded


# -- SERVICE endpoints on the allow-list --


class ServiceRelay:
    """The only way out of the server processes: a Unix socket on which each asks for an
    endpoint by host and port, connected only when it is on the allow-list (checked here, at
    connection time, in the supervisor, which the processes cannot change).

    Inside each server process (no network of its own), :func:`graph.serving.sandbox.lockdown`
    listens
    on loopback for each allowed endpoint and hands connections here; Oxigraph's HTTP client
    (which ignores Python's audit hook) reaches nothing else. TLS runs end to end through it.
    """

    def __init__(self, services: tuple[str, ...]) -> None:
        import tempfile
        from urllib.parse import urlsplit

        self.allowed: set[tuple[str, int]] = set()
        for url in services:
            parts = urlsplit(url)
            if parts.hostname:
                port = parts.port or (443 if parts.scheme == "https" else 80)
                self.allowed.add((parts.hostname, port))
        self.directory = tempfile.mkdtemp(prefix="kzgraph-relay-")
        self.path = os.path.join(self.directory, "relay.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(128)
        self.refused = 0
        threading.Thread(target=self._accept, daemon=True, name="kzgraph-relay").start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.listener.accept()
                threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        from graph.serving.sandbox import pipe

        conn.settimeout(10)
        request = b""
        with contextlib.suppress(OSError):
            while b"\n" not in request and len(request) < 512:
                chunk = conn.recv(512 - len(request))
                if not chunk:
                    break
                request += chunk
        line, _, rest = request.partition(b"\n")
        host, _, port = line.decode("ascii", "replace").partition(" ")
        target = (host, int(port)) if port.isdigit() else None
        if target is None or target not in self.allowed:
            self.refused += 1
            conn.close()
            return
        try:
            upstream = socket.create_connection(target, timeout=30)
            if rest:
                upstream.sendall(rest)
        except OSError:
            conn.close()
            return
        conn.settimeout(None)
        upstream.settimeout(None)
        pipe(conn, upstream)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.close()
        shutil.rmtree(self.directory, ignore_errors=True)


# -- One server process --


def server_main(
    listener: socket.socket,
    spec: StoreSpec,
    policy: Policy,
    config: Any,
    settings: dict[str, Any],
    control: Connection,
    journal: list[str],
    supervisor_alive: Connection | None = None,
) -> None:
    """A server process: open the store, lock down, then serve until recycled or stopped."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor stops us (SIGTERM)
    try:
        _die_with_parent()
        limit_memory(settings.get("memory_mb"))
        store = open_store(spec)
        for text in journal:  # updates made before this process started, outside any request
            store.update(text)
        import mimetypes

        mimetypes.init()  # static files: /etc/mime.types is read once, before the lockdown
        isolated = lockdown(
            store, spec, policy, settings.get("isolate", True), relay=settings.get("relay")
        )
    except Exception as exc:
        with contextlib.suppress(OSError):
            control.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    _ServerProcess(listener, store, policy, config, settings, control, journal).run(
        isolated, supervisor_alive
    )


class _ServerProcess:
    def __init__(
        self,
        listener: socket.socket,
        store: Any,
        policy: Policy,
        config: Any,
        settings: dict[str, Any],
        control: Connection,
        journal: list[str],
    ) -> None:
        self.listener = listener
        self.control = control
        self.control_lock = threading.Lock()
        self.journal_bytes = sum(len(t.encode()) for t in journal)
        self.keeps_journal = bool(settings.get("journal"))
        self.runner = QueryRunner(
            store,
            policy,
            timeout=float(config.timeout),
            threads=int(settings.get("threads", 8)),
            max_answer_bytes=settings.get("max_answer_bytes"),
            on_overrun=self.recycle,
            on_update=self.record_update,
        )
        self.config = config
        self.limits: Limits = settings.get("limits") or Limits()
        self.server: Any = None

    def send(self, message: tuple[Any, ...]) -> None:
        with self.control_lock, contextlib.suppress(OSError):
            self.control.send(message)

    def record_update(self, text: str) -> None:
        """Journal an applied update with the supervisor before it is acknowledged."""
        if not self.keeps_journal:
            return
        size = len(text.encode())
        if self.journal_bytes + size > MAX_JOURNAL_BYTES:
            raise UpdateJournalFull(
                f"the in-memory store's update journal is full ({MAX_JOURNAL_BYTES:,} bytes);"
                " serve a persistent store (--store oxigraph) to keep making updates"
            )
        self.journal_bytes += size
        self.send(("journal", text))

    def recycle(self, reason: str) -> None:
        """Let the supervisor start a replacement, stop accepting, and wind down."""
        self.send(("recycle", reason))
        if self.server is not None:
            self.server.should_exit = True

    def run(self, isolated: bool, supervisor_alive: Connection | None) -> None:
        import uvicorn

        from graph.serving.app import create_app

        app = guard_scope(create_app(self.runner, self.config))
        limits = self.limits
        uv_config = uvicorn.Config(
            app,
            http=protocol_class(limits),
            loop="uvloop" if _has_uvloop() else "asyncio",
            lifespan="off",
            ws="none",
            interface="asgi3",
            log_level="error",
            access_log=False,
            limit_concurrency=limits.max_connections,
            timeout_keep_alive=int(max(1, limits.keep_alive_seconds)),
            timeout_graceful_shutdown=int(float(self.config.timeout) + DRAIN_SECONDS),
            h11_max_incomplete_event_size=limits.max_url_bytes + limits.max_header_bytes,
            server_header=False,
            headers=[("X-Content-Type-Options", "nosniff")],
        )
        server = self.server = uvicorn.Server(uv_config)
        handle_exit = server.handle_exit

        def on_signal(sig: int, frame: Any) -> None:
            if sig != signal.SIGINT:  # Ctrl-C reaches the supervisor, which stops us (SIGTERM)
                handle_exit(sig, frame)

        server.handle_exit = on_signal  # type: ignore[method-assign]
        if supervisor_alive is not None:
            threading.Thread(
                target=_exit_when_closed, args=(supervisor_alive,), daemon=True
            ).start()
        self.send(("ready", isolated))
        try:
            self.server.run(sockets=[self.listener])
        finally:
            os._exit(0)  # a runaway evaluation may still hold a thread: leave it behind


def _has_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


def _exit_when_closed(pipe: Connection) -> None:
    """Exit once the supervisor is gone, however it went (EOF on a pipe only it holds)."""
    with contextlib.suppress(EOFError, OSError):
        while True:
            pipe.recv()
    os._exit(0)


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
        settings: dict[str, Any] | None = None,
        start_timeout: float = 120.0,
    ) -> None:
        import multiprocessing

        self.listener = listener
        self.spec = spec
        self.policy = policy
        self.config = config
        self.size = max(1, size)
        self.settings = dict(settings or {})
        self.start_timeout = start_timeout
        self.isolated = False
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(
            ["graph.serving.processes", "graph.serving.app", "graph.serving.entity"]
        )
        self.children: dict[Any, Connection] = {}  # process -> control pipe
        self.alive: dict[Any, Connection] = {}  # process -> the pipe end it watches for EOF
        self.spawned: list[Any] = []
        self.journal: list[str] = []
        self.stopping = False
        self.recycled = 0
        self.crashed = 0

    def _spawn(self) -> tuple[Any, Connection]:
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
                self.settings,
                child,
                list(self.journal),
                alive_r,
            ),
            daemon=True,
            name="kzgraph-server",
        )
        process.start()
        child.close()
        alive_r.close()
        self.alive[process] = alive_w
        self.spawned.append(process)
        return process, parent

    def _discard(self, process: Any) -> None:
        """Kill ``process`` if it still runs."""
        with contextlib.suppress(Exception):
            process.kill()
            process.join(5)
        alive = self.alive.pop(process, None)
        if alive is not None:
            alive.close()
        with contextlib.suppress(ValueError):
            self.spawned.remove(process)

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
        """Keep the journal; replace recycled and crashed server processes until stopped."""
        draining: set[Any] = set()
        while not self.stopping:
            sentinels = {p.sentinel: p for p in self.children}
            controls = {c: p for p, c in self.children.items()}
            for item in wait([*sentinels, *controls], timeout=1.0):
                if item in controls:
                    process = controls[item]
                    try:
                        message = item.recv()
                    except (EOFError, OSError):
                        continue
                    if message[0] == "journal":
                        self.journal.append(message[1])
                    elif message[0] == "recycle" and process not in draining:
                        draining.add(process)
                        self.recycled += 1
                        self._replace()
                elif item in sentinels:
                    process = sentinels[item]
                    control = self.children.pop(process, None)
                    if control is not None:
                        while control.poll():  # journal entries sent just before it exited
                            with contextlib.suppress(EOFError, OSError):
                                message = control.recv()
                                if message[0] == "journal":
                                    self.journal.append(message[1])
                                continue
                            break
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
        processes = list(self.spawned)
        for process in processes:
            with contextlib.suppress(Exception):
                process.terminate()
        deadline = time.monotonic() + DRAIN_SECONDS + 3
        for process in processes:
            with contextlib.suppress(Exception):
                process.join(max(0.1, deadline - time.monotonic()))
                if process.is_alive():
                    process.kill()
                    process.join(2)
        self.children.clear()
        self.spawned.clear()
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
    listener.listen(2048)
    return listener


def serve(
    spec: StoreSpec,
    policy: Policy,
    config: Any,
    host: str,
    port: int,
    workers: int,
    settings: dict[str, Any] | None = None,
    announce: Callable[[Supervisor], None] | None = None,
) -> None:
    """Serve until interrupted: bind, start the server processes, replace them as needed."""
    listener = bind(host, port)
    relay = ServiceRelay(policy.allowed_services) if policy.allowed_services else None
    settings = {**(settings or {}), "relay": relay.path if relay else None}
    supervisor = Supervisor(listener, spec, policy, config, workers, settings)
    # SIGINT and SIGTERM stop the server, even while it is still starting, and even when it was
    # started with SIGINT ignored (a background job of a shell script)
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
        # processes die with the supervisor)
        faulthandler.dump_traceback_later(SHUTDOWN_SECONDS, exit=True)
        supervisor.close()
        if relay is not None:
            relay.close()
        faulthandler.cancel_dump_traceback_later()


__all__ = ["Limits", "Supervisor", "bind", "protocol_class", "serve", "server_main"]
