"""``kzgraph serve``: a SPARQL 1.1 Protocol endpoint, a query page and linked-data pages.

The HTTP layer only negotiates and routes; queries run through a
:class:`graph.serving.sandbox.QueryRunner` (the guard, a time limit, caps on rows and bytes) in the
server process, which :mod:`graph.serving.processes` has locked down (no network or file access);
answers
are serialised by the store's :class:`graph.sparql.results.Answer`, and pages are rendered by
Jinja2 with
autoescaping on.

Statuses: 200; 204 update applied; 400 malformed query or request (a query both in the URL and
in the body, too); 403 update refused, or SERVICE/FROM/LOAD (or a dataset parameter) refused;
404 unknown entity; 406 no acceptable format for a resource; 413 request body too large; 414
query string too long; 415 unsupported request content type or charset; 422 result over the
row or byte cap; 500 the engine failed; 503 query over the time limit, or the server busy; 507
the in-memory store's update journal is full.
"""

from __future__ import annotations

import codecs
import functools
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote_plus, urlencode

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from graph.namespaces import BASE, PREFIXES
from graph.serving.sandbox import QueryRunner
from graph.sparql.results import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    QueryError,
    QuerySyntaxError,
    UpdateRefused,
    shorten,
)

ASSETS = Path(str(resources.files("graph.serving") / "assets"))
#: Paths under the base that name resources (entities, topics, evidence and project graphs).
RESOURCE_PREFIXES = ("id/", "evidence/", "graph/", "ontology")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
#: Extra media types some clients send for the standard formats.
ALIASES = {
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/x-turtle": "turtle",
    "text/plain": "ntriples",
    "application/json+ld": "jsonld",
    "text/n3": "turtle",
    "text/rdf+n3": "turtle",
}
SD = "http://www.w3.org/ns/sparql-service-description#"
#: A language tag as ``?lang=`` takes it (``kk``, ``ru``, ``kk-Cyrl``).
LANG_TAG = re.compile(r"[a-z]{2,3}(-[a-z0-9]{1,8})*")
#: The deepest neighbourhood /view draws (depth 3 already reaches most of the graph).
MAX_VIEW_DEPTH = 6
#: ``?format=`` values a page accepts, as the format names of graph.sparql.results.GRAPH_FORMATS.
FORMAT_PARAMS = {
    "html": "html",
    "ttl": "turtle",
    "turtle": "turtle",
    "jsonld": "jsonld",
    "json-ld": "jsonld",
    "nt": "ntriples",
    "ntriples": "ntriples",
    "rdf": "rdfxml",
    "rdfxml": "rdfxml",
    "xml": "rdfxml",
}
#: The alternate formats a page links to: (``?format=`` value, format name, link text).
ALTERNATES = (
    ("ttl", "turtle", "Turtle"),
    ("jsonld", "jsonld", "JSON-LD"),
    ("nt", "ntriples", "N-Triples"),
    ("rdf", "rdfxml", "RDF/XML"),
)


@dataclass
class ServerConfig:
    """Limits and switches of one server."""

    timeout: float = 10.0
    max_rows: int = 10_000
    max_request_bytes: int = 100_000
    allow_update: bool = False
    update_token: str | None = None
    base: str = BASE
    store_label: str = "in-memory graph (rdflib)"
    catalogue: list[dict[str, str]] = field(default_factory=list)


# -- Content negotiation --


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges of an Accept header with their q-values, best first (stable)."""
    ranges: list[tuple[str, float, int]] = []
    for i, part in enumerate((header or "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        ranges.append((media, q, i))
    ranges.sort(key=lambda r: (-r[1], r[2]))
    return [(m, q) for m, q, _i in ranges if q > 0]


def negotiate(accept: str | None, offers: Mapping[str, str], default: str) -> str | None:
    """The offer (name -> media type) the client prefers; ``default`` for ``*/*`` or no header.

    Returns None when the client accepts none of them.
    """
    ranges = parse_accept(accept)
    if not ranges:
        return default
    by_media = {media: name for name, media in offers.items()}
    by_media.update({m: n for m, n in ALIASES.items() if n in offers and m not in by_media})
    if "jsonld" in offers and "json" not in offers:  # JSON for a graph is JSON-LD
        by_media.setdefault("application/json", "jsonld")
    for media, _q in ranges:
        if media in by_media:
            return by_media[media]
        if media in ("*/*", "application/*", "text/*"):
            major = media.split("/")[0]
            if major == "*" or offers[default].startswith(major + "/"):
                return default
            for name, offered in offers.items():
                if offered.startswith(major + "/"):
                    return name
    return None


RESULT_MEDIA = {name: f.media_type for name, f in RESULT_FORMATS.items()}
GRAPH_MEDIA = {name: f.media_type for name, f in GRAPH_FORMATS.items()}
RDF_MEDIA = {k: v for k, v in GRAPH_MEDIA.items() if k != "trig"}
PAGE_MEDIA = {"html": "text/html", **RDF_MEDIA}


def wants_html(request: Request) -> bool:
    choice = negotiate(request.headers.get("accept"), {"html": "text/html", **RDF_MEDIA}, "turtle")
    return choice == "html"


def _with_charset(media: str) -> str:
    textual = media.startswith("text/") or media.endswith(("json", "xml", "n-triples", "trig"))
    return f"{media}; charset=utf-8" if textual else media


# -- The application --


class KzGraphServer:
    """The routes, bound to one worker pool and one configuration."""

    def __init__(self, pool: QueryRunner, config: ServerConfig) -> None:
        self.pool = pool
        self.config = config
        self.templates = Jinja2Templates(directory=str(ASSETS / "templates"))
        env = self.templates.env
        env.autoescape = True
        env.globals["href"] = self.href
        env.globals["store_label"] = config.store_label
        self._graph_names: list[str] | None = None
        self._languages: list[str] | None = None

    # helpers

    def href(self, iri: str | None) -> str | None:
        """A safe link for ``iri``: local for IRIs under the base, http(s) only otherwise."""
        if not iri:
            return None
        if iri.startswith(self.config.base):
            path, hash_, fragment = iri[len(self.config.base) :].partition("#")
            safe = "/:@!$&'()*+,;=-._~%"
            return "/" + quote(path, safe=safe) + (hash_ + quote(fragment, safe=safe))
        if iri.startswith(("http://", "https://")):
            return iri
        return None

    def error(
        self,
        request: Request | None,
        status: int,
        message: str,
        title: str | None = None,
        suggestions: list[dict[str, Any]] | None = None,
    ) -> Response:
        """An error as a small HTML page for browsers (with did-you-mean links when given),
        plain text otherwise."""
        if request is not None and wants_html(request) and request.url.path != "/sparql":
            return self.templates.TemplateResponse(
                request,
                "error.html",
                {
                    "status": status,
                    "title": title or "Error",
                    "message": message,
                    "suggestions": suggestions or [],
                },
                status_code=status,
                headers={"Content-Security-Policy": CSP},
            )
        return PlainTextResponse(message + "\n", status_code=status)

    def query_error(self, exc: QueryError) -> Response:
        headers = {"Retry-After": "5"} if exc.http_status == 503 else None
        return PlainTextResponse(exc.message + "\n", status_code=exc.http_status, headers=headers)

    async def graph_names(self) -> list[str]:
        if self._graph_names is None:
            _form, _media, body, _n = await self.pool.call(
                "query",
                "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                "tsv",
                "ntriples",
                None,
            )
            lines = body.decode("utf-8").splitlines()[1:]
            self._graph_names = sorted(line.strip()[1:-1] for line in lines if line.strip())
        return self._graph_names

    # the protocol

    async def sparql(self, request: Request) -> Response:
        url_params: dict[str, list[str]] = {}
        for key, value in parse_qsl(request.url.query, keep_blank_values=True):
            url_params.setdefault(key, []).append(value)
        if request.method in ("GET", "HEAD"):
            if len(request.url.query.encode()) > self.config.max_request_bytes:
                return PlainTextResponse(
                    f"query string longer than {self.config.max_request_bytes} bytes\n",
                    status_code=414,
                )
            params = url_params
            if "update" in params:
                return PlainTextResponse("updates must be POSTed\n", status_code=400)
            if "query" not in params:
                return await self.service_description(request)
            text = params["query"][0]
        else:
            body = await self.read_body(request)
            if isinstance(body, Response):
                return body
            content_type = request.headers.get("content-type", "")
            media = content_type.split(";")[0].strip().lower()
            decoded = _decode_body(body, content_type)
            if isinstance(decoded, Response):
                return decoded
            params = {}
            if media == "application/x-www-form-urlencoded":
                for key, value in parse_qsl(decoded, keep_blank_values=True):
                    params.setdefault(key, []).append(value)
                if {"query", "update"} & set(params) & set(url_params):
                    return _both_places()
                for key, values in url_params.items():
                    params.setdefault(key, []).extend(values)
                if "update" in params and "query" in params:
                    return PlainTextResponse(
                        "a request carries a query or an update, not both\n", status_code=400
                    )
                if "update" in params:
                    if len(params["update"]) > 1:
                        return PlainTextResponse(
                            "more than one update parameter\n", status_code=400
                        )
                    return await self.update(request, params["update"][0], params)
                if "query" not in params:
                    return PlainTextResponse("no query or update parameter\n", status_code=400)
                text = params["query"][0]
            elif media in ("application/sparql-query", "application/sparql-update"):
                if {"query", "update"} & set(url_params):
                    return _both_places()
                params = url_params
                if media == "application/sparql-update":
                    return await self.update(request, decoded, params)
                text = decoded
            else:
                return PlainTextResponse(
                    "POST application/x-www-form-urlencoded, application/sparql-query or"
                    " application/sparql-update\n",
                    status_code=415,
                )
        if len(params.get("query", [text])) > 1:
            return PlainTextResponse("more than one query parameter\n", status_code=400)
        defaults, named = params.get("default-graph-uri", []), params.get("named-graph-uri", [])
        if defaults or named:
            try:
                text = with_dataset(text, defaults, named)
            except ValueError as exc:
                return PlainTextResponse(f"{exc}\n", status_code=400)
        accept = request.headers.get("accept")
        result_fmt = negotiate(accept, RESULT_MEDIA, "json") or "json"
        graph_fmt = negotiate(accept, GRAPH_MEDIA, "turtle") or "turtle"
        try:
            try:
                _form, media, payload, count = await self.pool.call(
                    "query", text, result_fmt, graph_fmt, self.config.max_rows
                )
            except QuerySyntaxError as exc:
                if "relative IRI" not in exc.message:
                    raise
                # relative IRIs resolve against the endpoint's IRI, where the query was sent
                base = str(request.url.replace(query="", fragment=""))
                _form, media, payload, count = await self.pool.call(
                    "query", f"BASE <{base}>\n{text}", result_fmt, graph_fmt, self.config.max_rows
                )
        except QueryError as exc:
            return self.query_error(exc)
        return Response(
            payload,
            media_type=_with_charset(media),
            headers={"Vary": "Accept", "X-Result-Count": str(count)},
        )

    async def read_body(self, request: Request) -> bytes | Response:
        """The request body, refused with 413 once it exceeds the cap (streamed, not trusted)."""
        cap = self.config.max_request_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            return PlainTextResponse(f"request body larger than {cap} bytes\n", status_code=413)
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > cap:
                return PlainTextResponse(f"request body larger than {cap} bytes\n", status_code=413)
            chunks.append(chunk)
        return b"".join(chunks)

    async def update(
        self, request: Request, text: str, params: Mapping[str, list[str]] | None = None
    ) -> Response:
        config = self.config
        if params and (params.get("using-graph-uri") or params.get("using-named-graph-uri")):
            return PlainTextResponse(
                "using-graph-uri and using-named-graph-uri are not supported: write USING or"
                " USING NAMED in the update\n",
                status_code=400,
            )
        if not config.allow_update or not config.update_token:
            return self.query_error(
                UpdateRefused("SPARQL Update is disabled on this server (it is read-only)")
            )
        supplied = request.headers.get("authorization", "")
        expected = f"Bearer {config.update_token}"
        if not hmac.compare_digest(supplied.encode(), expected.encode()):
            return self.query_error(
                UpdateRefused("SPARQL Update needs the server's token (Authorization: Bearer ...)")
            )
        try:
            await self.pool.call("update", text)
        except QueryError as exc:
            return self.query_error(exc)
        self._graph_names = None
        self._languages = None
        return Response(status_code=204)

    async def service_description(self, request: Request) -> Response:
        if wants_html(request):
            return await self.query_page(request)
        fmt = negotiate(request.headers.get("accept"), RDF_MEDIA, "turtle")
        if fmt is None:
            return PlainTextResponse("no acceptable format\n", status_code=406)
        from rdflib import RDF, Graph, Literal, URIRef
        from rdflib.namespace import Namespace

        sd = Namespace(SD)
        formats = Namespace("http://www.w3.org/ns/formats/")
        g = Graph(bind_namespaces="none")
        g.bind("sd", sd)
        g.bind("formats", formats)
        g.bind("void", PREFIXES["void"])
        g.bind("dct", PREFIXES["dct"])
        endpoint = URIRef(str(request.url.replace(query="", fragment="")))
        service = endpoint
        g.add((service, RDF.type, sd.Service))
        g.add((service, sd.endpoint, endpoint))
        g.add((service, sd.supportedLanguage, sd.SPARQL11Query))
        if self.config.allow_update:
            g.add((service, sd.supportedLanguage, sd.SPARQL11Update))
        g.add((service, sd.feature, sd.UnionDefaultGraph))
        for name in (
            "SPARQL_Results_JSON",
            "SPARQL_Results_XML",
            "SPARQL_Results_CSV",
            "SPARQL_Results_TSV",
            "Turtle",
            "N-Triples",
            "JSON-LD",
            "RDF_XML",
        ):
            g.add((service, sd.resultFormat, formats[name]))
        dataset = URIRef(str(request.url_for("void")) + "#dataset")
        default_graph = URIRef(str(endpoint) + "#default-graph")
        g.add((service, sd.defaultDataset, dataset))
        g.add((dataset, RDF.type, sd.Dataset))
        g.add((dataset, sd.defaultGraph, default_graph))
        g.add((default_graph, RDF.type, sd.Graph))
        g.add(
            (
                default_graph,
                URIRef(PREFIXES["dct"] + "description"),
                Literal("The union (merge) of all the named graphs", lang="en"),
            )
        )
        try:
            names = await self.graph_names()
        except QueryError as exc:
            return self.query_error(exc)
        for i, name in enumerate(names):
            node = URIRef(f"{endpoint}#named-graph-{i}")
            g.add((dataset, sd.namedGraph, node))
            g.add((node, RDF.type, sd.NamedGraph))
            g.add((node, sd.name, URIRef(name)))
        media = RDF_MEDIA[fmt]
        data = g.serialize(format=_rdflib_format(fmt), encoding="utf-8")
        return Response(data, media_type=_with_charset(media), headers={"Vary": "Accept"})

    # pages

    async def query_page(self, request: Request) -> Response:
        from graph.serving.query_page import example_queries

        policy = getattr(self.pool, "policy", None)
        examples = example_queries(self.config.catalogue, getattr(policy, "allowed_services", ()))
        return self.templates.TemplateResponse(
            request,
            "query.html",
            {
                "examples": examples,
                "endpoint": str(request.url_for("sparql")),
                "prefixes": PREFIXES,
                "base": self.config.base,
            },
            headers={"Content-Security-Policy": CSP},
        )

    def page_format(self, request: Request, offers: Mapping[str, str]) -> str | None:
        """``?format=`` when given (unknown values answer None), else the Accept header."""
        asked = request.query_params.get("format")
        if asked is not None:
            name = FORMAT_PARAMS.get(asked.lower())
            return name if name in offers else None
        return negotiate(request.headers.get("accept"), offers, "html")

    def alternates(self, path: str) -> tuple[list[dict[str, str]], str]:
        """Links to a page's other formats, and the same as a ``Link`` header."""
        links = [
            {"href": f"{path}?format={param}", "type": RDF_MEDIA[name], "text": text}
            for param, name, text in ALTERNATES
        ]
        header = ", ".join(
            f'<{quote(link["href"], safe="/?=&%")}>; rel="alternate"; type="{link["type"]}"'
            for link in links
        )
        return links, header

    async def resource(self, request: Request) -> Response:
        path = request.path_params["path"]
        if not path.startswith(RESOURCE_PREFIXES) or not re.fullmatch(
            r"[A-Za-z0-9._~/%:@!$&'()*+,;=-]+", path
        ):
            return await self.not_found_page(request, path)
        iri = self.config.base + path
        choice = self.page_format(request, PAGE_MEDIA)
        if choice is None:
            return PlainTextResponse("no acceptable format\n", status_code=406)
        if path == "ontology" and choice != "html":
            return await self.ontology(choice)
        links, link_header = self.alternates("/" + path)
        try:
            if path == "ontology":
                lang, languages = await self.label_language(request)
                data = await self.pool.call("ontology_doc", lang)
                return self.templates.TemplateResponse(
                    request,
                    "ontology.html",
                    {"o": data, "title": data["header"]["title"], "alternates": links},
                    headers={"Content-Security-Policy": CSP, "Vary": "Accept", "Link": link_header},
                )
            if choice == "html":
                lang, languages = await self.label_language(request)
                data = await self.pool.call("entity", iri, lang)
            else:
                data = await self.pool.call("entity_rdf", iri, choice)
        except QueryError as exc:
            return self.query_error(exc)
        if data is None:
            return await self.not_found_page(
                request, path, f"This dataset says nothing about <{iri}>.", "Unknown resource"
            )
        if choice != "html":
            media, body = data
            return Response(
                body,
                media_type=_with_charset(media),
                headers={
                    "Vary": "Accept",
                    "Link": f'<{quote("/" + path)}>; rel="alternate"; type="text/html"',
                },
            )
        return self.templates.TemplateResponse(
            request,
            "entity.html",
            {
                "e": data,
                "title": data["label"] or data["short"],
                "lang": lang,
                "languages": languages,
                "path": "/" + path,
                "alternates": links,
                "view": "/view?" + urlencode({"focus": iri, "lang": lang})
                if path.startswith("id/") and data.get("in_network")
                else None,
            },
            headers={
                "Content-Security-Policy": CSP,
                "Vary": "Accept, Accept-Language",
                "Content-Language": lang,
                "Link": link_header,
            },
        )

    async def not_found_page(
        self,
        request: Request,
        path: str,
        message: str | None = None,
        title: str = "Not found",
    ) -> Response:
        """404, with the entities the address may have meant
        (:func:`graph.serving.search.did_you_mean`)."""
        suggestions: list[dict[str, Any]] = []
        if wants_html(request) and path.strip("/"):
            try:
                suggestions = await self.pool.call("did_you_mean", path[:200])
            except QueryError:
                suggestions = []
        return self.error(
            request, 404, message or f"Nothing at /{path}.", title, suggestions=suggestions
        )

    async def search(self, request: Request) -> Response:
        """``/search?q=``: a results page, or JSON suggestions with ``format=json``."""
        text = request.query_params.get("q", "")[:200]
        lang, _languages = await self.label_language(request)
        as_json = request.query_params.get("format") == "json" or (
            negotiate(
                request.headers.get("accept"),
                {"html": "text/html", "json": "application/json"},
                "html",
            )
            == "json"
        )
        limit = 8 if as_json else 50
        try:
            found = await self.pool.call("search", text, lang, limit)
        except QueryError as exc:
            return self.query_error(exc)
        if as_json:
            items = [
                {
                    "label": r["label"],
                    "kind": r["kind"]["label"],
                    "matched": r.get("matched"),
                    "href": self.href(r["iri"]),
                    "iri": r["iri"],
                }
                for r in found["results"] or found["suggestions"]
            ]
            body = {
                "query": found["query"],
                "total": found["total"],
                "suggestion": not found["results"],
                "results": items,
            }
            return Response(
                json.dumps(body, ensure_ascii=False),
                media_type="application/json",
                headers={"Vary": "Accept"},
            )
        return self.templates.TemplateResponse(
            request,
            "search.html",
            {"title": f"Search: {text}" if text else "Search", "found": found, "q": text},
            headers={"Content-Security-Policy": CSP, "Vary": "Accept"},
        )

    async def browse(self, request: Request) -> Response:
        """``/index``: every named entity, grouped by kind."""
        lang, _languages = await self.label_language(request)
        try:
            groups = await self.pool.call("index", lang)
        except QueryError as exc:
            return self.query_error(exc)
        return self.templates.TemplateResponse(
            request,
            "index.html",
            {"title": "Index", "groups": groups},
            headers={"Content-Security-Policy": CSP},
        )

    async def ontology(self, fmt: str) -> Response:
        """The ontology graph (kzg:ontology) for RDF clients."""
        query = (
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{PREFIXES['kzg']}ontology> {{ ?s ?p ?o }} }}"
        )
        try:
            _form, media, body, _n = await self.pool.call("query", query, "json", fmt, None)
        except QueryError as exc:
            return self.query_error(exc)
        return Response(body, media_type=_with_charset(media), headers={"Vary": "Accept"})

    async def void(self, request: Request) -> Response:
        offers = {"html": "text/html", **RDF_MEDIA}
        asked = request.query_params.get("format")
        if asked is not None:
            fmt = FORMAT_PARAMS.get(asked.lower())
            fmt = fmt if fmt in offers else None
        else:
            fmt = negotiate(request.headers.get("accept"), offers, "turtle")
            if fmt == "turtle" and wants_html(request):
                fmt = "html"
        if fmt is None:
            return PlainTextResponse("no acceptable format\n", status_code=406)
        if fmt == "html":
            links, link_header = self.alternates("/void")
            try:
                data = await self.pool.call("void_page", self.config.base)
            except QueryError as exc:
                return self.query_error(exc)
            return self.templates.TemplateResponse(
                request,
                "void.html",
                {
                    "title": "The dataset",
                    "d": data,
                    "endpoint": str(request.url_for("sparql")),
                    "alternates": links,
                },
                headers={"Content-Security-Policy": CSP, "Vary": "Accept", "Link": link_header},
            )
        try:
            data = await self.void_graph(request)
        except QueryError as exc:
            return self.query_error(exc)
        body = data.serialize(format=_rdflib_format(fmt), encoding="utf-8")
        return Response(body, media_type=_with_charset(RDF_MEDIA[fmt]), headers={"Vary": "Accept"})

    async def void_graph(self, request: Request) -> Any:
        """A VoID description: size, endpoint, vocabularies, the named graphs as subsets."""
        from rdflib import RDF, Graph, Literal, URIRef
        from rdflib.namespace import XSD, Namespace

        void = Namespace(PREFIXES["void"])
        dct = Namespace(PREFIXES["dct"])
        counts = await self.pool.call(
            "query",
            "SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) WHERE { ?s ?p ?o }",
            "tsv",
            "ntriples",
            None,
        )
        values = counts[2].decode().splitlines()[1].split("\t")
        examples = await self.pool.call(
            "query",
            "SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?s), STR(kzr:))) }"
            " GROUP BY ?s ORDER BY DESC(?n) ?s LIMIT 3",
            "tsv",
            "ntriples",
            None,
        )
        g = Graph(bind_namespaces="none")
        for prefix in ("void", "dct", "kzr", "kzg", "kz"):
            g.bind(prefix, PREFIXES[prefix])
        dataset = URIRef(str(request.url_for("void")) + "#dataset")
        g.add((dataset, RDF.type, void.Dataset))
        g.add((dataset, dct.title, Literal("kzgraph", lang="en")))
        g.add(
            (
                dataset,
                dct.description,
                Literal(
                    "An open knowledge graph of the institutions, laws and treaties behind"
                    " Kazakhstan's"
                    " human-rights reforms, every fact with its source passage and evidence quote.",
                    lang="en",
                ),
            )
        )
        g.add((dataset, dct.license, URIRef("https://creativecommons.org/licenses/by/4.0/")))
        g.add((dataset, void.sparqlEndpoint, URIRef(str(request.url_for("sparql")))))
        g.add((dataset, void.uriSpace, Literal(PREFIXES["kzr"])))
        g.add((dataset, void.triples, Literal(_number(values[0]), datatype=XSD.integer)))
        g.add((dataset, void.distinctSubjects, Literal(_number(values[1]), datatype=XSD.integer)))
        for vocabulary in ("kz", "org", "eli", "schema", "prov", "skos", "dct", "foaf"):
            g.add((dataset, void.vocabulary, URIRef(PREFIXES[vocabulary])))
        for line in examples[2].decode().splitlines()[1:]:
            iri = line.split("\t")[0].strip()[1:-1]
            if iri:
                g.add((dataset, void.exampleResource, URIRef(iri)))
        for name in await self.graph_names():
            g.add((dataset, void.subset, URIRef(name)))
            g.add((URIRef(name), RDF.type, void.Dataset))
        return g

    async def label_language(self, request: Request) -> tuple[str, list[str]]:
        """The label language for a page, and the choices: ``?lang=``, else the browser's
        Accept-Language among the languages labels exist in, else English."""
        if self._languages is None:
            self._languages = list(await self.pool.call("languages"))
        languages = self._languages
        asked = request.query_params.get("lang", "").strip().lower()
        if LANG_TAG.fullmatch(asked):
            return asked.split("-")[0], languages
        for tag, _q in parse_accept(request.headers.get("accept-language")):
            primary = tag.split("-")[0]
            if primary in languages:
                return primary, languages
        return "en", languages

    async def view(self, request: Request) -> Response:
        """The network view (graph.explore.view) of the whole graph, a neighbourhood, or a query
        result.

        ``?focus=ENTITY&depth=N`` (label, prefixed name or IRI), ``?query=SPARQL`` (CONSTRUCT,
        DESCRIBE, or SELECT ?s ?p ?o; checked and capped as on /sparql), ``?lang=kk``.
        """
        from graph.explore.view import CONTENT_SECURITY_POLICY

        if len(request.url.query.encode()) > self.config.max_request_bytes:
            return PlainTextResponse(
                f"query string longer than {self.config.max_request_bytes} bytes\n",
                status_code=414,
            )
        params = request.query_params
        focus = params.get("focus") or None
        text = params.get("query") or None
        raw_depth = params.get("depth", "1")
        if not raw_depth.isdigit() or int(raw_depth) > MAX_VIEW_DEPTH:
            return self.error(
                request,
                400,
                f"depth must be a whole number from 0 to {MAX_VIEW_DEPTH}.",
                "Bad depth",
            )
        if "depth" in params and focus is None:
            return self.error(request, 400, "depth needs focus=ENTITY.", "Bad request")
        lang, _languages = await self.label_language(request)
        try:
            status, page = await self.pool.call(
                "view", focus, int(raw_depth), text, lang, self.config.base, self.config.max_rows
            )
        except QueryError as exc:
            if wants_html(request) and exc.http_status != 503:
                return self.error(request, exc.http_status, exc.message, "The query failed")
            return self.query_error(exc)
        if status != 200:
            title = "Unknown entity" if status == 404 else "Nothing to draw"
            return self.error(request, status, page, title)
        return Response(
            page.html,
            media_type="text/html; charset=utf-8",
            headers={
                "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                "Content-Language": lang,
                "X-Nodes": str(page.nodes),
                "X-Edges": str(page.edges),
            },
        )

    async def queries(self, request: Request) -> Response:
        body = json.dumps(self.config.catalogue, ensure_ascii=False, indent=1)
        return Response(body, media_type="application/json")

    async def not_found(self, request: Request, exc: Exception) -> Response:
        return await self.not_found_page(request, request.url.path.lstrip("/"))

    def app(self) -> Starlette:
        routes = [
            Route("/", self.query_page, name="home"),
            Route("/sparql", self.sparql, methods=["GET", "POST"], name="sparql"),
            Route("/void", self.void, name="void"),
            Route("/.well-known/void", lambda r: RedirectResponse("/void", 303)),
            Route("/queries", self.queries, name="queries"),
            Route("/view", self.view, name="view"),
            Route("/search", self.search, name="search"),
            Route("/index", self.browse, name="index"),
            Mount("/static", StaticFiles(directory=str(ASSETS / "static")), name="static"),
            Route("/{path:path}", self.resource, name="resource"),
        ]
        middleware = [
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST", "HEAD"],
                # YASGUI and browsers send X-Requested-With; updates carry Authorization
                allow_headers=["Accept", "Content-Type", "X-Requested-With", "Authorization"],
                max_age=3600,
            ),
            Middleware(NoSniff),
        ]
        return Starlette(
            routes=routes,
            middleware=middleware,
            exception_handlers={404: self.not_found},
        )


def _both_places() -> Response:
    return PlainTextResponse(
        "the query or update is both in the URL and in the body: send it in one place\n",
        status_code=400,
    )


def _decode_body(body: bytes, content_type: str) -> str | Response:
    """The body as UTF-8 text: the protocol's only charset for a query or an update (SPARQL 1.1
    Protocol 2.1.3); another charset named in Content-Type is refused with 415."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"')
            try:
                known = codecs.lookup(charset).name
            except LookupError:
                known = None
            if known != "utf-8":
                return PlainTextResponse(
                    f"unsupported charset {charset[:40]!r}: send UTF-8\n", status_code=415
                )
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return PlainTextResponse(
            f"the request body is not valid UTF-8 (byte {exc.start})\n", status_code=400
        )


#: What a query is made of, as far as finding its dataset clause goes: blank space and
#: comments, strings, IRIs, variables, words (keywords and prefixed names), single characters.
_TOKENS = re.compile(
    r"(?P<skip>[ \t\r\n]+|#[^\r\n]*)"
    r'|(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\r\n]|\\.)*"'
    r"|'(?:[^'\\\r\n]|\\.)*')"
    r'|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)'
    r"|(?P<var>[?$]\w+)"
    r"|(?P<word>[^\W\d][\w.-]*(?::[^\s{}()<>\"',;]*)?|:[^\s{}()<>\"',;]*)"
    r"|(?P<char>.)",
    re.S,
)
_IRI = re.compile(r'[^<>"{}|^`\\\x00-\x20]+')
_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
_AFTER_DESCRIBE = {"ORDER", "LIMIT", "OFFSET", "VALUES", "GROUP", "HAVING"}


def with_dataset(text: str, defaults: Sequence[str], named: Sequence[str]) -> str:
    """``text`` with its dataset clause replaced by the ``FROM`` / ``FROM NAMED`` clauses that
    the protocol's ``default-graph-uri`` / ``named-graph-uri`` name (they take precedence,
    SPARQL 1.1 Protocol 2.1.4). The guard then checks them as it checks any FROM, so the same
    policy applies; a query this cannot read is left for the parser to report.

    Raises:
        ValueError: a graph parameter that is not an absolute IRI.
    """
    for iri in [*defaults, *named]:
        if not _IRI.fullmatch(iri) or ":" not in iri:
            raise ValueError(f"default-graph-uri / named-graph-uri must be IRIs: {iri[:80]!r}")
    clause = " ".join([f"FROM <{g}>" for g in defaults] + [f"FROM NAMED <{g}>" for g in named])
    tokens = [(m.lastgroup, m.group(), m.start()) for m in _TOKENS.finditer(text)]
    form, i = None, 0
    while i < len(tokens):  # the prologue, up to the query form
        kind, value, _start = tokens[i]
        i += 1
        if kind == "word" and value.upper() in _FORMS:
            form = value.upper()
            break
    if form is None:
        return text
    if form == "CONSTRUCT":  # its template comes before the dataset clause
        while i < len(tokens) and tokens[i][0] == "skip":
            i += 1
        if i < len(tokens) and tokens[i][1] == "{":
            depth = 0
            for j in range(i, len(tokens)):
                if tokens[j][0] == "char":
                    depth += {"{": 1, "}": -1}.get(tokens[j][1], 0)
                if depth == 0:
                    i = j + 1
                    break
    start = end = None
    depth = 0
    for kind, value, position in tokens[i:]:
        if kind == "char" and value in "({[":
            if depth == 0 and value == "{":
                end = position
                break
            depth += 1
        elif kind == "char" and value in ")}]":
            depth -= 1
        elif kind == "word" and depth == 0:
            word = value.upper()
            if word == "FROM" and start is None:
                start = position
            elif word == "WHERE" or (form == "DESCRIBE" and word in _AFTER_DESCRIBE):
                end = position
                break
    if end is None:
        end = len(text)
    if start is None:
        start = end
    return f"{text[:start]} {clause} {text[end:]}"


def _number(cell: str) -> int:
    match = re.match(r'"?(\d+)', cell.strip())
    return int(match.group(1)) if match else 0


def _rdflib_format(name: str) -> str:
    return {
        "turtle": "turtle",
        "ntriples": "nt",
        "jsonld": "json-ld",
        "rdfxml": "xml",
        "trig": "trig",
    }[name]


def catalogue_entries() -> list[dict[str, str]]:
    """The query catalogue as plain data for the query page."""
    from graph.sparql.catalogue import list_queries

    return [
        {"name": q.name, "title": q.title or q.name, "description": q.description, "text": q.text}
        for q in list_queries()
    ]


class NoSniff:
    """``X-Content-Type-Options: nosniff`` on every response (unless the server adds it)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get(SERVER_SETS_NOSNIFF):
            await self.app(scope, receive, send)
            return

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"x-content-type-options", NOSNIFF)],
                }
            await send(message)

        await self.app(scope, receive, sending)


#: The scope key :mod:`graph.serving.processes` sets: uvicorn adds the header itself (to its own
# errors too).
SERVER_SETS_NOSNIFF = "kzgraph.nosniff"
NOSNIFF = b"nosniff"


class PlainQueries:
    """The application, with the commonest request answered without routing: a GET of
    ``/sparql?query=...`` with no other parameter and no ``Origin``. It goes through the same
    runner (guard, limits), negotiation and error answers as :meth:`KzGraphServer.sparql`, and
    gets the same headers (``Vary: Accept, Origin`` as the CORS middleware says); any other
    request goes to the Starlette application. Routing and middleware cost more than Oxigraph
    takes to look up a subject (docs/performance.md).
    """

    def __init__(self, server: KzGraphServer, app: Starlette) -> None:
        self.server = server
        self.app = app
        self.limit = server.config.max_request_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        text = self._plain(scope)
        if text is None:
            await self.app(scope, receive, send)
            return
        accept = next((v for k, v in scope["headers"] if k == b"accept"), None)
        header = accept.decode("latin-1") if accept is not None else None
        # negotiation is cached for Accept headers of a sane size only (the cache is keyed on
        # request text)
        formats = _formats if header is None or len(header) <= 512 else _formats.__wrapped__
        result_fmt, graph_fmt = formats(header)
        try:
            _form, media, payload, count = await self.server.pool.call(
                "query", text, result_fmt, graph_fmt, self.server.config.max_rows
            )
        except QueryError as exc:
            response = self.server.query_error(exc)
            response.headers["Vary"] = "Origin"
            await (response if scope.get(SERVER_SETS_NOSNIFF) else NoSniff(response))(
                scope, receive, send
            )
            return
        headers = [
            (b"content-type", _with_charset(media).encode("latin-1")),
            (b"content-length", str(len(payload)).encode("ascii")),
            (b"vary", b"Accept, Origin"),
            (b"x-result-count", str(count).encode("ascii")),
        ]
        if not scope.get(SERVER_SETS_NOSNIFF):
            headers.append((b"x-content-type-options", NOSNIFF))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    def _plain(self, scope: Any) -> str | None:
        """The query of a plain GET, or None for everything else."""
        if scope["type"] != "http" or scope["path"] != "/sparql" or scope["method"] != "GET":
            return None
        raw = scope["query_string"]
        if not raw.startswith(b"query=") or b"&" in raw or b";" in raw or len(raw) > self.limit:
            return None
        if any(k == b"origin" for k, _v in scope["headers"]):
            return None
        try:
            return unquote_plus(raw[6:].decode("ascii"), errors="replace")
        except UnicodeDecodeError:
            return None


@functools.lru_cache(maxsize=256)
def _formats(accept: str | None) -> tuple[str, str]:
    """(result format, graph format) for an Accept header, as the protocol handler picks them."""
    return (
        negotiate(accept, RESULT_MEDIA, "json") or "json",
        negotiate(accept, GRAPH_MEDIA, "turtle") or "turtle",
    )


def create_app(pool: QueryRunner, config: ServerConfig | None = None) -> PlainQueries:
    """The ASGI application over a :class:`QueryRunner` (served by
    :mod:`graph.serving.processes`)."""
    conf = config or ServerConfig(catalogue=catalogue_entries())
    server = KzGraphServer(pool, conf)
    return PlainQueries(server, server.app())


__all__: Sequence[str] = ["ServerConfig", "create_app", "negotiate", "shorten", "with_dataset"]
