"""The application's own Prometheus metrics (HTTP metrics come from the instrumentator).

Metrics are process-wide by nature; they are created on first use (not at import) and work in
multiprocess mode when ``PROMETHEUS_MULTIPROC_DIR`` is set (``hearth serve --workers N`` sets it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client import multiprocess as prom_multiprocess


@dataclass(frozen=True)
class AppMetrics:
    db_statements: Histogram
    feed_build_seconds: Histogram
    cache_requests: Counter
    rate_limited: Counter
    presign_requests: Counter


@cache
def app_metrics() -> AppMetrics:
    return AppMetrics(
        db_statements=Histogram(
            "hearth_db_statements_per_request",
            "SQL statements issued per HTTP request, by route template.",
            ["route"],
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
        presign_requests=Counter(
            "hearth_presign_cache_requests",
            "Presigned download URL lookups by result (hit or miss).",
            ["result"],
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
