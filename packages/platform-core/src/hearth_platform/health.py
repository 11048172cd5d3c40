"""Operations routes: liveness, readiness (one check per configured dependency) and metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from pydantic import BaseModel

from .metrics import metrics_registry

router = APIRouter(include_in_schema=False)
log = logging.getLogger("hearth.health")

HealthCheck = Callable[[], float | Mapping[str, object] | None]
"""A check returns its latency in ms (or None: timed here), or what it found (``latency_ms`` among it)."""


class Live(BaseModel):
    status: Literal["ok"] = "ok"


@router.get("/health/live")
async def live() -> Live:
    return Live()


def _run_checks(checks: dict[str, HealthCheck]) -> tuple[bool, dict[str, dict[str, object]]]:
    results: dict[str, dict[str, object]] = {}
    healthy = True
    for name, check in checks.items():
        started = time.perf_counter()
        try:
            latency = check()
            if isinstance(latency, Mapping):  # a check that reports more than its latency (the job queue)
                results[name] = {"status": "ok", **latency}
                continue
            results[name] = {
                "status": "ok",
                "latency_ms": round(latency if latency is not None else (time.perf_counter() - started) * 1000, 2),
            }
        except Exception as exc:  # noqa: BLE001 - a failing dependency is reported, not raised
            healthy = False
            results[name] = {"status": "error", "reason": _reason(exc)}
    return healthy, results


def _reason(exc: Exception) -> str:
    # The answer is public: only the kind of failure. The message (which names hosts, ports, socket paths
    # or endpoints) goes to the log, for the operator.
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    log.warning("readiness check failed: %s: %s", type(exc).__name__, text.split("@")[-1][:300])
    return type(exc).__name__


@router.get("/health/ready")
async def ready(request: Request) -> JSONResponse:
    healthy, results = await run_in_threadpool(_run_checks, request.app.state.health_checks)
    body = {"status": "ok" if healthy else "error", "checks": results}
    return JSONResponse(body, status_code=200 if healthy else 503)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    registry = metrics_registry()
    if registry is not None:  # several workers: aggregate every process's files
        data = generate_latest(registry)
    else:
        data = generate_latest(REGISTRY) + generate_latest(request.app.state.http_metrics_registry)
    engine = getattr(request.app.state, "job_engine", None)
    if engine is not None:  # the queue as the database has it: the same whichever process is scraped
        data += await run_in_threadpool(_queue_metrics, engine)
    return Response(data, media_type=CONTENT_TYPE_LATEST)


def _queue_metrics(engine: Any) -> bytes:
    try:
        stats = engine.stats()
    except Exception as exc:  # noqa: BLE001 - the rest of the metrics are still worth serving
        log.warning("job queue metrics unavailable: %s", type(exc).__name__)
        return b""
    lines = [
        ("hearth_jobs_queue_depth", "Jobs due now and not started.", stats.depth),
        ("hearth_jobs_oldest_age_seconds", "How long the oldest job due has waited.", stats.oldest_age_seconds),
        ("hearth_jobs_running", "Jobs being run by a worker.", stats.running),
        ("hearth_jobs_scheduled", "Jobs waiting for a later time (retries included).", stats.scheduled),
        ("hearth_jobs_failed", "Jobs that used up their attempts.", stats.failed),
    ]
    out = []
    for name, help_text, value in lines:
        out += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {float(value)}"]
    return ("\n".join(out) + "\n").encode()
