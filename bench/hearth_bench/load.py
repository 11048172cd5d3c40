"""Load with wrk (``bench/lua/rotate.lua``: each request is the next line of a request file) and what is
measured around one load: throughput, latency, errors, SQL statements per request, peak RSS, CPU."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .common import API, LUA, http, log
from .context import Run
from .sampling import RssSampler, cpu_ms_per_request, cpu_split
from .servers import Server

Request = tuple[str, str, str, Any]  # method, path, token, JSON body or None


def write_requests(path: Path, lines: Sequence[Request]) -> Path:
    with path.open("w") as f:
        for method, target, token, body in lines:
            extra = "\t" + json.dumps(body, separators=(",", ":")) if body is not None else ""
            f.write(f"{method}\t{target}\t{token}{extra}\n")
    return path


def wrk(base: str, reqfile: Path, duration: float, connections: int, threads: int) -> dict[str, Any]:
    threads = max(1, min(threads, connections))
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{int(max(1, duration))}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        str(LUA),
        base,
        "--",
        str(reqfile),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=False)
    m = re.search(r"^WRK_JSON (\{.*\})$", out.stdout, re.M)
    if not m:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    r = json.loads(m.group(1))
    secs = r["duration_us"] / 1e6
    socket_errors = r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]
    return {
        "requests": r["requests"],
        "rps": round(r["requests"] / secs, 1) if secs else 0.0,
        "p50_ms": round(r["p50"] / 1000, 2),
        "p90_ms": round(r["p90"] / 1000, 2),
        "p95_ms": round(r["p95"] / 1000, 2),
        "p99_ms": round(r["p99"] / 1000, 2),
        "max_ms": round(r["max"] / 1000, 2),
        "non_2xx": r["status_errors"],
        "socket_errors": socket_errors,
        "errors": r["status_errors"] + socket_errors,
        "statuses": r.get("statuses", {}),  # every status >= 300, with its count
        "error_sample": r.get("error_sample", ""),
    }


_METRIC = re.compile(r"^hearth_db_statements_per_request_(sum|count)\{(.*)\}\s+(\S+)$")  # route labels hold braces


def statement_metrics(base: str) -> dict[str, list[float]]:
    status, text = http("GET", base + "/metrics")
    out: dict[str, list[float]] = {}
    if status != 200 or not isinstance(text, str):
        return out
    for line in text.splitlines():
        m = _METRIC.match(line)
        if not m:
            continue
        route = re.search(r'handler="([^"]*)"', m.group(2))  # summed over methods
        if route is None:
            continue
        slot = out.setdefault(route.group(1), [0.0, 0.0])
        slot[0 if m.group(1) == "sum" else 1] += float(m.group(3))
    return out


def route_stats(metrics: dict[str, list[float]], template: str) -> tuple[float, float]:
    """(sum, count) for a route template, whether or not the label carries the /api/v1 prefix."""
    for key in (template, template.removeprefix(API)):
        if key in metrics:
            return metrics[key][0], metrics[key][1]
    return 0.0, 0.0


def measure(
    run: Run, server: Server, sampler: RssSampler, name: str, reqfile: Path, route: str | None
) -> dict[str, Any]:
    """One scenario: warm-up, then ``--duration`` seconds of wrk with everything measured around it."""
    a = run.args
    if a.warmup > 0:
        wrk(server.base, reqfile, a.warmup, a.connections, a.threads)
    before = statement_metrics(server.base) if route else {}
    sampler.take_window()
    sessions = run.sessions()
    with cpu_split(server.workers(), run.backends) as cpu:
        result = wrk(server.base, reqfile, a.duration, a.connections, a.threads)
    peaks = sampler.take_window()
    result["db_sessions_opened"] = run.sessions() - sessions
    if route:
        after = statement_metrics(server.base)
        s0, c0 = route_stats(before, route)
        s1, c1 = route_stats(after, route)
        result["statements_per_request"] = round((s1 - s0) / (c1 - c0), 2) if c1 > c0 else None
    result["peak_rss_mb"] = round(max(peaks.values(), default=0) / 2**20, 1)
    result["cpu_percent"] = cpu
    result["cpu_ms_per_request"] = cpu_ms_per_request(cpu, result["requests"])
    per = result["cpu_ms_per_request"]
    log(
        f"{name:<15} {result['rps']:8.1f} req/s  p50 {result['p50_ms']:7.1f} ms  p99 {result['p99_ms']:7.1f} ms  "
        f"errors {result['errors']}  sql/req {result.get('statements_per_request')}  "
        f"cpu ms/req app {per.get('app')} pg {per.get('postgres')}  "
        f"rss {result['peak_rss_mb']} MB  db sessions opened {result['db_sessions_opened']}"
    )
    return result
