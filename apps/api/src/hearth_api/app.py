"""The app factory. Nothing is built at import time: ``create_app(settings)`` and its lifespan do it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator

from hearth_platform.cache import Cache, MemoryCache, NullCache, RedisCache
from hearth_platform.database import Database, EmbeddedPostgres
from hearth_platform.http import install_http
from hearth_platform.logging import configure_logging
from hearth_platform.pagination import CursorCodec
from hearth_platform.ratelimit import RateLimiter
from hearth_platform.settings import Settings

from . import health, migrate, openapi, wiring

log = logging.getLogger("hearth.app")


def create_app(settings: Settings | None = None, *, configure_logs: bool = True) -> FastAPI:
    settings = settings or Settings()
    if configure_logs:
        configure_logging(settings.log_level, settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        embedded: EmbeddedPostgres | None = None
        url = settings.database_url
        if url is None:
            embedded = EmbeddedPostgres(settings.data_dir)
            url = embedded.start()
            migrate.upgrade(url)
        database = Database(url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
        cache: Cache
        if settings.redis_url:
            cache = RedisCache(settings.redis_url, prefix=settings.redis_key_prefix)
        else:
            cache = MemoryCache() if settings.process_cache else NullCache()
        limiter = RateLimiter(
            settings.rate_limits(),
            enabled=settings.rate_limit_enabled,
            redis_url=settings.redis_url,
            key_prefix=settings.redis_key_prefix,
        )
        container = wiring.build_container(settings, cache=cache, extras={Database: database})
        health_checks: dict[str, health.HealthCheck] = {"database": database.ping}
        if isinstance(cache, RedisCache):
            health_checks["cache"] = cache.ping
        health_checks.update(wiring.extra_health_checks(container))

        app.state.settings = settings
        app.state.database = database
        app.state.cache = cache
        app.state.rate_limiter = limiter
        app.state.cursor_codec = CursorCodec(settings.secret_key.get_secret_value())
        app.state.container = container
        app.state.authenticator_factory = wiring.authenticator_factory(container)
        app.state.health_checks = health_checks
        log.info("hearth started", extra={"embedded_database": embedded is not None})
        try:
            yield {}
        finally:
            database.dispose()
            if isinstance(cache, RedisCache):
                cache.close()
            if embedded is not None:
                embedded.stop()

    production = settings.env == "production"
    app = FastAPI(
        title="Hearth",
        version="1.0.0",
        summary="A private social network where every post reaches exactly its audience.",
        lifespan=lifespan,
        docs_url=None if production else "/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    install_http(app, settings)
    openapi.install_openapi(app)  # every operation declares its problem+json errors

    api = APIRouter(prefix="/api/v1")
    for router in wiring.routers():
        api.include_router(router)
    app.include_router(api)
    for router in wiring.root_routers():
        app.include_router(router)
    app.include_router(health.router)

    registry = CollectorRegistry()
    app.state.http_metrics_registry = registry
    Instrumentator(
        should_group_status_codes=False,
        should_ignore_untemplated=False,
        excluded_handlers=["/metrics", "/health/live", "/health/ready"],
        registry=registry,
    ).instrument(app)
    return app
