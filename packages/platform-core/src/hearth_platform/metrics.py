"""Prometheus metrics: the application's own, and the HTTP request metrics of each app.

The application's metrics are process-wide by nature; they are created on first use (not at import).
The HTTP metrics belong to an app (:class:`HttpMetrics`, in its own registry, recorded by the platform
middleware). Both work in multiprocess mode when ``PROMETHEUS_MULTIPROC_DIR`` is set (``hearth serve
--workers N`` sets it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary
from prometheus_client import multiprocess as prom_multiprocess


@dataclass(frozen=True)
class AppMetrics:
    db_statements: Histogram
    feed_build_seconds: Histogram
    cache_requests: Counter
    rate_limited: Counter
    db_pool_in_use: Gauge
    db_pool_overflow: Gauge
    redis_fallback_until: Gauge
    redis_fallbacks: Counter
    created: Counter
    login_failures: Counter
    job_runs: Counter
    streams_open: Gauge
    stream_events: Counter
    db_reads: Counter
    replica_fallbacks: Counter
    replica_lag: Gauge


@cache
def app_metrics() -> AppMetrics:
    return AppMetrics(
        db_statements=Histogram(
            "hearth_db_statements_per_request",
            "SQL statements issued per HTTP request, by method and route template (labels as http_requests_total).",
            ["method", "handler"],
            buckets=(0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50, 100),
        ),
        feed_build_seconds=Histogram(
            "hearth_feed_build_seconds",
            "Time to build one feed or digest page (database and assembly).",
            ["kind"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        ),
        cache_requests=Counter(
            "hearth_cache_requests",
            "Cache lookups by cache name and result (hit or miss).",
            ["cache", "result"],
        ),
        rate_limited=Counter(
            "hearth_rate_limited_requests",
            "Requests refused by a rate limit, by limit family.",
            ["family"],
        ),
        # gauges of every worker add up (livesum), of workers alive only
        db_pool_in_use=Gauge(
            "hearth_db_pool_connections_in_use",
            "Database connections checked out of the pool now, by pool (write: transactions, read: autocommit).",
            ["pool"],
            multiprocess_mode="livesum",
        ),
        db_pool_overflow=Gauge(
            "hearth_db_pool_overflow_connections",
            "Connections open beyond the pool's size now (HEARTH_DB_MAX_OVERFLOW bounds them), by pool.",
            ["pool"],
            multiprocess_mode="livesum",
        ),
        redis_fallback_until=Gauge(
            "hearth_redis_fallback_until_seconds",
            "Unix time until which a part (cache, rate limits) serves from its in-process stand-in after Redis "
            "failed; in the past: on Redis. Falling back now: hearth_redis_fallback_until_seconds > time().",
            ["part"],
            multiprocess_mode="livemax",
        ),
        redis_fallbacks=Counter(
            "hearth_redis_fallbacks",
            "Times a part (cache, rate limits) stepped aside to its in-process stand-in because Redis failed.",
            ["part"],
        ),
        created=Counter(
            "hearth_created",
            "Objects created, by kind (user: a sign-up, post, comment).",
            ["kind"],
        ),
        login_failures=Counter(
            "hearth_login_failures",
            "Logins refused for a wrong username or password.",
        ),
        job_runs=Counter(
            "hearth_job_runs",
            "Job runs by job and result (succeeded, or failed: retried until its attempts are used up).",
            ["job", "result"],
        ),
        streams_open=Gauge(
            "hearth_streams_open",
            "Live streams (GET /api/v1/stream) open now.",
            multiprocess_mode="livesum",
        ),
        stream_events=Counter(
            "hearth_stream_events",
            "Live events by kind (notification, post) and result: delivered, or dropped (not visible any more, "
            "or a slow reader's stream closed).",
            ["kind", "result"],
        ),
        db_reads=Counter(
            "hearth_db_reads",
            "Read-only units of work (a GET's reads) by where they read: primary, or a replica "
            "(HEARTH_DATABASE_REPLICA_URLS; without replicas nothing is counted).",
            ["target"],
        ),
        replica_fallbacks=Counter(
            "hearth_db_replica_fallbacks",
            "Reads the primary served although replicas are configured, by reason: not_replayed (the caller's "
            "last write, or a write that took access away, is not on a usable replica yet), lagging, down, "
            "stale (the replica poller is behind), marks_unavailable (Redis failed).",
            ["reason"],
        ),
        replica_lag=Gauge(
            "hearth_db_replica_lag_seconds",
            "How long ago the primary's WAL position was last seen replayed on the replica (-1: not yet).",
            ["replica"],
            multiprocess_mode="livemax",
        ),
    )


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def metrics_registry() -> CollectorRegistry | None:
    """In multiprocess mode, a registry that aggregates every worker's metrics files."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        prom_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return None


HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})
UNTEMPLATED = "none"
"""The ``handler`` of a request no route matched (never its raw path: the label set stays bounded)."""

LATENCY_BUCKETS = (0.1, 0.5, 1.0)
LATENCY_HIGHR_BUCKETS = (
    0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 7.5, 10, 30, 60,
)  # fmt: skip


class HttpMetrics:
    """HTTP request metrics by route template, method and status.

    The series (names, labels, buckets) are those prometheus-fastapi-instrumentator's defaults gave, so
    dashboards keep working: ``http_requests_total`` (method, status, handler),
    ``http_request_duration_seconds`` (method, handler), ``http_request_duration_highr_seconds`` (no
    labels), ``http_request_size_bytes`` and ``http_response_size_bytes`` (handler; the declared
    ``Content-Length``). Labels are bounded: ``handler`` is a route template or ``none``, ``method`` one of
    the HTTP methods or ``OTHER``, ``status`` a status code. A label set's children are looked up once and
    cached (``labels()`` takes a lock and builds the key on every call).
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            "http_requests_total",
            "Total number of requests by method, status and handler.",
            ("method", "status", "handler"),
            registry=registry,
        )
        self.request_size = Summary(
            "http_request_size_bytes",
            "Content length of incoming requests by handler. Only value of header is respected. "
            "Otherwise ignored. No percentile calculated. ",
            ("handler",),
            registry=registry,
        )
        self.response_size = Summary(
            "http_response_size_bytes",
            "Content length of outgoing responses by handler. Only value of header is respected. "
            "Otherwise ignored. No percentile calculated. ",
            ("handler",),
            registry=registry,
        )
        self.latency_highr = Histogram(
            "http_request_duration_highr_seconds",
            "Latency with many buckets but no API specific labels. Made for more accurate percentile calculations. ",
            buckets=LATENCY_HIGHR_BUCKETS,
            registry=registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Latency with only few buckets by handler. Made to be only used if aggregation by handler is important. ",
            ("method", "handler"),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._children: dict[tuple[str, int, str], tuple[Counter, Summary, Summary, Histogram]] = {}

    def observe(
        self,
        method: str,
        status: int,
        handler: str | None,
        duration_s: float,
        request_length: bytes | None,
        response_length: bytes | None,
    ) -> None:
        """Record one request; the lengths are the raw ``Content-Length`` header values, if any."""
        key = (method if method in HTTP_METHODS else "OTHER", status, handler or UNTEMPLATED)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = self._children_for(*key)
        total, request_size, response_size, latency = children
        total.inc()
        request_size.observe(_length(request_length))
        response_size.observe(_length(response_length))
        self.latency_highr.observe(duration_s)
        latency.observe(duration_s)

    def _children_for(self, method: str, status: int, handler: str) -> tuple[Counter, Summary, Summary, Histogram]:
        return (
            self.requests.labels(method, str(status), handler),
            self.request_size.labels(handler),
            self.response_size.labels(handler),
            self.latency.labels(method, handler),
        )


def _length(raw: bytes | None) -> int:
    if not raw:
        return 0
    try:
        return max(0, int(raw))
    except ValueError:
        return 0
