"""Install the platform's HTTP behaviour on an app: error handlers, the middleware and the HTTP metrics."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from .cors import CorsMiddleware
from .errors import install_error_handlers
from .metrics import HttpMetrics
from .middleware import PlatformMiddleware
from .settings import Settings


def install_http(app: FastAPI, settings: Settings, *, http_metrics: bool = True) -> None:
    """Error handlers and the one platform middleware (request id, the gate: ``Host``, body limit and bearer
    token, security headers, access line, statement count and, unless ``http_metrics=False``, the HTTP
    request metrics, in a registry of the app's own: ``app.state.http_metrics_registry``, which
    ``/metrics`` exposes)."""
    install_error_handlers(app)
    metrics: HttpMetrics | None = None
    if http_metrics:
        registry = CollectorRegistry()
        metrics = HttpMetrics(registry)
        app.state.http_metrics_registry = registry
    if settings.cors_origins:  # inside the platform middleware: preflights get its request id and headers
        app.add_middleware(CorsMiddleware, origins=settings.cors_origins)
    app.add_middleware(
        PlatformMiddleware,
        max_bytes=settings.max_body_bytes,
        prefix_limits={"/files/": max(settings.media_max_bytes, settings.max_body_bytes)},
        # signed uploads: the signature and size are checked before a byte is read, then the body streams
        streamed_prefixes=("/files/",),
        http_metrics=metrics,
        allowed_hosts=settings.allowed_hosts,
    )
