"""Cross-origin calls from browsers, for the origins named in the settings (API.md, Conventions).

Pure ASGI, installed only when ``HEARTH_CORS_ORIGINS`` names an origin: no origin is allowed by default.
A preflight (``OPTIONS`` with ``Access-Control-Request-Method``) from an allowed origin is answered here
(204); from any other origin it goes on to the app like any ``OPTIONS`` (no CORS headers: the browser
refuses the call). Other requests from an allowed origin get ``Access-Control-Allow-Origin`` and the
headers a client may read. Bearer tokens, not cookies: credentials are never allowed.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

METHODS = b"GET, POST, PUT, PATCH, DELETE"
REQUEST_HEADERS = frozenset({"authorization", "content-type", "x-request-id"})
EXPOSED = b"Location, X-Request-ID, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset"
MAX_AGE = b"600"


class CorsMiddleware:
    def __init__(self, app: ASGIApp, origins: Iterable[str]) -> None:
        self.app = app
        self.origins = frozenset(o.rstrip("/").encode() for o in origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = requested = None
        asked_headers = b""
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value
            elif name == b"access-control-request-method":
                requested = value
            elif name == b"access-control-request-headers":
                asked_headers = value
        if origin is None or origin not in self.origins:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and requested is not None:
            await self._preflight(send, origin, asked_headers)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"access-control-allow-origin", origin),
                    (b"access-control-expose-headers", EXPOSED),
                    (b"vary", b"Origin"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    async def _preflight(send: Send, origin: bytes, asked_headers: bytes) -> None:
        asked = [h.strip().lower() for h in asked_headers.decode("latin-1").split(",") if h.strip()]
        allowed = ", ".join(h for h in asked if h in REQUEST_HEADERS) or "authorization, content-type"
        await send(
            {
                "type": "http.response.start",
                "status": 204,
                "headers": [
                    (b"access-control-allow-origin", origin),
                    (b"access-control-allow-methods", METHODS),
                    (b"access-control-allow-headers", allowed.encode()),
                    (b"access-control-max-age", MAX_AGE),
                    (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})
