"""Install the platform's HTTP behaviour on an app: error handlers and the middleware stack."""

from __future__ import annotations

from fastapi import FastAPI

from .errors import install_error_handlers
from .middleware import (
    AccessLogMiddleware,
    BodyLimitMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
)
from .settings import Settings


def install_http(app: FastAPI, settings: Settings) -> None:
    install_error_handlers(app)
    # add_middleware prepends: the last added is the outermost.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        prefix_limits={"/files/": max(settings.media_max_bytes, settings.max_body_bytes)},
    )
    app.add_middleware(SecurityHeadersMiddleware)  # outside the body limit: its 413 gets the headers too
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(RequestIdMiddleware)
