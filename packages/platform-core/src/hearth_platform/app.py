"""Building an app from packages: the composition every app (the API, a package's tests) shares.

A package describes itself with a :class:`Package` (its registrations, event handlers, routers and
health checks); :func:`build_app` composes any stack of them over the platform: the full API composes
all, a package's tests compose that package and the layers below it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI

from . import docs, health
from .cache import Cache, MemoryCache, NullCache, RedisCache
from .container import Container
from .database import Database, EmbeddedPostgres
from .embedded import require_embedded_postgres
from .events import EventBus
from .gate import require_units_of_work_ended
from .http import install_http
from .job_engine import ProcrastinateEngine
from .jobs import Job, JobEngine, JobQueue, jobs_of, run_in_unit_of_work
from .logging import configure_logging
from .mail import SEND_MAIL, Mail, Mailer, build_mailer
from .pagination import CursorCodec
from .ratelimit import RateLimiter
from .replicas import build_router
from .routing import OffloadedRoute, configure_threads, index_routes, operation_id
from .settings import Settings
from .uow import unit_of_work

log = logging.getLogger("hearth.app")

HealthCheck = health.HealthCheck


def _nothing(*_: Any) -> None:
    return None


@dataclass(frozen=True)
class Package:
    """What a package brings to an app."""

    name: str
    register: Callable[[Container, Settings], None] = _nothing
    """Its services (built per unit of work) and singletons, on the app's container."""
    subscribe: Callable[[EventBus], None] = _nothing
    """Its handlers of lower packages' events."""
    routers: Sequence[APIRouter] = ()
    """Mounted under ``/api/v1``."""
    root_routers: Sequence[APIRouter] = ()
    """Mounted at the root (e.g. the local storage backend's signed file URLs)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """The OpenAPI tags it introduces (``{name: description}``); its routes may also use lower packages'."""
    health_checks: Callable[[Container], dict[str, HealthCheck]] = field(default=lambda _: {})
    jobs: Sequence[Job] = ()
    """Its kinds of job (``hearth_platform.jobs``): run by the app's workers, enqueued with ``JobQueue``."""
    shutdown: Callable[[Container], None] = _nothing
    """What it closes when the app stops (e.g. open live streams), before the database goes."""


def _with_queue(database: Database, engine: ProcrastinateEngine) -> HealthCheck:
    """The database check, with the job queue it holds (depth, oldest job's age, failures)."""

    def check() -> dict[str, object]:
        latency = database.ping()
        return {"latency_ms": round(latency, 2), "jobs": engine.summary()}

    return check


def openapi_tags(packages: Sequence[Package]) -> list[dict[str, str]]:
    """The tags of the OpenAPI document, in layer order, each described once by the package it belongs to."""
    owners: dict[str, str] = {}
    tags: list[dict[str, str]] = []
    for package in packages:
        for name, description in package.tags.items():
            if name in owners:
                raise ValueError(f"the OpenAPI tag {name!r} is described by both {owners[name]} and {package.name}")
            owners[name] = package.name
            tags.append({"name": name, "description": description})
    return tags


def build_app(
    settings: Settings,
    packages: Sequence[Package],
    *,
    configure_logs: bool = True,
    migrate: Callable[[str], None] | None = None,
) -> FastAPI:
    """An app of ``packages`` (in layer order). ``migrate(url)`` prepares the embedded database when no
    ``database_url`` is set."""
    if configure_logs:
        configure_logging(settings.log_level, settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        configure_threads(settings.handler_threads)
        embedded: EmbeddedPostgres | None = None
        url = settings.database_url
        if url is None:
            if migrate is None:
                raise RuntimeError("HEARTH_DATABASE_URL is required for this app")
            require_embedded_postgres()
            embedded = EmbeddedPostgres(settings.data_dir)
            url = embedded.start()
            migrate(url)
        database = Database(url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
        router = build_router(database, settings)
        if router is not None:
            database.router = router
            await asyncio.to_thread(router.start)  # a first look at each replica, then the poller
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
        container = Container()
        container.register(Settings, instance=settings)
        container.register(Cache, instance=cache)
        container.register(Database, instance=database)
        container.register(RateLimiter, instance=limiter)  # the login service counts failures per account
        bus = EventBus()
        for package in packages:
            package.register(container, settings)
            package.subscribe(bus)
        # the job engine: every package's jobs, each run on a unit of work of this app
        engine = ProcrastinateEngine(
            url,
            [SEND_MAIL, *jobs_of(packages)],  # mail is the platform's own job
            run_in_unit_of_work(lambda: unit_of_work(database, bus, container)),
            reader=database.read_engine,
            retry_base_seconds=settings.job_retry_base_seconds,
            concurrency=settings.jobs_concurrency,
        )
        container.register(JobEngine, instance=engine)
        container.register(ProcrastinateEngine, instance=engine)
        container.register(JobQueue)
        container.register(Mailer, instance=build_mailer(settings))
        container.register(Mail)
        checks: dict[str, HealthCheck] = {"database": _with_queue(database, engine)}
        if isinstance(cache, RedisCache):
            checks["cache"] = cache.ping
        if router is not None:
            checks["replicas"] = router.health
        for package in packages:
            checks.update(package.health_checks(container))

        app.state.settings = settings
        app.state.database = database
        app.state.read_router = router
        app.state.cache = cache
        app.state.rate_limiter = limiter
        app.state.cursor_codec = CursorCodec(settings.secret_key.get_secret_value())
        app.state.container = container
        app.state.event_bus = bus
        app.state.health_checks = checks
        app.state.job_engine = engine
        worker: asyncio.Task[None] | None = None
        if settings.jobs_in_process and engine.jobs:  # `hearth serve` runs jobs too unless told not to
            worker = asyncio.create_task(engine.run_worker(queues=settings.jobs_queues or None), name="jobs")
        # the database as the app reaches it (password hidden): `hearth serve` starts an embedded one itself
        # and hands its URL on, so "embedded or not" is not something this process knows
        log.info(
            "hearth started",
            extra={"database": database.url.render_as_string(hide_password=True), "jobs_worker": worker is not None},
        )
        try:
            yield {}
        except asyncio.CancelledError:
            # The server stopped without a lifespan shutdown: uvicorn skips it when a second SIGINT comes
            # during its shutdown (`uv run` forwards the terminal's Ctrl-C), and the loop then cancels this
            # task. The same clean-up as a shutdown, below, without a traceback logged for it.
            log.debug("the server stopped without a lifespan shutdown")
        finally:
            for package in packages:
                try:
                    package.shutdown(container)
                except Exception:
                    log.exception("a package failed to shut down", extra={"package": package.name})
            if worker is not None:  # lets the jobs it runs finish (up to 10 s), then stops
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await worker
            if router is not None:
                router.stop()
            database.dispose()
            if isinstance(cache, RedisCache):
                cache.close()
            if embedded is not None:
                embedded.stop()

    app = FastAPI(
        title="Hearth",
        version="1.0.0",
        summary="A private social network where every post reaches exactly its audience.",
        lifespan=lifespan,
        docs_url=None,  # docs.install serves them, offline
        redoc_url=None,
        openapi_url="/openapi.json",
        openapi_tags=openapi_tags(packages),
        generate_unique_id_function=operation_id,  # operationIds are handler names (hearth_platform.routing)
        # FastAPI's OpenTelemetry hooks: we export Prometheus metrics; asking OpenTelemetry whether it is
        # configured cost 2-3 % of a request's CPU (profiled)
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.router.route_class = OffloadedRoute  # routes declared on the app itself too (tests, probes)
    docs_enabled = settings.docs_enabled if settings.docs_enabled is not None else settings.env != "production"
    if docs_enabled:
        docs.install(app)
    install_http(app, settings)
    app.include_router(health.router)  # first: a liveness probe is not matched against every API route

    # each package's router straight on the app: FastAPI walks every level of nested routers on every request
    for package in packages:
        for router in package.routers:
            app.include_router(router, prefix="/api/v1")
    for package in packages:
        for router in package.root_routers:
            app.include_router(router)
    index_routes(app)
    require_units_of_work_ended(app)
    return app
