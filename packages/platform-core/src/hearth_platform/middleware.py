"""The platform's HTTP plumbing as one pure ASGI middleware, cheap on the request path.

Per request: the request id, the gate (Host, body limit and bearer token, before the body is read), the
security headers (on every response, a 500 included), the access line, the per-request SQL statement
count and the HTTP metrics. One layer instead of five: one coroutine frame, one ``send`` wrapper, one
pass over the request headers (raw bytes), and nothing per request that can be built at start-up (the
security headers are constant tuples, metric children are cached per label set, a route's full template
is found once per route).
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

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .bodies import BodyOverLimit, counted, declared_length, read_bounded, replay
from .database import StatementCounter, current_statement_counter
from .errors import (
    PROBLEM_JSON,
    BodyTooLarge,
    DatabaseUnavailable,
    HearthError,
    HostNotAllowed,
    TokenRejected,
    TokenRequired,
    Unexpected,
    problem_body,
)
from .gate import (
    API_PREFIX,
    PREAUTH_BODY_BYTES,
    HostAllowlist,
    OpenRoutes,
    relative_location,
    token_is_live,
)
from .logging import current_request_id
from .metrics import HTTP_METHODS, HttpMetrics, app_metrics
from .ratelimit import QUOTA_KEY
from .routing import finish_on_loop
from .security import bearer_token
from .uow import OPEN_UNITS_OF_WORK

access_log = logging.getLogger("hearth.access")
log = logging.getLogger("hearth.http")

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
_LOCATION = b"location"


def new_request_id() -> str:
    """A fresh request id: 32 random hex digits (the shape of ``uuid4().hex``, at a fraction of its cost)."""
    return os.urandom(16).hex()


def _problem(scope: Scope, error: HearthError, *, close: bool) -> tuple[Message, bytes]:
    """An error answered by the middleware itself, as problem+json; ``close`` when the body was left unread."""
    state = scope.get("state") or {}
    body = problem_body(
        error.status, error.code, error.detail, instance=scope.get("path", ""), request_id=state.get("request_id")
    )
    raw = json.dumps(body).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(raw)).encode()),
        *((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in error.headers.items()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    return {"type": "http.response.start", "status": error.status, "headers": headers}, raw


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
    """Request id, the gate, security headers, access line, statement count and HTTP metrics.

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
    - **Gate** (``gate.py``), before anything is read: a ``Host`` outside ``allowed_hosts`` gets 400; a
      body for an ``/api/`` route that needs a token gets 401 without a well-formed bearer token, and,
      when it is over ``PREAUTH_BODY_BYTES`` or chunked, unless the token is live.
    - **Security headers** suited to a JSON API, on every response: an unhandled exception is answered
      here (500 problem+json, then re-raised for the server's error handler and log), not outside this
      layer without them. A redirect the app built from ``Host`` is made relative. Responses to
      authenticated requests and every ``/api/`` response get ``Cache-Control: no-store``. The docs page
      gets the only CSP that lets anything run: its scripts and styles from this server only (``docs.py``)
      and its inline script by hash (no ``'unsafe-inline'`` script), read from the page itself, which is
      buffered to hash it (a few KB; only on the docs paths).
    - **Access line** (``hearth.access``, INFO) with method, path, route template, status, duration,
      statements and user; nothing is built for it when INFO is off.
    - **Metrics** (except the operations routes): ``hearth_db_statements_per_request`` by method and route and,
      given ``http_metrics``, the HTTP request metrics by route template, method and status.
    """

    DOCS_PATHS = frozenset({"/docs", "/redoc"})
    # the docs' assets are the app's own (docs.py): no other host; ReDoc runs a worker from a blob and
    # styles itself inline
    DOCS_CSP = (
        b"default-src 'none'; script-src 'self'%s; worker-src 'self' blob:; "
        b"style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
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
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.default_max_bytes = max_bytes
        self.prefix_limits = tuple((prefix_limits or {}).items())
        self.streamed_prefixes = tuple(streamed_prefixes)
        self.http_metrics = http_metrics
        self.unmeasured = frozenset(unmeasured)
        self.templates = RouteTemplates()
        names = tuple(allowed_hosts)
        self.allowed_hosts = HostAllowlist(names) if names else None
        self._open_routes: OpenRoutes | None = None  # read from the app on the first request that needs it
        self._api_headers = (*_SECURITY_HEADERS, (b"content-security-policy", self.API_CSP))
        self._statements: dict[tuple[str, str], Any] = {}  # (method, route) -> its statements histogram child

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
        host = headers.get(b"host")

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
                elif lowered == _LOCATION and host is not None:
                    value = relative_location(value, host)
                out.append((name, value))
            out.extend(extra_headers)
            quota = state.get(QUOTA_KEY) if (state := scope.get("state")) else None
            if quota is not None:  # the tightest rate limit this request counted against
                out.extend(quota.headers())
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
            length = declared_length(declared)
            chunked = b"transfer-encoding" in headers
            http1 = scope.get("http_version") in _HTTP1
            # a body (an HTTP/1 request with neither header, or with a zero length, has none: RFC 9112 6.3)
            has_body = chunked or not http1 or (declared is not None and length != 0)
            limit = self.limit_for(path)
            if has_body or self.allowed_hosts is not None:
                refusal = await self._refusal(scope, headers, path, length if has_body else None, limit)
                if refusal is not None:  # refused before anything is read
                    await _send_problem(scope, downstream, refusal, close=has_body)
                    return
            if has_body:
                if chunked or length < 0:  # of unknown length: read up front, at most the limit ...
                    if not path.startswith(self.streamed_prefixes):  # ... unless the route bounds it itself
                        buffered = await read_bounded(receive, limit)
                        if buffered is None:
                            await _send_problem(scope, downstream, BodyTooLarge(limit), close=True)
                            return
                        upstream = replay(buffered, receive)
                elif not http1:  # an HTTP/1 server delivers exactly the declared length; count others
                    upstream = counted(receive, limit)
            try:
                await self.app(scope, upstream, downstream)
            except BodyOverLimit:
                if not response_started:
                    await _send_problem(scope, downstream, BodyTooLarge(limit), close=True)
            except Exception:
                # answered here, with this layer's headers; the server's error handler still logs it
                if not response_started:
                    await _send_problem(scope, downstream, Unexpected(), close=False)
                raise
        finally:
            if scope.get(OPEN_UNITS_OF_WORK):  # a request that failed before its handler ran
                await finish_on_loop(scope, succeeded=False)
            current_statement_counter.reset(counter_token)
            try:
                self._record(scope, time.perf_counter() - started, status, counter.count, headers, response_length)
            finally:
                current_request_id.reset(request_id_token)

    async def _refusal(
        self, scope: Scope, headers: dict[bytes, bytes], path: str, body_length: int | None, limit: int
    ) -> HearthError | None:
        """Why the request is refused before its body is read (``body_length``: ``None`` without a body,
        -1 when unknown), or ``None``."""
        allowed = self.allowed_hosts
        if allowed is not None and path not in OPERATIONS_ROUTES and not allowed.allows(headers.get(b"host")):
            return HostNotAllowed()  # (probes and scrapers call the operations routes by address)
        if body_length is None:
            return None
        if body_length > limit:
            return BodyTooLarge(limit)
        if not path.startswith(API_PREFIX):
            return None
        if self._open_routes is None:
            self._open_routes = OpenRoutes(scope.get("app"))
        if self._open_routes.match(scope["method"], path):
            return None
        token = bearer_token(headers.get(b"authorization"))
        if token is None:
            return TokenRequired()
        if 0 <= body_length <= PREAUTH_BODY_BYTES:
            return None  # the route checks the token once the body is in: at most this much read for a forged one
        try:
            live = await token_is_live(scope["app"], token)
        except (DBAPIError, PoolTimeoutError) as exc:
            log.error("database unavailable: %s", type(exc).__name__)
            return DatabaseUnavailable()
        return None if live else TokenRejected()

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
            method = scope["method"]
            child = self._statements.get((method, route))
            if child is None:
                label = method if method in HTTP_METHODS else "OTHER"
                child = self._statements[method, route] = app_metrics().db_statements.labels(label, route)
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
            client = scope.get("client")
            agent = headers.get(b"user-agent")
            duration_ms = round(elapsed * 1000, 2)
            extra = {
                "method": scope["method"],
                "path": scope["path"],
                "route": route,
                "status": status,
                "duration_ms": duration_ms,
                "db_statements": statements,
                "client": client[0] if client else None,
                "user_agent": agent.decode("latin-1")[:256] if agent else None,
                "user_id": state.get("user_id"),
                "request_id": state.get("request_id"),
            }
            message = f"{scope['method']} {scope['path']} {status} {duration_ms}ms"
            # the record made directly: Logger.info would also look up the caller's frame, which an
            # access line has no use for (a third of the line's cost)
            access_log.handle(access_log.makeRecord(access_log.name, _INFO, "", 0, message, (), None, extra=extra))

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


async def _send_problem(scope: Scope, send: Send, error: HearthError, *, close: bool) -> None:
    start, raw = _problem(scope, error, close=close)
    await send(start)
    await send({"type": "http.response.body", "body": raw})
