"""How costs grow with the number of connections, one client at a time, for the seeded growth viewers
(exactly 10, 100, 1,000 and 5,000 connections): their feed's page 1 and page N, and creating a post as
each of them (the post reaches that many people)."""

from __future__ import annotations

import json
import statistics
import time
from http.client import HTTPConnection
from typing import Any
from urllib.parse import quote

import psycopg

from .common import API, http, log, percentile
from .context import Run
from .load import write_requests, wrk
from .servers import Server


def feed_cursor(base: str, token: str, depth: int) -> str | None:
    """A real cursor that starts the page after ``depth`` items of the token's feed (None when shorter)."""
    cursor: str | None = None
    remaining = depth
    while remaining > 0:
        limit = min(100, remaining)
        url = f"{base}{API}/feed?limit={limit}" + (f"&cursor={quote(cursor)}" if cursor else "")
        status, body = http("GET", url, token, timeout=60)
        if status != 200 or not isinstance(body, dict) or len(body.get("items", [])) < limit:
            return None
        cursor = body.get("next_cursor")
        if not cursor:
            return None
        remaining -= limit
    return cursor


def viewers(run: Run) -> list[tuple[str, dict[str, Any]]]:
    """The growth viewers, fewest connections first: [("10", {id, username, degree, token}), ...]."""
    return sorted(run.tokens["viewers"].items(), key=lambda kv: int(kv[0]))


def feed(run: Run, server: Server) -> dict[str, Any]:
    """Each growth viewer's page 1 and page N, measured in alternating rounds so that a burst of other work on
    the machine hits both alike (medians of the rounds are reported)."""
    a = run.args
    out: dict[str, Any] = {}
    depth = (a.deep_page - 1) * 20
    rounds = max(1, a.growth_rounds)
    slice_s = max(1.0, a.growth_duration / rounds)
    for k, v in viewers(run):
        row: dict[str, Any] = {"user_id": v["id"], "connections": v["degree"]}
        files = {
            "page1": write_requests(
                run.dir / f"req-growth-{k}-p1.tsv", [("GET", f"{API}/feed?limit=20", v["token"], None)]
            )
        }
        cursor = feed_cursor(server.base, v["token"], depth)
        if cursor:
            row["deep_cursor"] = cursor
            files["deep"] = write_requests(
                run.dir / f"req-growth-{k}-deep.tsv",
                [("GET", f"{API}/feed?limit=20&cursor={quote(cursor)}", v["token"], None)],
            )
        for f in files.values():
            wrk(server.base, f, 1, 1, 1)  # warm-up
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in files}
        for _ in range(rounds):
            for name, f in files.items():
                runs[name].append(wrk(server.base, f, slice_s, 1, 1))
        for name, rs in runs.items():
            row[name] = {
                "p50_ms": round(statistics.median(r["p50_ms"] for r in rs), 2),
                "p99_ms": round(statistics.median(r["p99_ms"] for r in rs), 2),
                "requests": sum(r["requests"] for r in rs),
                "errors": sum(r["errors"] for r in rs),
                "rounds_p50_ms": [r["p50_ms"] for r in rs],
            }
        out[k] = row
        r1, deep = row["page1"], row.get("deep")
        log(
            f"viewer {k:>5} connections: page 1 p50 {r1['p50_ms']:.1f} ms"
            + (f", page {a.deep_page} p50 {deep['p50_ms']:.1f} ms" if deep else f", no page {a.deep_page}")
        )
    return out


def _written_after(db: psycopg.Connection[Any], post_id: int, t201: float) -> float | None:
    """Milliseconds from the post's ``201`` until its fan-out is in every timeline, when a job wrote it (its
    pending row gone: polled every 2 ms); ``None`` when its request did."""
    with db.cursor() as cur:
        cur.execute("SELECT 1 FROM home_timeline_pending WHERE post_id = %s", (post_id,))
        if cur.fetchone() is None:
            return None
        while True:
            time.sleep(0.002)
            cur.execute("SELECT 1 FROM home_timeline_pending WHERE post_id = %s", (post_id,))
            if cur.fetchone() is None:
                return (time.perf_counter() - t201) * 1000


def _post_times(
    base: str, dsn: str, token: str, count: int, label: str
) -> tuple[list[float], list[float], dict[int, int], str]:
    """``count`` posts created one after another on one keep-alive connection, the next once the last is in
    every timeline: latencies (ms), delays until a job wrote the fan-out (ms; none when each request did),
    statuses of failures, the start of the first failure's body."""
    host, port = base.removeprefix("http://").split(":")
    conn = HTTPConnection(host, int(port), timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    times: list[float] = []
    delays: list[float] = []
    failures: dict[int, int] = {}
    sample = ""
    try:
        with psycopg.connect(dsn, autocommit=True) as db:
            for i in range(count):
                body = json.dumps(
                    {"body": f"Growth post {label}-{i}: a short note.", "audience": {"type": "connections"}}
                )
                t0 = time.perf_counter()
                conn.request("POST", f"{API}/posts", body=body, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
                t201 = time.perf_counter()
                if resp.status == 201:
                    times.append((t201 - t0) * 1000)
                    delay = _written_after(db, json.loads(raw)["id"], t201)
                    if delay is not None:
                        delays.append(delay)
                else:
                    failures[resp.status] = failures.get(resp.status, 0) + 1
                    sample = sample or f"{resp.status} {raw[:300].decode(errors='replace')}"
    finally:
        conn.close()
    return times, delays, failures, sample


def create_post(run: Run, server: Server) -> dict[str, Any]:
    """Creating a post as each growth viewer (audience: all their connections), one client: p50 over
    ``--post-growth-posts`` posts after a few unmeasured ones. The posts are removed after the run."""
    a = run.args
    out: dict[str, Any] = {}
    for k, v in viewers(run):
        _post_times(server.base, run.dsn, v["token"], 3, f"{k}-warm")
        times, delays, failures, sample = _post_times(server.base, run.dsn, v["token"], a.post_growth_posts, k)
        out[k] = {
            "user_id": v["id"],
            "connections": v["degree"],
            "posts": len(times),
            "p50_ms": round(statistics.median(times), 2) if times else None,
            "p90_ms": round(percentile(times, 90), 2) if times else None,
            "max_ms": round(max(times), 2) if times else None,
            # posts whose audience a job wrote (HEARTH_TIMELINE_FANOUT_MAX), and the time until it had
            "deferred": len(delays),
            "deferred_p50_ms": round(statistics.median(delays), 1) if delays else None,
            "deferred_max_ms": round(max(delays), 1) if delays else None,
            "errors": sum(failures.values()),
            "statuses": failures,
            "error_sample": sample,
        }
        log(
            f"author {k:>5} connections: create post p50 {out[k]['p50_ms']} ms over {len(times)} posts"
            + (
                f"; {len(delays)} fanned out by a job, in every timeline {out[k]['deferred_p50_ms']} ms after "
                f"the 201 (p50; max {out[k]['deferred_max_ms']})"
                if delays
                else ""
            )
            + (f", {out[k]['errors']} errors ({sample[:80]})" if failures else "")
        )
    return out
