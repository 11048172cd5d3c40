"""The platform's HTTP plumbing as one pure ASGI middleware, cheap on the request path.

Per request: the request id, the body limit (413 before the body is read), the security headers, the
access line, the per-request SQL statement count and the HTTP metrics. One layer instead of five: one
coroutine frame, one ``send`` wrapper, one pass over the request headers (raw bytes), and nothing per
request that can be built at start-up (the security headers are constant tuples, metric children are
cached per label set, a route's full template is found once per route).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .database import StatementCounter, current_statement_counter
from .errors import PROBLEM_JSON, problem_body
from .logging import current_request_id
from .metrics import HttpMetrics, app_metrics

access_log = logging.getLogger("hearth.access")

_SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,128}")

OPERATIONS_ROUTES = frozenset({"/metrics", "/health/live", "/health/ready"})
"""Route templates left out of the metrics (the access line still has them)."""

UNMATCHED = "unmatched"
"""The route of a request no route matched, in the access line and the statement metric."""

_HTTP1 = frozenset({"1.0", "1.1"})
_INFO = logging.INFO

_SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
_NO_STORE = (b"cache-control", b"no-store")
# the response headers this middleware owns or reads (compared lowercased)
_X_REQUEST_ID = b"x-request-id"
_CACHE_CONTROL = b"cache-control"
_CONTENT_LENGTH = b"content-length"


def new_request_id() -> str:
    """A fresh request id: 32 random hex digits (the shape of ``uuid4().hex``, at a fraction of its cost)."""
    return os.urandom(16).hex()


class _BodyTooLarge(Exception):
    pass


def _problem_413(scope: Scope, limit: int) -> tuple[Message, bytes]:
    state = scope.get("state") or {}
    detail = f"The request body is larger than {limit} bytes."
    body = problem_body(
        413, "payload_too_large", detail, instance=scope.get("path", ""), request_id=state.get("request_id")
    )
    raw = json.dumps(body).encode()
    start = {
        "type": "http.response.start",
        "status": 413,
        "headers": [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(raw)).encode()),
            (b"connection", b"close"),
        ],
    }
    return start, raw


class RouteTemplates:
    """The full template of the route a request matched (``/api/v1/posts/{post_id}``), never the raw path.

    Routing leaves the matched route in ``scope["route"]``; for a route of an included router that is
    the router's own route, whose ``path`` lacks the include prefixes. Its full template is looked up
    once per route object in the app's effective routes (what FastAPI serves, prefixes included) and
    cached; a route included under several prefixes (ambiguous) keeps its own path.
    """

    def __init__(self) -> None:
        self._known: dict[int, tuple[object, str]] = {}  # id(route) -> (route, template); the route pins the id

    def __call__(self, scope: Scope) -> str | None:
        route = scope.get("route")
        if route is None:
            return None
        known = self._known.get(id(route))
        if known is not None and known[0] is route:
            return known[1]
        template = self._lookup(scope.get("app"), route)
        self._known[id(route)] = (route, template)
        return template

    @staticmethod
    def _lookup(app: Any, route: Any) -> str:
        found: set[str] = set()
        for candidate in getattr(app, "routes", ()):
            contexts = getattr(candidate, "effective_route_contexts", None)
            if callable(contexts):  # an included router: its routes with their full paths
                for context in contexts():
                    if getattr(context, "original_route", None) is route:
                        path = getattr(context, "path_format", None) or getattr(context, "path", None)
                        if isinstance(path, str):
                            found.add(path)
            elif candidate is route:
                found.add(str(getattr(route, "path", "")))
        if len(found) == 1:
            return found.pop()
        return str(getattr(route, "path_format", None) or getattr(route, "path", None) or UNMATCHED)


class PlatformMiddleware:
    """Request id, body limit, security headers, access line, statement count and HTTP metrics.

    - **Request id**: a sane ``X-Request-ID`` (≤ 128 of ``[A-Za-z0-9._-]``) is echoed, anything else is
      replaced by a new one; it is in ``scope["state"]["request_id"]``, in the log context of everything
      logged during the request, and on the response.
    - **Body limit**: a declared ``Content-Length`` over the limit is refused with 413 problem+json
      without reading anything. A body without one (chunked, or not HTTP/1) is read up front, at most
      ``max_bytes`` of it, so that it is refused whatever the route (even one that never reads it) and
      never read past the limit; the bytes read are then handed to the app unchanged. An HTTP/1 request
      with neither header has no body (RFC 9112 §6.3) and is not touched; a declared length the server
      cannot vouch for (not HTTP/1) is also counted as it streams. ``prefix_limits`` gives other limits
      to paths that take larger bodies (the local storage backend's signed uploads); under
      ``streamed_prefixes`` a body of unknown length is not read up front but handed to the route as it
      arrives: those routes check the request before reading a byte and bound what they read themselves.
    - **Security headers** suited to a JSON API; responses to authenticated requests and every ``/api/``
      response get ``Cache-Control: no-store``. The docs page gets the only CSP that lets anything run:
      its scripts and styles from the CDN and its inline script by hash (no ``'unsafe-inline'``), read
      from the page itself, which is buffered to hash it (a few KB; only on the docs paths).
    - **Access line** (``hearth.access``, INFO) with method, path, route template, status, duration,
      statements and user; nothing is built for it when INFO is off.
    - **Metrics** (except the operations routes): ``hearth_db_statements_per_request`` by route and,
      given ``http_metrics``, the HTTP request metrics by route template, method and status.
    """

    DOCS_PATHS = frozenset({"/docs", "/redoc"})
    DOCS_CSP = (
        b"default-src 'none'; script-src 'self' https://cdn.jsdelivr.net%s; "
        b"style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
        b"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    API_CSP = b"default-src 'none'; frame-ancestors 'none'"
    _INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        prefix_limits: Mapping[str, int] | None = None,
        streamed_prefixes: Iterable[str] = (),
        http_metrics: HttpMetrics | None = None,
        unmeasured: Iterable[str] = OPERATIONS_ROUTES,
    ) -> None:
        self.app = app
        self.default_max_bytes = max_bytes
        self.prefix_limits = tuple((prefix_limits or {}).items())
        self.streamed_prefixes = tuple(streamed_prefixes)
        self.http_metrics = http_metrics
        self.unmeasured = frozenset(unmeasured)
        self.templates = RouteTemplates()
        self._api_headers = (*_SECURITY_HEADERS, (b"content-security-policy", self.API_CSP))
        self._statements: dict[str, Any] = {}  # route -> its hearth_db_statements_per_request child

    @classmethod
    def docs_csp(cls, page: bytes) -> bytes:
        """The docs CSP, allowing exactly the page's own inline scripts (by their SHA-256)."""
        hashes = b"".join(
            b" 'sha256-" + base64.b64encode(hashlib.sha256(script).digest()) + b"'"
            for script in cls._INLINE_SCRIPT.findall(page)
        )
        return cls.DOCS_CSP % hashes

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.prefix_limits:
            if path.startswith(prefix):
                return limit
        return self.default_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # one pass over the request headers (in C); the first of a repeated header wins
        raw_headers = scope["headers"]
        headers = dict(reversed(raw_headers if isinstance(raw_headers, list | tuple) else list(raw_headers)))
        incoming = headers.get(_X_REQUEST_ID)
        if incoming is not None and _SANE_REQUEST_ID.fullmatch(incoming):
            raw_id: bytes = incoming
            request_id = incoming.decode("ascii")
        else:
            request_id = new_request_id()
            raw_id = request_id.encode("ascii")
        state = scope.get("state")
        if state is None:
            state = scope["state"] = {}
        state["request_id"] = request_id
        path: str = scope["path"]
        no_store = b"authorization" in headers or path.startswith("/api/")
        status = 500
        response_started = False
        response_length = b""

        def decorate(message: Message, extra_headers: tuple[tuple[bytes, bytes], ...]) -> None:
            """The response's headers: ours added, any ``X-Request-ID`` of the app's replaced by ours."""
            nonlocal status, response_started, response_length
            status = message["status"]
            response_started = True
            out = []
            cache_control = False
            for name, value in message.get("headers", ()):
                lowered = name.lower()
                if lowered == _X_REQUEST_ID:
                    continue
                if lowered == _CACHE_CONTROL:
                    cache_control = True
                elif lowered == _CONTENT_LENGTH:
                    response_length = value
                out.append((name, value))
            out.extend(extra_headers)
            if no_store and not cache_control:
                out.append(_NO_STORE)
            out.append((_X_REQUEST_ID, raw_id))
            message["headers"] = out

        async def send_decorated(message: Message) -> None:
            if message["type"] == "http.response.start":
                decorate(message, self._api_headers)
            await send(message)

        downstream = self._docs_sender(send, decorate) if path in self.DOCS_PATHS else send_decorated

        request_id_token = current_request_id.set(request_id)
        counter = StatementCounter()
        counter_token = current_statement_counter.set(counter)
        try:
            upstream = receive
            declared = headers.get(_CONTENT_LENGTH)
            chunked = b"transfer-encoding" in headers
            http1 = scope.get("http_version") in _HTTP1
            if declared is not None or chunked or not http1:
                # a body (an HTTP/1 request with neither header has none: RFC 9112 section 6.3)
                limit = self.limit_for(path)
                length = _declared_length(declared)
                if length > limit:  # refused before anything is read
                    await _refuse(scope, downstream, limit)
                    return
                if chunked or length < 0:  # of unknown length: read up front, at most the limit ...
                    if not path.startswith(self.streamed_prefixes):  # ... unless the route bounds it itself
                        buffered = await _read_bounded(receive, limit)
                        if buffered is None:
                            await _refuse(scope, downstream, limit)
                            return
                        upstream = _replay(buffered, receive)
                elif not http1:  # an HTTP/1 server delivers exactly the declared length; count others
                    upstream = _counted(receive, limit)
            try:
                await self.app(scope, upstream, downstream)
            except _BodyTooLarge:
                if not response_started:
                    await _refuse(scope, downstream, self.limit_for(path))
        finally:
            current_statement_counter.reset(counter_token)
            try:
                self._record(scope, time.perf_counter() - started, status, counter.count, headers, response_length)
            finally:
                current_request_id.reset(request_id_token)

    def _record(
        self,
        scope: Scope,
        elapsed: float,
        status: int,
        statements: int,
        headers: dict[bytes, bytes],
        response_length: bytes,
    ) -> None:
        template = self.templates(scope)
        route = template or UNMATCHED
        if route not in self.unmeasured:
            child = self._statements.get(route)
            if child is None:
                child = self._statements[route] = app_metrics().db_statements.labels(route=route)
            child.observe(statements)
            if self.http_metrics is not None:
                self.http_metrics.observe(
                    scope["method"],
                    status,
                    template,
                    elapsed,
                    headers.get(_CONTENT_LENGTH),
                    response_length,
                )
        if access_log.isEnabledFor(_INFO):
            state = scope.get("state") or {}
            extra = {
                "method": scope["method"],
                "path": scope["path"],
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "db_statements": statements,
                "user_id": state.get("user_id"),
                "request_id": state.get("request_id"),
            }
            # the record made directly: Logger.info would also look up the caller's frame, which an
            # access line has no use for (a third of the line's cost)
            access_log.handle(access_log.makeRecord(access_log.name, _INFO, "", 0, "request", (), None, extra=extra))

    def _docs_sender(self, send: Send, decorate: Callable[[Message, tuple[tuple[bytes, bytes], ...]], None]) -> Send:
        """Buffer the docs page to hash its inline scripts into its CSP, then send it whole."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def send_docs(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                page = b"".join(chunks)
                decorate(start, (*_SECURITY_HEADERS, (b"content-security-policy", self.docs_csp(page))))
                await send(start)
                start = None
                await send({"type": "http.response.body", "body": page})
                return
            await send(message)

        return send_docs


def _declared_length(raw: bytes | None) -> int:
    """The declared ``Content-Length``; -1 when there is none or it is not a number."""
    if raw is None:
        return -1
    try:
        return int(raw)
    except ValueError:
        return -1


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    start, raw = _problem_413(scope, limit)
    await send(start)
    await send({"type": "http.response.body", "body": raw})


async def _read_bounded(receive: Receive, limit: int) -> Message | None:
    """Read a body of unknown length; ``None`` as soon as it passes the limit, else one message."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: let the app see it
            return message
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}


def _replay(buffered: Message, receive: Receive) -> Receive:
    pending = [buffered]

    async def replay() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replay


def _counted(receive: Receive, limit: int) -> Receive:
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _BodyTooLarge
        return message

    return counted
