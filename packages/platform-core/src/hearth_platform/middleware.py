"""Pure ASGI middleware: request id, access log with metrics, request body limit, security headers."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .database import StatementCounter, current_statement_counter
from .errors import PROBLEM_BASE, PROBLEM_JSON
from .logging import current_request_id
from .metrics import app_metrics

access_log = logging.getLogger("hearth.access")

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", ()):
        if k == name:
            try:
                return str(v.decode("latin-1"))
            except UnicodeDecodeError:
                return None
    return None


class RequestIdMiddleware:
    """Echo a sane ``X-Request-ID`` or make a new one; expose it to logs, errors and the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = current_request_id.set(request_id)
        raw_id = request_id.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", raw_id))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)


class AccessLogMiddleware:
    """One access line per request, and the per-request SQL statement count in ``/metrics``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        counter = StatementCounter()
        token = current_statement_counter.set(counter)
        status = 500

        async def send_and_capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_capture)
        finally:
            current_statement_counter.reset(token)
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            state = scope.get("state", {})
            if template not in ("/metrics", "/health/live", "/health/ready"):
                app_metrics().db_statements.labels(route=template).observe(counter.count)
            access_log.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "route": template,
                    "status": status,
                    "duration_ms": duration_ms,
                    "db_statements": counter.count,
                    "user_id": state.get("user_id"),
                },
            )


class _BodyTooLarge(Exception):
    pass


def _problem_413(scope: Scope, limit: int) -> tuple[dict[str, Any], bytes]:
    state = scope.get("state", {})
    body = {
        "type": PROBLEM_BASE + "payload-too-large",
        "title": "Content Too Large",
        "status": 413,
        "detail": f"The request body is larger than {limit} bytes.",
        "instance": scope.get("path", ""),
        "code": "payload_too_large",
    }
    if state.get("request_id"):
        body["request_id"] = state["request_id"]
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


class BodyLimitMiddleware:
    """Refuse bodies over ``max_bytes`` with 413 problem+json, before reading past the limit.

    A declared ``Content-Length`` over the limit is refused without reading anything. A body without
    one (chunked) is read up front, at most ``max_bytes`` of it, so that it is refused with 413 whatever
    the route (even one that would never read it) and never read past the limit; the bytes read are
    then handed to the app unchanged. A body is also counted as it streams, as a second guard.

    ``prefix_limits`` gives other limits to paths that take larger bodies (the local storage backend's
    signed uploads, bounded by the media size limit, which the route also checks against the signature).
    """

    def __init__(self, app: ASGIApp, max_bytes: int, prefix_limits: dict[str, int] | None = None) -> None:
        self.app = app
        self.default_max_bytes = max_bytes
        self.prefix_limits = dict(prefix_limits or {})

    def _limit_for(self, path: str) -> int:
        for prefix, limit in self.prefix_limits.items():
            if path.startswith(prefix):
                return limit
        return self.default_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await _BodyLimit(self.app, self._limit_for(scope.get("path", "")))(scope, receive, send)


class _BodyLimit:
    """One request's body limit (see :class:`BodyLimitMiddleware`)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > self.max_bytes
            except ValueError:
                too_large = False
            if too_large:
                await self._refuse(scope, send)
                return

        upstream = receive
        if declared is None:
            buffered = await self._read_bounded(receive)
            if buffered is None:
                await self._refuse(scope, send)
                return
            pending: list[Message] = [buffered]

            async def replay() -> Message:
                if pending:
                    return pending.pop()
                return await receive()

            upstream = replay

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await upstream()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await self._refuse(scope, send)

    async def _read_bounded(self, receive: Receive) -> Message | None:
        """Read a body of unknown length; ``None`` as soon as it passes the limit, else one message."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it
                return message
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

    async def _refuse(self, scope: Scope, send: Send) -> None:
        start, raw = _problem_413(scope, self.max_bytes)
        await send(start)
        await send({"type": "http.response.body", "body": raw})


class SecurityHeadersMiddleware:
    """Headers suited to a JSON API; authenticated responses are never stored by caches.

    The docs page gets the only CSP that lets anything run: its scripts and styles from the CDN, and its
    one inline script by hash (no ``'unsafe-inline'``), read from the page itself, which is buffered to
    hash it (a few KB; only on the docs paths).
    """

    DOCS_PATHS = ("/docs", "/redoc")
    DOCS_CSP = (
        b"default-src 'none'; script-src 'self' https://cdn.jsdelivr.net%s; "
        b"style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
        b"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    API_CSP = b"default-src 'none'; frame-ancestors 'none'"
    _INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @classmethod
    def docs_csp(cls, page: bytes) -> bytes:
        """The docs CSP, allowing exactly the page's own inline scripts (by their SHA-256)."""
        hashes = b"".join(
            b" 'sha256-" + base64.b64encode(hashlib.sha256(script).digest()) + b"'"
            for script in cls._INLINE_SCRIPT.findall(page)
        )
        return cls.DOCS_CSP % hashes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        authenticated = _header(scope, b"authorization") is not None

        def with_headers(message: Message, csp: bytes) -> Message:
            headers = list(message.get("headers", []))
            names = {k.lower() for k, _ in headers}
            headers.append((b"x-content-type-options", b"nosniff"))
            headers.append((b"x-frame-options", b"DENY"))
            headers.append((b"referrer-policy", b"no-referrer"))
            headers.append((b"content-security-policy", csp))
            if b"cache-control" not in names and (authenticated or path.startswith("/api/")):
                headers.append((b"cache-control", b"no-store"))
            return {**message, "headers": headers}

        if path not in self.DOCS_PATHS:

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = with_headers(message, self.API_CSP)
                await send(message)

            await self.app(scope, receive, send_with_headers)
            return

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
                await send(with_headers(start, self.docs_csp(page)))
                start = None
                await send({"type": "http.response.body", "body": page})
                return
            await send(message)

        await self.app(scope, receive, send_docs)
