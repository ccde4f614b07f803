"""Where a query runs: a locked-down process, under a time limit.

:func:`lockdown` locks a server process down (:mod:`graph.serving.processes`): it drops its
network (a private, empty network namespace where the kernel allows it) and installs an audit
hook (:func:`sys.addaudithook`) that refuses socket connections, URL opening, file writes, file
reads outside the Python installation, and subprocesses; when the store is a remote endpoint,
exactly its host and port stay reachable. :class:`QueryRunner` answers there under a time
limit: a query that overruns is answered 503 and its process replaced, so a slow query neither
runs on nor blocks other clients. :func:`run_isolated` runs one operation in a process of its
own (``kzgraph query --timeout``). What a query may name is checked before, by
:mod:`graph.sparql.guard`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from graph.sparql.results import (
    AnswerTooLarge,
    EngineFailure,
    QueryError,
    QueryRefused,
    QueryTimeout,
    StoreUnavailable,
)
from graph.stores.base import Store
from graph.stores.spec import StoreSpec, open_store

if TYPE_CHECKING:  # rdflib loads only when a query needs the full check
    import socket

from graph.serving.operations import run_op
from graph.sparql.guard import Policy, check_query, check_update


def _allowed_addresses(urls: Iterable[str]) -> tuple[set[tuple[str, int]], set[str]]:
    """The (IP, port) pairs that ``urls`` resolve to, and their host names."""
    import socket

    allowed: set[tuple[str, int]] = set()
    names: set[str] = set()
    for url in urls:
        parts = urlsplit(url)
        if not parts.hostname:
            continue
        port = parts.port or (443 if parts.scheme == "https" else 80)
        names.add(parts.hostname)
        with contextlib.suppress(OSError):
            for info in socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP):
                allowed.add((str(info[4][0]), port))
    names.update(ip for ip, _port in allowed)
    return allowed, names


def _isolate_network() -> bool:
    """Move this process into a new, empty network namespace (no interfaces, no routes)."""
    import ctypes

    clone_newnet, clone_newuser = 0x40000000, 0x10000000
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    if libc.unshare(clone_newnet) == 0:
        return True
    # unprivileged: a user namespace mapping our own ids first, then the network namespace
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(clone_newuser | clone_newnet) != 0:
        return False
    try:
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
        with open("/proc/self/uid_map", "w") as f:
            f.write(f"{uid} {uid} 1")
        with open("/proc/self/gid_map", "w") as f:
            f.write(f"{gid} {gid} 1")
    except OSError:
        pass
    return True


_FORBIDDEN_EVENTS = (
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "subprocess.Popen",
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.symlink",
    "os.link",
    "os.truncate",
    "shutil.rmtree",
    "shutil.copyfile",
    "ctypes.dlopen",
    "webbrowser.open",
    "ftplib.connect",
    "smtplib.connect",
    "telnetlib.Telnet.open",
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def install_audit_hook(
    readable: Iterable[str], reachable: set[tuple[str, int]], names: set[str]
) -> None:
    """Refuse, in this process from now on, network and file access the query does not need.

    Reading stays possible under ``readable`` (the Python installation: rdflib imports plugins
    lazily); connections only to ``reachable`` (IP, port) pairs; nothing may be written.
    """
    roots = tuple(os.path.join(os.path.realpath(r), "") for r in readable if r)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args
            if path is None or isinstance(path, int):
                return
            name = os.fsdecode(path) if isinstance(path, bytes | os.PathLike) else str(path)
            if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS
            ):
                raise PermissionError(f"kzgraph sandbox: writing {name} is not allowed")
            real = os.path.realpath(name)
            if not (real + os.sep).startswith(roots) and real != os.devnull:
                raise PermissionError(f"kzgraph sandbox: reading {name} is not allowed")
        elif event == "socket.connect":
            address = args[1]
            if isinstance(address, str) and address in names:  # the SERVICE relay's socket
                return
            if not (isinstance(address, tuple) and (str(address[0]), address[1]) in reachable):
                raise PermissionError(f"kzgraph sandbox: connecting to {address} is not allowed")
        elif event == "socket.getaddrinfo":
            if str(args[0]) not in names:
                raise PermissionError(f"kzgraph sandbox: resolving {args[0]} is not allowed")
        elif event == "urllib.Request":
            parts = urlsplit(str(args[0]))
            if parts.scheme not in ("http", "https"):
                raise PermissionError(f"kzgraph sandbox: {parts.scheme}: URLs are not allowed")
        elif event.startswith(_FORBIDDEN_EVENTS):
            raise PermissionError(f"kzgraph sandbox: {event} is not allowed")

    sys.addaudithook(hook)


def _readable_roots() -> list[str]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.__file__)}
    roots.update(p for p in sys.path if p and os.path.isdir(p))
    roots.add(str(Path(__file__).resolve().parents[2]))  # the folder that holds graph/
    return sorted(roots)


def limit_memory(megabytes: int | None) -> None:
    """Cap this process's data memory (RLIMIT_DATA): past it allocations fail, so a runaway
    query ends in an error or the death of this one process, never the machine's memory."""
    if not megabytes:
        return
    import resource

    limit = megabytes * 2**20
    _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


def pipe(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways between two connected sockets until either side closes."""
    import socket

    def one_way(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    other = threading.Thread(target=one_way, args=(b, a), daemon=True)
    other.start()
    one_way(a, b)
    other.join()
    for sock in (a, b):
        with contextlib.suppress(OSError):
            sock.close()


def _loopback_up() -> None:
    """Bring up ``lo`` in this (new, empty) network namespace."""
    import fcntl
    import socket
    import struct

    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(sock, siocgifflags, request))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sH22x", b"lo", flags | iff_up))


def _service_hosts(services: Iterable[str]) -> dict[tuple[str, int], str]:
    """(host, port) of each allowed endpoint -> the loopback address it is reached at here."""
    targets: dict[tuple[str, int], str] = {}
    names: dict[str, str] = {}
    for url in services:
        parts = urlsplit(url)
        if not parts.hostname:
            continue
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if host in ("localhost", "127.0.0.1") or host.startswith("127."):
            address = "127.0.0.1" if host == "localhost" else host
        else:
            address = names.setdefault(host, f"127.0.0.{len(names) + 2}")
        targets[(host, port)] = address
    return targets


def _hosts_override(targets: dict[tuple[str, int], str]) -> None:
    """Make this process resolve each allowed host name to its loopback address: a private
    mount namespace with its own /etc/hosts (the host's is untouched)."""
    import ctypes
    import tempfile

    named = {host: address for (host, _port), address in targets.items() if host != address}
    named.pop("localhost", None)
    if not named:
        return
    clone_newns, ms_rec, ms_private, ms_bind = 0x00020000, 0x4000, 0x40000, 0x1000
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(clone_newns) != 0:
        raise OSError(ctypes.get_errno(), "cannot make a private mount namespace")
    if libc.mount(None, b"/", None, ms_rec | ms_private, None) != 0:
        raise OSError(ctypes.get_errno(), "cannot make the mounts private")
    lines = ["127.0.0.1 localhost", "::1 localhost"]
    lines += [f"{address} {host}" for host, address in named.items()]
    with tempfile.NamedTemporaryFile("w", prefix="kzgraph-hosts-", delete=False) as f:
        f.write("\n".join(lines) + "\n")
    try:
        if libc.mount(f.name.encode(), b"/etc/hosts", None, ms_bind, None) != 0:
            raise OSError(ctypes.get_errno(), "cannot mount a private /etc/hosts")
    finally:
        os.unlink(f.name)  # the mount keeps the file


def _start_relay_listeners(targets: dict[tuple[str, int], str], relay: str) -> None:
    """Listen on loopback, in this namespace, for each allowed endpoint; hand each connection
    to the supervisor's relay (a Unix socket), which connects only to allowed endpoints."""
    import socket

    def forward(client: socket.socket, host: str, port: int) -> None:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(relay)
            upstream.sendall(f"{host} {port}\n".encode())
        except OSError:
            client.close()
            upstream.close()
            return
        pipe(client, upstream)

    def accept(listener: socket.socket, host: str, port: int) -> None:
        while True:
            client, _peer = listener.accept()
            threading.Thread(target=forward, args=(client, host, port), daemon=True).start()

    for (host, port), address in targets.items():
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((address, port))
        listener.listen(64)
        threading.Thread(target=accept, args=(listener, host, port), daemon=True).start()


def lockdown(
    store: Store,
    spec: StoreSpec,
    policy: Policy,
    isolate: bool,
    reach_services: bool = False,
    relay: str | None = None,
) -> bool:
    """Warm ``store`` up, then lock this process down; True if it now has no network at all.

    The parser and evaluation modules are imported while files may still be read; then the
    process leaves the network (a private, empty namespace, unless the store itself is a remote
    endpoint) and installs the audit hook. Sockets it already holds (a listening one) keep
    working. SERVICE endpoints on the allow-list keep the network only with ``reach_services``
    (``kzgraph query``, a process of the user's own): Oxigraph's HTTP client ignores the audit
    hook, so a server never asks for it. Call it before starting threads: a namespace is per
    thread.
    """
    store.query(check_query("ASK { ?s ?p ?o }", policy), 1)
    check_update("INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }", policy)
    urls = [spec.endpoint] if spec.endpoint else []
    if reach_services:
        urls += policy.allowed_services
    reachable, names = _allowed_addresses(urls)
    isolated = _isolate_network() if isolate and not urls else False
    if isolated and relay is not None and policy.allowed_services:
        # SERVICE endpoints on the allow-list: reached through the supervisor's relay only
        targets = _service_hosts(policy.allowed_services)
        _loopback_up()
        try:
            _hosts_override(targets)
        except OSError as exc:  # endpoints given by address still work
            print(
                f"kzgraph: SERVICE endpoints named by host are unreachable: {exc}", file=sys.stderr
            )
        _start_relay_listeners(targets, relay)
        names.add(relay)
        # Python clients (rdflib's SERVICE) pass the audit hook for these listeners only
        reachable.update((address, port) for (_host, port), address in targets.items())
        names.update(host for host, _port in targets)
        names.update(targets.values())
    install_audit_hook(_readable_roots(), reachable, names)
    return isolated


def _isolated_main(conn: Any, spec: StoreSpec, policy: Policy, op: str, args: Any) -> None:
    """One operation in a process of its own: open the store, lock down, answer, exit."""
    try:
        import rdflib.plugins.sparql as rdflib_sparql

        rdflib_sparql.SPARQL_LOAD_GRAPHS = False
        store = open_store(spec)
        lockdown(store, spec, policy, isolate=True, reach_services=True)
        conn.send(("ok", run_op(store, policy, op, args)))
    except QueryError as exc:
        conn.send(("error", exc))
    except PermissionError as exc:
        conn.send(("error", QueryRefused(str(exc))))
    except Exception as exc:
        conn.send(("error", EngineFailure(f"the query failed: {type(exc).__name__}: {exc}")))


def run_isolated(
    spec: StoreSpec, policy: Policy, op: str, args: tuple[Any, ...], timeout: float
) -> Any:
    """Run one operation of :func:`run_op` in a locked-down process, killed after ``timeout``
    seconds (``kzgraph query --timeout``).

    Raises:
        QueryTimeout: the operation ran longer than ``timeout``.
        QueryError: what the operation raised.
    """
    import multiprocessing

    ctx = multiprocessing.get_context("forkserver")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_isolated_main, args=(child, spec, policy, op, args), daemon=True)
    process.start()
    child.close()
    try:
        if not parent.poll(timeout):
            raise QueryTimeout(
                f"the query ran longer than the time limit of {timeout:g} s and was stopped"
            )
        try:
            status, value = parent.recv()
        except EOFError:
            raise StoreUnavailable("the query process died (out of memory?)") from None
    finally:
        process.kill()
        process.join(5)
        parent.close()
    if status == "error":
        raise value
    return value


class _DaemonThreads:
    """A thread pool whose threads never hold up the interpreter's exit: a runaway evaluation
    cannot be interrupted, and ``concurrent.futures`` would wait for it at exit (a server
    process leaves with ``os._exit``; tests and notebooks must not hang)."""

    def __init__(self, size: int) -> None:
        import queue

        self._work: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._size = size
        self._started = 0
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        from concurrent.futures import Future

        future: Future[Any] = Future()
        self._work.put((future, fn, args))
        with self._lock:
            if self._started < self._size:  # threads start on demand, after the lockdown
                self._started += 1
                name = f"kzgraph-query_{self._started}"
                threading.Thread(target=self._worker, daemon=True, name=name).start()
        return future

    def _worker(self) -> None:
        while True:
            item = self._work.get()
            if item is None:
                return
            future, fn, args = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

    def shutdown(self) -> None:
        for _ in range(self._started):
            self._work.put(None)


class QueryRunner:
    """Runs the operations of :func:`run_op` in this process, off the event loop.

    Oxigraph releases the GIL while it evaluates, so a slow query holds one thread and the
    others keep answering. At most ``threads`` operations run at once; one waiting longer than
    the time limit for its turn is answered 503. An operation that overruns the time limit is
    answered :class:`QueryTimeout` and ``on_overrun`` is called: a running evaluation cannot be
    interrupted, so the server process is replaced (:mod:`graph.serving.processes`).

    Args:
        store: the open store.
        policy: what queries may reach beyond the dataset.
        timeout: seconds an operation may run.
        threads: operations answered at the same time.
        max_answer_bytes: cap on a serialised answer (None: no cap).
        on_overrun: called once with a reason when an operation overruns.
        on_update: called with each applied update's text before it is acknowledged (the
            supervisor's journal); raises to refuse further updates.
    """

    def __init__(
        self,
        store: Store,
        policy: Policy = Policy(),
        timeout: float = 10.0,
        threads: int = 8,
        max_answer_bytes: int | None = None,
        on_overrun: Callable[[str], None] | None = None,
        on_update: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.policy = policy
        self.timeout = timeout
        self.threads = max(1, threads)
        self.max_answer_bytes = max_answer_bytes
        self.on_overrun = on_overrun
        self.on_update = on_update
        self.overrun = False
        self._executor = _DaemonThreads(self.threads)
        self._slots: Any = None  # an asyncio.Semaphore of the serving loop
        self._slots_loop: Any = None
        self._update_lock = threading.Lock()

    @classmethod
    def open(cls, spec: StoreSpec, policy: Policy = Policy(), **options: Any) -> QueryRunner:
        """A runner over a freshly opened store, in this process (tests, notebooks)."""
        return cls(open_store(spec), policy, **options)

    def _run(self, op: str, args: tuple[Any, ...]) -> Any:
        try:
            if op == "update":
                with self._update_lock:
                    result = run_op(self.store, self.policy, op, args)
                    if self.on_update is not None:
                        self.on_update(args[0])
                    return result
            return run_op(self.store, self.policy, op, args, self.max_answer_bytes)
        except QueryError:
            raise
        except PermissionError as exc:  # the audit hook refused something
            raise QueryRefused(str(exc)) from None
        except MemoryError:
            raise AnswerTooLarge(
                "the query needed more memory than this server allows each process"
            ) from None
        except Exception as exc:  # a bug in the engine or here: a 500, logged with its trace
            import traceback

            traceback.print_exception(exc, file=sys.stderr)
            raise EngineFailure(f"the query engine failed ({type(exc).__name__})") from None

    def call_sync(self, op: str, *args: Any) -> Any:
        """Run ``op`` in the calling thread (no time limit): the command line and tests."""
        return self._run(op, args)

    async def call(self, op: str, *args: Any, timeout: float | None = None) -> Any:
        """Run ``op`` on a query thread under the time limit."""
        import asyncio

        limit = self.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        if self._slots_loop is not loop:
            self._slots, self._slots_loop = asyncio.Semaphore(self.threads), loop
        slots = self._slots
        started = loop.time()
        try:
            await asyncio.wait_for(slots.acquire(), limit)
        except TimeoutError:
            raise StoreUnavailable(
                f"all {self.threads} query threads are busy; try again shortly"
            ) from None
        future = asyncio.wrap_future(self._executor.submit(self._run, op, args), loop=loop)
        future.add_done_callback(lambda _f: slots.release())  # a runaway keeps its slot
        remaining = max(limit - (loop.time() - started), 0.001)
        try:
            return await asyncio.wait_for(asyncio.shield(future), remaining)
        except TimeoutError:
            if not self.overrun:
                self.overrun = True
                if self.on_overrun is not None:
                    self.on_overrun(f"{op} ran longer than {limit:g} s")
            raise QueryTimeout(
                f"the query ran longer than the time limit of {limit:g} s and was stopped"
            ) from None

    def close(self) -> None:
        self._executor.shutdown()
        self.store.close()

    def __enter__(self) -> QueryRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
