"""One polite SPARQL client for every feature that reaches the web of data.

A descriptive User-Agent, a rate limit, retries with backoff on 429 and 5xx (honouring
``Retry-After``), a timeout and an on-disk cache, so a rerun costs no requests. A network
failure raises :class:`NetworkError` before any file is touched.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from graph.errors import InputError, KzGraphError
from graph.linking.targets import DEFAULT_ENDPOINT, RETRY_STATUSES, USER_AGENT


class NetworkError(KzGraphError):
    """The endpoint could not be reached or kept failing; nothing was written."""

    exit_code = 2


def default_cache_dir() -> Path:
    """``$KZGRAPH_CACHE``, else ``$XDG_CACHE_HOME/kzgraph``, else ``~/.cache/kzgraph``."""
    explicit = os.environ.get("KZGRAPH_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "kzgraph"


@dataclass(frozen=True)
class ClientSettings:
    """How :class:`SparqlClient` talks to an endpoint.

    Attributes:
        endpoint: the SPARQL endpoint URL.
        user_agent: sent with every request; Wikimedia asks for one that says who is asking.
        rate: at most this many network requests per second (cached answers are free).
        timeout: seconds to wait for a connection and for each read.
        retries: retries after a 429, a 5xx or a dropped connection, with exponential backoff.
        backoff: backoff factor in seconds (waits backoff * 2**n; ``Retry-After`` wins).
        cache_dir: where answers are kept; ``None`` disables the cache.
        expire_days: how long a cached answer stays fresh.
        refresh: ask the endpoint again even when an answer is cached (and store the new one).
    """

    endpoint: str = DEFAULT_ENDPOINT
    user_agent: str = USER_AGENT
    rate: float = 1.0
    timeout: float = 60.0
    retries: int = 4
    backoff: float = 2.0
    cache_dir: Path | None = field(default_factory=default_cache_dir)
    expire_days: float = 30.0
    refresh: bool = False


class SparqlClient:
    """SELECT queries against one endpoint, politely; answers as rows of rdflib terms."""

    def __init__(self, settings: ClientSettings | None = None) -> None:
        self.settings = settings or ClientSettings()
        self.network_requests = 0
        self.cache_hits = 0
        self._session: Any = None

    def _open(self) -> Any:
        if self._session is not None:
            return self._session
        try:
            import requests
            from requests.adapters import HTTPAdapter
            from requests_cache import CacheMixin
            from requests_ratelimiter import LimiterMixin
            from urllib3.util.retry import Retry
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise InputError(
                f"linking needs the 'link' extra ({exc.name} is missing): "
                "pip install 'kzgraph[link]'"
            ) from None

        # CacheMixin first: answers served from the cache do not count against the rate limit.
        class _Session(CacheMixin, LimiterMixin, requests.Session):
            pass

        s = self.settings
        options: dict[str, Any] = {
            "per_second": s.rate,
            "allowable_methods": ("GET", "POST"),
            "allowable_codes": (200,),
            "expire_after": dt.timedelta(days=s.expire_days),
            "cache_control": False,
        }
        if s.cache_dir is None:
            options["backend"] = "memory"
            options["expire_after"] = 0  # a "disabled" cache stores nothing
            session = _Session(**options)
        else:
            s.cache_dir.mkdir(parents=True, exist_ok=True)
            session = _Session(str(s.cache_dir / "http-cache"), backend="sqlite", **options)
        retry = Retry(
            total=s.retries,
            connect=s.retries,
            read=s.retries,
            status=s.retries,
            backoff_factor=s.backoff,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET", "POST"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers.update(
            {"User-Agent": s.user_agent, "Accept": "application/sparql-results+json"}
        )
        self._session = session
        return session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def __enter__(self) -> SparqlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def select(self, sparql: str) -> list[dict[str, Node]]:
        """Run a SELECT query; each row maps variable names to rdflib terms."""
        import requests

        session = self._open()
        s = self.settings
        extra = {"force_refresh": True} if s.refresh else {}
        try:
            if len(sparql) <= 1500:
                response = session.get(
                    s.endpoint, params={"query": sparql}, timeout=s.timeout, **extra
                )
            else:  # long queries go in the body, as the SPARQL protocol allows
                response = session.post(
                    s.endpoint, data={"query": sparql}, timeout=s.timeout, **extra
                )
        except requests.exceptions.RetryError as exc:
            raise NetworkError(
                f"{s.endpoint} kept failing after {s.retries} retries ({_reason(exc)}); "
                "nothing was written"
            ) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise NetworkError(
                f"cannot reach {s.endpoint} ({_reason(exc)}); check the network or choose "
                "another --endpoint; nothing was written"
            ) from None
        if getattr(response, "from_cache", False):
            self.cache_hits += 1
        else:
            self.network_requests += 1
        if response.status_code in RETRY_STATUSES:
            raise NetworkError(
                f"{s.endpoint} kept failing after {s.retries} retries "
                f"(HTTP {response.status_code}); nothing was written"
            )
        if response.status_code != 200:
            detail = response.text.strip().splitlines()[0][:200] if response.text else ""
            raise NetworkError(
                f"{s.endpoint} answered HTTP {response.status_code}"
                + (f" ({detail})" if detail else "")
                + "; nothing was written"
            )
        try:
            data = response.json()
            variables = data["head"]["vars"]
            bindings = data["results"]["bindings"]
        except (ValueError, KeyError, TypeError):
            raise NetworkError(
                f"{s.endpoint} did not answer with SPARQL JSON results; nothing was written"
            ) from None
        return [{v: _term(b[v]) for v in variables if v in b} for b in bindings]


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for pattern, short in (
        (r"Connection refused", "connection refused"),
        (
            r"Name or service not known|nodename nor servname|Temporary failure in name",
            "unknown host",
        ),
        (r"timed out", "timed out"),
        (r"too many (\d+) error responses", "too many error responses"),
    ):
        if re.search(pattern, text):
            return short
    return type(exc).__name__


def _term(binding: Mapping[str, str]) -> Node:
    kind = binding.get("type")
    value = binding["value"]
    if kind == "uri":
        return URIRef(value)
    if kind in ("literal", "typed-literal"):
        datatype = binding.get("datatype")
        return Literal(
            value,
            lang=binding.get("xml:lang"),
            datatype=URIRef(datatype) if datatype else None,
        )
    return Literal(value)  # blank nodes carry no identity across requests


def progress(items: Sequence[Any], description: str) -> Iterable[Any]:
    """``items`` with a progress bar on a terminal (stderr); silent when piped."""
    if not sys.stderr.isatty():
        return items
    try:
        from tqdm import tqdm  # type: ignore[import-untyped, unused-ignore]
    except ImportError:  # pragma: no cover
        return items
    bar: Iterable[Any] = tqdm(items, desc=description, unit="entity", leave=False, file=sys.stderr)
    return bar
