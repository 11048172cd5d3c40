"""Hearth benchmark: one command, every figure.

    uv run python bench/run.py --workers 2 --duration 20 --connections 32

1. seeds the database (``hearth seed``) or reuses it when it already holds the same dataset;
2. serves it with ``hearth serve --workers N`` on a free loopback port and loads it with wrk (Lua script
   rotating over per-request tokens of many users) over the main scenarios; per scenario: requests/s,
   latency p50/p95/p99, errors, SQL statements per request (``/metrics``), peak RSS per worker, CPU split;
3. growth: single-client feed latency of viewers with 10, 100, 1,000 and 5,000 connections, page 1 and
   page 50;
4. limits: (a) the database alone: the exact statements of feed requests (captured in-process) replayed
   by pgbench at the same concurrency; (b) the HTTP stack alone: the same app with a route returning a
   pre-built feed page (``bench/app_http_only.py``), loaded by wrk the same way;
5. writes ``bench/results/<stamp>/report.{json,md}`` (and ``bench/results/latest.*``) and prints it.

Every load loop is bounded in time; only loopback traffic. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil
import psycopg

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
LUA = BENCH / "lua" / "rotate.lua"
API = "/api/v1"
SECRET = "bench-secret-key-not-for-production-0123456789abcdef"  # noqa: S105 - loopback benchmark only
REDIS_PREFIX = "hearth-bench:"

# scenario name -> (route template in /metrics, description)
SCENARIOS: dict[str, tuple[str, str]] = {
    "feed": (f"{API}/feed", "GET /feed?limit=20 (first page)"),
    "feed_deep": (f"{API}/feed", "GET /feed?limit=20&cursor= (page {deep})"),
    "profile": (f"{API}/users/{{user_id}}/posts", "GET /users/{id}/posts?limit=20 (a connection's profile)"),
    "comments": (f"{API}/posts/{{post_id}}/comments", "GET /posts/{id}/comments?limit=20"),
    "digest": (f"{API}/digest", "GET /digest (last 24 h)"),
    "create_post": (f"{API}/posts", "POST /posts (30% to one tag)"),
    "create_comment": (f"{API}/posts/{{post_id}}/comments", "POST /posts/{id}/comments"),
}


def log(msg: str) -> None:
    print(f"▸ {msg}", flush=True)


def plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(method: str, url: str, token: str | None = None, body: Any = None, timeout: float = 30) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"loopback only: {url}")
    req = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - checked above
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 - checked above
            raw = r.read()
            ctype = r.headers.get("content-type", "")
            return r.status, json.loads(raw) if "json" in ctype and raw else raw.decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * (len(s) - 1))))
    return s[k]


# -- processes ---------------------------------------------------------------------------------------------


class Server:
    """A server process we start (own session, so it can be stopped by its own id) and its workers."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], port: int, logfile: Path, workers: int):
        self.name, self.cmd, self.env, self.port, self.logfile, self.nworkers = name, cmd, env, port, logfile, workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self, ready_path: str, timeout: float = 120) -> None:
        self._log = self.logfile.open("wb")
        self.proc = subprocess.Popen(
            self.cmd, env=self.env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.logfile}")
            try:
                status, _ = http("GET", self.base + ready_path, timeout=5)
                if status == 200 and len(self.workers()) >= self.nworkers:
                    time.sleep(1.0)
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"{self.name} did not become ready in {timeout:.0f}s; see {self.logfile}")

    def workers(self) -> list[psutil.Process]:
        if self.proc is None:
            return []
        try:
            root = psutil.Process(self.proc.pid)
            if self.nworkers <= 1:
                return [root]
            return [c for c in root.children(recursive=True) if "spawn_main" in " ".join(c.cmdline())]
        except psutil.Error:
            return []

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the group we started (start_new_session)
            self.proc.wait(timeout=10)
        self._log.close()


class RssSampler(threading.Thread):
    """Samples the RSS of a server's workers every ``interval`` seconds; peaks per worker, per window."""

    def __init__(self, server: Server, interval: float = 0.1):
        super().__init__(daemon=True)
        self.server, self.interval = server, interval
        self.lock = threading.Lock()
        self.overall: dict[int, int] = {}
        self.window: dict[int, int] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        procs: list[psutil.Process] = []
        refreshed = 0.0
        while not self._halt.is_set():
            now = time.monotonic()
            if now - refreshed > 1.0:
                procs, refreshed = self.server.workers(), now
            for p in procs:
                try:
                    rss = p.memory_info().rss
                except psutil.Error:
                    continue
                with self.lock:
                    self.overall[p.pid] = max(self.overall.get(p.pid, 0), rss)
                    self.window[p.pid] = max(self.window.get(p.pid, 0), rss)
            self._halt.wait(self.interval)

    def take_window(self) -> dict[int, int]:
        with self.lock:
            w, self.window = self.window, {}
        return w

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


def _busy() -> float:
    t = psutil.cpu_times()
    return float(t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0) + getattr(t, "steal", 0))


def _cpu_by_pid(procs: Sequence[psutil.Process]) -> dict[int, float]:
    out: dict[int, float] = {}
    for p in procs:
        try:
            t = p.cpu_times()
            out[p.pid] = t.user + t.system
        except psutil.Error:
            pass
    return out


class BackendCpu(threading.Thread):
    """CPU used by one database's PostgreSQL backends, sampled every ``interval`` seconds (pids from
    ``pg_stat_activity``, times from ``/proc``), so that the short-lived connections a pool opens and closes
    under load are counted too, up to their last sample."""

    def __init__(self, dsn: str, database: str, interval: float = 0.1):
        super().__init__(daemon=True)
        self.dsn, self.database, self.interval = dsn, database, interval
        self.lock = threading.Lock()
        self.window: dict[int, list[float]] = {}  # pid -> [cpu at window start (0 if born since), last seen]
        self.procs: dict[int, psutil.Process] = {}
        self._halt = threading.Event()
        self.conn: psycopg.Connection[Any] | None = None

    def _sample(self) -> dict[int, float]:
        if self.conn is None:
            self.conn = psycopg.connect(self.dsn, autocommit=True)
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (self.database,)
        ).fetchall()
        pids = {r[0] for r in rows}
        for pid in pids - self.procs.keys():
            with suppress(psutil.Error):
                self.procs[pid] = psutil.Process(pid)
        out = _cpu_by_pid([p for pid, p in self.procs.items() if pid in pids])
        for pid in list(self.procs):
            if pid not in pids:
                del self.procs[pid]
        return out

    def run(self) -> None:
        while not self._halt.is_set():
            with self.lock:
                now = self._sample()
                for pid, v in now.items():
                    slot = self.window.get(pid)
                    if slot is None:
                        self.window[pid] = [0.0, v]
                    else:
                        slot[1] = v
            self._halt.wait(self.interval)

    def begin(self) -> None:
        with self.lock:
            self.window = {pid: [v, v] for pid, v in self._sample().items()}

    def seconds(self) -> float:
        with self.lock:
            for pid, v in self._sample().items():
                if pid in self.window:
                    self.window[pid][1] = v
                else:
                    self.window[pid] = [0.0, v]
            return sum(last - first for first, last in self.window.values())

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)
        if self.conn is not None:
            self.conn.close()


@contextmanager
def cpu_split(workers: Sequence[psutil.Process], backends: BackendCpu) -> Iterator[dict[str, float]]:
    """Machine CPU (% of all cores) used by the app workers, by this database's PostgreSQL backends, by our
    load tool (wrk/pgbench) and by everything else (other work on the machine) while the block runs."""
    out: dict[str, float] = {}
    a0, b0 = _cpu_by_pid(workers), _busy()
    backends.begin()
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    yield out
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    pgc = backends.seconds()
    a1, b1 = _cpu_by_pid(workers), _busy()
    wall = time.perf_counter() - t0
    capacity = wall * (psutil.cpu_count() or 1)
    app = sum(v - a0.get(pid, 0.0) for pid, v in a1.items())
    tool = (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)
    busy = b1 - b0
    out["app"] = round(100 * app / capacity, 1)
    out["postgres"] = round(100 * pgc / capacity, 1)
    out["load_tool"] = round(100 * tool / capacity, 1)
    out["other"] = round(max(0.0, 100 * (busy - app - pgc - tool) / capacity), 1)
    out["idle"] = round(max(0.0, 100 - 100 * busy / capacity), 1)


# -- wrk ---------------------------------------------------------------------------------------------------


def write_requests(path: Path, lines: Sequence[tuple[str, str, str, Any]]) -> Path:
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
        route = re.search(r'route="([^"]*)"', m.group(2))
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


# -- the run -----------------------------------------------------------------------------------------------


@dataclass
class Run:
    args: argparse.Namespace
    dir: Path
    db_url: str
    tokens: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    backends: BackendCpu = field(init=False)

    def __post_init__(self) -> None:
        self.backends = BackendCpu(plain(self.db_url), self.args.database)  # started once the database exists

    # -- environment --------------------------------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_") and k != "PROMETHEUS_MULTIPROC_DIR"}
        env.update(
            HEARTH_DATABASE_URL=self.db_url,
            HEARTH_REDIS_URL=self.args.redis_url,
            HEARTH_REDIS_KEY_PREFIX=REDIS_PREFIX,
            HEARTH_RATE_LIMIT_ENABLED="false",
            HEARTH_LOG_LEVEL="WARNING",
            HEARTH_SECRET_KEY=SECRET,
            HEARTH_DATA_DIR=str(self.dir / "data"),
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def settings(self) -> Any:
        from hearth_platform.settings import Settings

        return Settings(
            _env_file=None,
            database_url=self.db_url,
            redis_url=self.args.redis_url,
            redis_key_prefix=REDIS_PREFIX,
            rate_limit_enabled=False,
            log_level="WARNING",
            secret_key=SECRET,
            data_dir=self.dir / "data",
        )

    # -- 1. the dataset -----------------------------------------------------------------------------------

    def params(self) -> dict[str, int]:
        a = self.args
        return {
            "users": a.users,
            "posts": a.posts,
            "comments": a.comments,
            "seed": a.seed,
            "days": a.days,
            "tokens": a.tokens,
        }

    def ensure_dataset(self) -> None:
        a = self.args
        admin = f"{a.pg_url.rstrip('/')}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (a.database,)).fetchone():
                log(f"creating database {a.database}")
                conn.execute(f'CREATE DATABASE "{a.database}"')
        tokens_file = BENCH / "results" / f"seed-{a.database}.json"
        reuse = False
        if tokens_file.exists() and not a.reseed:
            saved = json.loads(tokens_file.read_text())
            if saved.get("params") == self.params():
                try:
                    with psycopg.connect(plain(self.db_url)) as conn:
                        users = conn.execute("SELECT count(*) FROM users").fetchone()
                        posts = conn.execute("SELECT COALESCE(max(id), 0) FROM posts").fetchone()
                    reuse = bool(users and users[0] == a.users and posts and posts[0] >= saved["max_ids"]["posts"])
                except psycopg.Error:
                    reuse = False
        if reuse:
            self.tokens = json.loads(tokens_file.read_text())
            log(f"reusing the seeded database {a.database} (seeded {self.tokens['now']}, {self.tokens['seconds']}s)")
            self.report["seed"] = {"reused": True, "seconds": self.tokens["seconds"], "seeded_at": self.tokens["now"]}
            self.undo_writes()
            return
        log(f"seeding {a.database}: hearth seed --users {a.users} --posts {a.posts} --comments {a.comments}")
        cmd = [
            sys.executable,
            "-m",
            "hearth_api.cli",
            "seed",
            "--reset",
            "--users",
            str(a.users),
            "--posts",
            str(a.posts),
            "--comments",
            str(a.comments),
            "--seed",
            str(a.seed),
            "--days",
            str(a.days),
            "--tokens",
            str(a.tokens),
            "--tokens-file",
            str(tokens_file),
        ]
        t0 = time.perf_counter()
        subprocess.run(cmd, env=self.env(), cwd=ROOT, check=True, timeout=3600)
        wall = time.perf_counter() - t0
        self.tokens = json.loads(tokens_file.read_text())
        self.report["seed"] = {
            "reused": False,
            "seconds": self.tokens["seconds"],
            "wall_seconds": round(wall, 1),
            "seeded_at": self.tokens["now"],
        }

    def undo_writes(self) -> None:
        """Remove what earlier write scenarios added, so every run starts from the seeded data."""
        max_ids = self.tokens["max_ids"]
        with psycopg.connect(plain(self.db_url), autocommit=True) as conn:
            conn.execute(
                """
                WITH gone AS (DELETE FROM comments WHERE id > %(c)s RETURNING post_id)
                UPDATE posts p SET comment_count = p.comment_count - g.n
                FROM (SELECT post_id, count(*) AS n FROM gone GROUP BY post_id) g
                WHERE p.id = g.post_id
                """,
                {"c": max_ids["comments"]},
            )
            cur = conn.execute("DELETE FROM posts WHERE id > %s", (max_ids["posts"],))
            if cur.rowcount:
                log(f"removed {cur.rowcount} posts written by the write scenarios")
            conn.execute("VACUUM (ANALYZE) posts, comments, post_audience_tags")

    # -- 2. scenario inputs -------------------------------------------------------------------------------

    def users(self) -> list[dict[str, Any]]:
        viewer_ids = {v["id"] for v in self.tokens["viewers"].values()}
        return [u for u in self.tokens["users"] if u["id"] not in viewer_ids]

    def prepare(self, base: str) -> dict[str, Path]:
        a = self.args
        users = self.users()
        ids = [u["id"] for u in users]
        tok = {u["id"]: u["token"] for u in users}
        with psycopg.connect(plain(self.db_url)) as conn:
            friend: dict[int, int] = dict(
                conn.execute(
                    """
                    SELECT u.id, (SELECT c.f FROM (SELECT user_b_id AS f FROM connections WHERE user_a_id = u.id
                                                   UNION ALL SELECT user_a_id FROM connections WHERE user_b_id = u.id) c
                                  ORDER BY md5(u.id || '-' || c.f) LIMIT 1)
                    FROM unnest(%s::bigint[]) AS u(id)
                    """,
                    (ids,),
                ).fetchall()
            )
            commented: dict[int, int] = dict(
                conn.execute(
                    """
                    SELECT u.id, pick.pid FROM unnest(%s::bigint[]) AS u(id)
                    CROSS JOIN LATERAL (
                      SELECT p.id AS pid
                      FROM (SELECT user_b_id AS f FROM connections WHERE user_a_id = u.id
                            UNION ALL SELECT user_a_id FROM connections WHERE user_b_id = u.id) c
                      CROSS JOIN LATERAL (
                        SELECT id FROM posts
                        WHERE author_id = c.f AND audience_type = 'connections' AND comment_count > 0
                        ORDER BY created_at DESC, id DESC LIMIT 1) p
                      ORDER BY md5(u.id || '-' || p.id) LIMIT 1) pick
                    """,
                    (ids,),
                ).fetchall()
            )
            first_tag: dict[int, int] = dict(
                conn.execute(
                    "SELECT owner_user_id, min(id) FROM user_tags WHERE owner_user_id = ANY(%s) GROUP BY 1", (ids,)
                ).fetchall()
            )
        rng = random.Random(a.seed)
        lines: dict[str, list[tuple[str, str, str, Any]]] = {k: [] for k in SCENARIOS}
        for i, uid in enumerate(ids):
            t = tok[uid]
            lines["feed"].append(("GET", f"{API}/feed?limit=20", t, None))
            lines["digest"].append(("GET", f"{API}/digest", t, None))
            lines["profile"].append(("GET", f"{API}/users/{friend.get(uid) or uid}/posts?limit=20", t, None))
            if uid in commented:
                pid = commented[uid]
                lines["comments"].append(("GET", f"{API}/posts/{pid}/comments?limit=20", t, None))
                lines["create_comment"].append(
                    ("POST", f"{API}/posts/{pid}/comments", t, {"body": f"Nice one! (bench comment {i})"})
                )
            audience: dict[str, Any] = {"type": "connections"}
            if uid in first_tag and rng.random() < 0.3:
                audience = {"type": "tags", "tag_ids": [first_tag[uid]]}
            lines["create_post"].append(
                (
                    "POST",
                    f"{API}/posts",
                    t,
                    {"body": f"Benchmark post {i}: a walk by the river, then coffee.", "audience": audience},
                )
            )

        log(f"fetching real page-{a.deep_page} cursors for {a.deep_users} users")
        depth = (a.deep_page - 1) * 20
        candidates = ids[: a.deep_users * 3]
        with ThreadPoolExecutor(4) as pool:
            cursors = list(pool.map(lambda uid: (uid, feed_cursor(base, tok[uid], depth)), candidates))
        deep = [(uid, c) for uid, c in cursors if c][: a.deep_users]
        for uid, c in deep:
            lines["feed_deep"].append(("GET", f"{API}/feed?limit=20&cursor={quote(c)}", tok[uid], None))
        self.report.setdefault("inputs", {})["deep_users"] = len(deep)

        files = {}
        for name, ls in lines.items():
            if ls:
                files[name] = write_requests(self.dir / f"req-{name}.tsv", ls)
        self.report["inputs"].update({f"{k}_requests": len(v) for k, v in lines.items()})
        return files

    # -- 3. load -----------------------------------------------------------------------------------------

    def sessions(self) -> int:
        """Sessions (connections) ever opened to the database (``pg_stat_database.sessions``)."""
        with psycopg.connect(plain(self.db_url), autocommit=True) as conn:
            row = conn.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()").fetchone()
        return int(row[0]) - 1 if row else 0  # not counting this one

    def load(self, server: Server, sampler: RssSampler, name: str, reqfile: Path, route: str | None) -> dict[str, Any]:
        a = self.args
        if a.warmup > 0:
            wrk(server.base, reqfile, a.warmup, a.connections, a.threads)
        before = statement_metrics(server.base) if route else {}
        sampler.take_window()
        sessions = self.sessions()
        with cpu_split(server.workers(), self.backends) as cpu:
            result = wrk(server.base, reqfile, a.duration, a.connections, a.threads)
        peaks = sampler.take_window()
        result["db_sessions_opened"] = self.sessions() - sessions
        if route:
            after = statement_metrics(server.base)
            s0, c0 = route_stats(before, route)
            s1, c1 = route_stats(after, route)
            result["statements_per_request"] = round((s1 - s0) / (c1 - c0), 2) if c1 > c0 else None
        result["peak_rss_mb"] = round(max(peaks.values(), default=0) / 2**20, 1)
        result["cpu_percent"] = cpu
        if result["requests"]:
            per = 10 * (psutil.cpu_count() or 1) * a.duration / result["requests"]  # % of cores -> ms per request
            result["cpu_ms_per_request"] = {
                "app": round(cpu["app"] * per, 2),
                "postgres": round(cpu["postgres"] * per, 2),
            }
        log(
            f"{name:<15} {result['rps']:8.1f} req/s  p50 {result['p50_ms']:7.1f} ms  p99 {result['p99_ms']:7.1f} ms  "
            f"errors {result['errors']}  sql/req {result.get('statements_per_request')}  "
            f"rss {result['peak_rss_mb']} MB  db sessions opened {result['db_sessions_opened']}"
        )
        return result

    def growth(self, server: Server) -> dict[str, Any]:
        """One client at a time: each growth viewer's page 1 and page N, measured in alternating rounds so that
        a burst of other work on the machine hits both alike (medians of the rounds are reported)."""
        a = self.args
        out: dict[str, Any] = {}
        depth = (a.deep_page - 1) * 20
        rounds = max(1, a.growth_rounds)
        slice_s = max(1.0, a.growth_duration / rounds)
        for k, v in sorted(self.tokens["viewers"].items(), key=lambda kv: int(kv[0])):
            row: dict[str, Any] = {"user_id": v["id"], "connections": v["degree"]}
            files = {
                "page1": write_requests(
                    self.dir / f"req-growth-{k}-p1.tsv", [("GET", f"{API}/feed?limit=20", v["token"], None)]
                )
            }
            cursor = feed_cursor(server.base, v["token"], depth)
            if cursor:
                row["deep_cursor"] = cursor
                files["deep"] = write_requests(
                    self.dir / f"req-growth-{k}-deep.tsv",
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

    # -- 4. limits ---------------------------------------------------------------------------------------

    def capture(self, requests: Sequence[tuple[str, str, str]]) -> dict[str, dict[str, Any]]:
        """Run the app in-process once per request and record its SQL with the literal values rendered."""
        from fastapi.testclient import TestClient
        from sqlalchemy import event

        from hearth_api import create_app

        app = create_app(self.settings(), configure_logs=False)
        out: dict[str, dict[str, Any]] = {}
        with TestClient(app) as client, psycopg.connect(plain(self.db_url)) as mconn:
            mog = psycopg.ClientCursor(mconn)
            engine = app.state.database.engine
            captured: list[tuple[str, Any]] = []

            def grab(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
                captured.append((statement, parameters))

            event.listen(engine, "before_cursor_execute", grab)
            try:
                for name, path, token in requests:
                    captured.clear()
                    r = client.get(path, headers={"Authorization": f"Bearer {token}"})
                    out[name] = {
                        "status": r.status_code,
                        "body": r.content,
                        "statements": [mog.mogrify(s, p) for s, p in captured],
                    }
            finally:
                event.remove(engine, "before_cursor_execute", grab)
        return out

    def database_limit(self, feeds: dict[str, dict[str, Any]]) -> dict[str, Any]:
        a = self.args
        sdir = self.dir / "pgbench"
        sdir.mkdir(exist_ok=True)
        scripts = []
        for i, (_name, cap) in enumerate(feeds.items()):
            if cap["status"] != 200:
                continue
            path = sdir / f"feed-{i:03d}.sql"
            body = ["SELECT 1;", "BEGIN;"]  # the pool's pre-ping (psycopg sends ';'), then the transaction
            body += [" ".join(s.split("\n")).rstrip().rstrip(";") + ";" for s in cap["statements"]]
            body.append("COMMIT;")
            path.write_text("\n".join(body) + "\n")
            scripts.append(path)
        if not scripts:
            raise RuntimeError("no feed statements captured")
        base_cmd = ["pgbench", "-n", "-c", str(a.connections), "-j", str(a.threads)]
        for s in scripts:
            base_cmd += ["-f", str(s)]
        dsn = plain(self.db_url)
        if a.warmup > 0:
            subprocess.run(
                [*base_cmd, "-T", str(a.warmup), dsn], capture_output=True, text=True, timeout=a.warmup + 60, check=True
            )
        logdir = Path(tempfile.mkdtemp(prefix="pgb-", dir=self.dir))
        with cpu_split([], self.backends) as cpu:
            out = subprocess.run(
                [*base_cmd, "-T", str(a.duration), "-l", f"--log-prefix={logdir}/tx", dsn],
                capture_output=True,
                text=True,
                timeout=a.duration + 120,
                check=False,
            )
        if out.returncode != 0:
            raise RuntimeError(f"pgbench failed: {out.stdout[-2000:]}\n{out.stderr[-2000:]}")
        tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out.stdout)
        failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
        lat: list[float] = []
        for f in logdir.iterdir():
            for line in f.read_text().splitlines():
                parts = line.split()
                if len(parts) >= 3:
                    lat.append(int(parts[2]) / 1000.0)
        shutil.rmtree(logdir, ignore_errors=True)
        stmts = [len(c["statements"]) for c in feeds.values() if c["status"] == 200]
        return {
            "tps": float(tps.group(1)) if tps else None,
            "p50_ms": round(percentile(lat, 50), 2),
            "p95_ms": round(percentile(lat, 95), 2),
            "p99_ms": round(percentile(lat, 99), 2),
            "failed": int(failed.group(1)) if failed else 0,
            "scripts": len(scripts),
            "statements_per_script": statistics.median(stmts),
            "round_trips_per_script": statistics.median(stmts) + 3,
            "cpu_percent": cpu,
            "script_dir": str(sdir.relative_to(ROOT)),
        }

    def http_limit(self, page_path: Path) -> dict[str, Any]:
        a = self.args
        port = free_port()
        mp = Path(tempfile.mkdtemp(prefix="metrics-", dir=self.dir))
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "app_http_only:create_app",
            "--app-dir",
            str(BENCH),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(a.workers),
            "--no-access-log",
            "--no-proxy-headers",
            "--log-level",
            "warning",
            "--timeout-graceful-shutdown",
            "10",
        ]
        env = self.env(BENCH_STATIC_PAGE=str(page_path), PROMETHEUS_MULTIPROC_DIR=str(mp))
        server = Server("http-only", cmd, env, port, self.dir / "http-only.log", a.workers)
        server.start("/health/live")
        sampler = RssSampler(server)
        sampler.start()
        try:
            users = self.users()
            reqfile = write_requests(
                self.dir / "req-static-feed.tsv", [("GET", "/bench/static-feed", u["token"], None) for u in users]
            )
            return self.load(server, sampler, "http_only", reqfile, None)
        finally:
            sampler.stop()
            server.stop()

    def explain(self, captures: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """EXPLAIN (ANALYZE, BUFFERS) of the posts statement of each growth viewer's feed pages."""
        pdir = self.dir / "plans"
        pdir.mkdir(exist_ok=True)
        out: dict[str, Any] = {}
        with psycopg.connect(plain(self.db_url)) as conn:
            for name, cap in captures.items():
                stmt = next(
                    (s for s in cap["statements"] if "FROM posts" in s and "ORDER BY posts.created_at DESC" in s), None
                )
                if stmt is None:
                    continue
                plan: list[str] = []
                for _ in range(2):  # the second, warm run is kept
                    plan = [r[0] for r in conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + stmt).fetchall()]
                    conn.rollback()
                (pdir / f"{name}.sql").write_text(stmt + "\n")
                (pdir / f"{name}.txt").write_text(compact_plan("\n".join(plan)) + "\n")
                text = "\n".join(plan)
                exe = re.search(r"Execution Time: ([0-9.]+)", text)
                planning = re.search(r"Planning Time: ([0-9.]+)", text)
                top = re.search(r"(Index Scan|Index Only Scan|Bitmap Heap Scan|Seq Scan)( using \S+)? on posts", text)
                buffers = re.search(r"Buffers: shared hit=(\d+)", text)
                out[name] = {
                    "execution_ms": float(exe.group(1)) if exe else None,
                    "planning_ms": float(planning.group(1)) if planning else None,
                    "posts_access": top.group(0) if top else None,
                    "shared_buffers_hit": int(buffers.group(1)) if buffers else None,
                    "plan_file": str((pdir / f"{name}.txt").relative_to(ROOT)),
                }
        return out


def compact_plan(plan: str) -> str:
    """A plan with its long literal id lists shortened to their length."""
    return re.sub(r"'\{[0-9,]{120,}\}'", lambda m: f"'{{... {m.group(0).count(',') + 1} ids ...}}'", plan)


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


# -- report ------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": psutil.cpu_count(),
        "cpu_model": model,
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def tool_versions(db_url: str) -> dict[str, str]:
    v: dict[str, str] = {}
    with psycopg.connect(plain(db_url)) as conn:
        row = conn.execute("SELECT version()").fetchone()
        v["postgresql"] = str(row[0]).split(" on ")[0] if row else "?"
        settings = conn.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name IN "
            "('shared_buffers', 'work_mem', 'jit', 'max_connections', 'random_page_cost', 'effective_cache_size')"
        ).fetchall()
        v["postgresql_settings"] = ", ".join(f"{n}={s}" for n, s in settings)
    wrk_v = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    v["wrk"] = (wrk_v.stdout or wrk_v.stderr).splitlines()[0] if (wrk_v.stdout or wrk_v.stderr) else "?"
    v["pgbench"] = subprocess.run(["pgbench", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    try:
        v["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=False)
        if dirty.stdout.strip():
            v["commit"] += " (with uncommitted changes)"
    except OSError:
        pass
    return v


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def targets(rep: dict[str, Any], deep_page: int) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value and whether it is met."""
    feed = rep["scenarios"].get("feed", {})
    lim = rep.get("limits", {})
    out: list[dict[str, Any]] = []
    c = rep["config"]["connections"]
    if feed:
        out.append(
            {
                "target": f"feed first page p99 < 50 ms at {c} clients with zero errors",
                "value": f"p99 {feed['p99_ms']} ms, {feed['errors']} errors",
                "met": feed["p99_ms"] < 50 and feed["errors"] == 0,
            }
        )
    if lim.get("combined_rps") and feed:
        frac = feed["rps"] / lim["combined_rps"]
        out.append(
            {
                "target": "feed req/s >= 0.5 x the combined limit",
                "value": f"{frac:.2f} x ({feed['rps']} of {lim['combined_rps']} req/s)",
                "met": frac >= 0.5,
            }
        )
    g = rep.get("growth", {})
    if "10" in g and "5000" in g:
        a, b = g["5000"]["page1"]["p50_ms"], g["10"]["page1"]["p50_ms"]
        out.append(
            {
                "target": "feed p50 with 5,000 connections <= 3 x with 10",
                "value": f"{a / b:.1f} x ({a} vs {b} ms)",
                "met": a / b <= 3,
            }
        )
    deep_rows = [(k, v) for k, v in g.items() if v.get("deep")]
    if deep_rows:
        k, worst = max(deep_rows, key=lambda kv: kv[1]["deep"]["p50_ms"] / kv[1]["page1"]["p50_ms"])
        a, b = worst["deep"]["p50_ms"], worst["page1"]["p50_ms"]
        out.append(
            {
                "target": f"page {deep_page} p50 <= 1.5 x page 1 (worst growth viewer)",
                "value": f"{a / b:.2f} x (viewer with {k} connections: {a} vs {b} ms)",
                "met": a / b <= 1.5,
            }
        )
    rss = rep.get("peak_rss_mb_per_worker")
    if rss:
        top = max(rss.values())
        out.append({"target": "peak RSS < 150 MB per worker", "value": f"{top} MB", "met": top < 150})
    return out


def _exe(e: dict[str, Any] | None) -> str:
    if not e or e.get("execution_ms") is None:
        return "-"
    return f"{e['execution_ms']:.1f} + {e['planning_ms']:.1f}"


def _fmt(v: Any) -> str:
    return "-" if v is None else str(v)


def markdown(rep: dict[str, Any]) -> str:
    cfg, m, v = rep["config"], rep["machine"], rep["versions"]
    deep = cfg["deep_page"]
    s, d = rep["seed"], rep["dataset"]
    out: list[str] = [f"# Hearth benchmark, {rep['started']}", ""]
    out.append(
        f"Machine: {m['cores']} cores ({m['cpu_model']}), {m['ram_gib']} GiB RAM, {v['postgresql']}; "
        f"Python {m['python']}; {v['wrk']}; {v['pgbench']}; commit {v.get('commit', '?')}."
    )
    out.append(f"PostgreSQL settings: {v['postgresql_settings']}.")
    out.append(f"Load average at start / end: {rep.get('load_average_at_start')} / {rep.get('load_average_at_end')}.")
    seeded = "reused" if s["reused"] else f"seeded in {s['seconds']} s"
    out.append(
        f"Dataset: {d['users']:,} users, {d['connections']:,} connections (median degree {d['median_degree']:.0f}, "
        f"max {d['max_degree']:.0f}), {d['tag_members']:,} tag memberships, {d['posts']:,} posts, "
        f"{d['comments']:,} comments, {d['media']:,} media ({seeded})."
    )
    out.append(
        f"Load: `hearth serve --workers {cfg['workers']}`; wrk {cfg['threads']} threads x {cfg['connections']} "
        f"connections, {cfg['duration']} s per scenario after a {cfg['warmup']} s warm-up; the tokens of "
        f"{rep['inputs'].get('feed_requests', 0):,} users rotate."
    )
    out += ["", "## Scenarios", ""]
    out.append(
        "| scenario | req/s | p50 ms | p95 ms | p99 ms | errors (non-2xx / socket) | SQL/req "
        "| peak RSS/worker MB | CPU % app / pg / wrk / other | CPU ms/req app / pg | DB sessions opened |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in rep["scenarios"].items():
        cpu = r.get("cpu_percent", {})
        label = SCENARIOS[name][1].replace("{deep}", str(deep)) if name in SCENARIOS else name
        split = " / ".join(_fmt(cpu.get(k)) for k in ("app", "postgres", "load_tool", "other"))
        per = r.get("cpu_ms_per_request", {})
        out.append(
            f"| {name}: {label} | {r['rps']:.0f} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | "
            f"{r['errors']} ({r['non_2xx']} / {r['socket_errors']}) | {_fmt(r.get('statements_per_request'))} | "
            f"{r['peak_rss_mb']} | {split} | {_fmt(per.get('app'))} / {_fmt(per.get('postgres'))} | "
            f"{_fmt(r.get('db_sessions_opened'))} |"
        )
    out.append("")
    out.append(
        "CPU: share of all cores used, while the scenario ran, by the app workers, this database's PostgreSQL "
        "backends, the load tool and everything else on the machine."
    )
    for name, r in rep["scenarios"].items():
        if r.get("statuses"):
            sample = r.get("error_sample", "").replace("`", "'")[:240]
            out.append(f"\nNon-2xx in `{name}`: {r['statuses']}; first: `{sample}`")
    lim = rep.get("limits", {})
    if lim:
        db, hl = lim.get("database", {}), lim.get("http", {})
        feed = rep["scenarios"].get("feed", {})
        out += ["", "## Limits (same concurrency)", ""]
        out.append("| limit | req/s | p50 ms | p99 ms | feed req/s as a fraction of it |")
        out.append("|---|---:|---:|---:|---:|")
        if db:
            out.append(
                f"| (a) database alone: pgbench over {db['scripts']} captured feed requests "
                f"({db['statements_per_script']:.0f} statements + ping, BEGIN, COMMIT) | {db['tps']:.0f} | "
                f"{db['p50_ms']} | {db['p99_ms']} | {_fmt(ratio(feed.get('rps'), db.get('tps')))} |"
            )
        if hl:
            out.append(
                f"| (b) HTTP stack alone: pre-built `Page[Post]` of 20 ({lim.get('static_page_bytes', 0):,} bytes) | "
                f"{hl['rps']:.0f} | {hl['p50_ms']} | {hl['p99_ms']} | {_fmt(ratio(feed.get('rps'), hl.get('rps')))} |"
            )
        if lim.get("combined_rps"):
            out.append(
                f"| combined 1 / (1/a + 1/b) | {lim['combined_rps']:.0f} | | | "
                f"{_fmt(ratio(feed.get('rps'), lim['combined_rps']))} |"
            )
    g = rep.get("growth", {})
    if g:
        out += [
            "",
            f"## Growth (one client at a time, feed latency in ms; median of {cfg.get('growth_rounds', 1)} "
            "alternating rounds)",
            "",
        ]
        out.append(
            f"| viewer's connections | page 1 p50 | page 1 p99 | page {deep} p50 | page {deep} p99 "
            f"| page {deep} / page 1 | page 1 vs 10 connections | posts statement: execution + planning ms, "
            f"page 1 / page {deep} |"
        )
        out.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
        base = g.get("10", {}).get("page1", {}).get("p50_ms")
        ex = rep.get("explain", {})
        for k, row in sorted(g.items(), key=lambda kv: int(kv[0])):
            p1, dp = row["page1"], row.get("deep")
            out.append(
                f"| {row['connections']:,} | {p1['p50_ms']} | {p1['p99_ms']} | {dp['p50_ms'] if dp else '-'} | "
                f"{dp['p99_ms'] if dp else '-'} | {_fmt(ratio(dp['p50_ms'], p1['p50_ms'])) if dp else '-'} | "
                f"{_fmt(ratio(p1['p50_ms'], base))} | {_exe(ex.get(f'viewer{k}-page1'))} / "
                f"{_exe(ex.get(f'viewer{k}-deep'))} |"
            )
        if ex:
            out.append("")
            for name, e in sorted(ex.items()):
                out.append(
                    f"- `{name}`: {e.get('posts_access')}, {e.get('shared_buffers_hit')} buffers hit; "
                    f"plan: `{e.get('plan_file')}`"
                )
    rss = rep.get("peak_rss_mb_per_worker")
    if rss:
        out += ["", f"Peak RSS per worker over the whole run: {', '.join(f'{x} MB' for x in rss.values())}."]
    out += ["", "## Targets", ""]
    for t in rep.get("targets", []):
        out.append(f"- {'MET' if t['met'] else 'MISSED'}: {t['target']}: {t['value']}")
    out.append("")
    return "\n".join(out)


# -- main --------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--duration", type=int, default=20, help="seconds per scenario")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2, help="wrk and pgbench threads")
    ap.add_argument("--warmup", type=int, default=3, help="seconds of warm-up before each measured load")
    ap.add_argument("--server-warmup", type=int, default=5, help="seconds of feed load once, after the server starts")
    ap.add_argument(
        "--growth-duration", type=int, default=6, help="seconds per growth measurement (1 client), split in rounds"
    )
    ap.add_argument("--growth-rounds", type=int, default=3, help="alternating rounds of page 1 and page N")
    ap.add_argument("--deep-page", type=int, default=50)
    ap.add_argument("--deep-users", type=int, default=64)
    ap.add_argument("--pgbench-scripts", type=int, default=64, help="feed requests captured for pgbench (max 128)")
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--comments", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--tokens", type=int, default=2_000)
    ap.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432")
    ap.add_argument("--database", default="hearth_bench")
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--reseed", action="store_true", help="seed again even if the database holds this dataset")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated subset")
    ap.add_argument("--skip-limits", action="store_true")
    ap.add_argument("--skip-growth", action="store_true")
    args = ap.parse_args(argv)
    for tool in ("wrk", "pgbench"):
        if not shutil.which(tool):
            print(f"{tool} is missing: apt-get install -y wrk postgresql-contrib", file=sys.stderr)
            return 2
    args.pgbench_scripts = min(args.pgbench_scripts, 128)
    started = datetime.now(UTC)
    rundir = BENCH / "results" / started.strftime("%Y%m%dT%H%M%SZ")
    rundir.mkdir(parents=True, exist_ok=True)
    (rundir / "data").mkdir()
    db_url = f"{args.pg_url.rstrip('/')}/{args.database}"
    run = Run(args=args, dir=rundir, db_url=db_url)
    rep = run.report
    rep["started"] = started.isoformat(timespec="seconds")
    rep["config"] = {
        k: getattr(args, k)
        for k in (
            "workers",
            "duration",
            "connections",
            "threads",
            "warmup",
            "growth_duration",
            "growth_rounds",
            "deep_page",
        )
    }
    rep["machine"] = machine()
    rep["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    t_all = time.perf_counter()

    run.ensure_dataset()
    run.backends.start()
    counts, degree = run.tokens["counts"], run.tokens["degree"]
    rep["dataset"] = {
        "users": counts["users"],
        "connections": counts["connections"],
        "posts": counts["posts"],
        "comments": counts["comments"],
        "media": counts["media"],
        "tag_members": counts["user_tag_members"],
        "median_degree": degree["median"],
        "max_degree": degree["max"],
        "params": run.tokens["params"],
    }
    rep["versions"] = tool_versions(db_url)

    # -- served Hearth ----------------------------------------------------------------------------------
    port = free_port()
    serve = Server(
        "hearth serve",
        [sys.executable, "-m", "hearth_api.cli", "serve", "--workers", str(args.workers), "--port", str(port)],
        run.env(),
        port,
        rundir / "serve.log",
        args.workers,
    )
    log(f"starting hearth serve --workers {args.workers} on 127.0.0.1:{port}")
    serve.start("/health/ready")
    sampler = RssSampler(serve)
    sampler.start()
    wanted = [s for s in args.scenarios.split(",") if s in SCENARIOS]
    rep["scenarios"] = {}
    try:
        files = run.prepare(serve.base)
        if args.server_warmup > 0 and "feed" in files:  # a fresh server: imports, pools, prepared statements
            log(f"warming the server up for {args.server_warmup} s")
            wrk(serve.base, files["feed"], args.server_warmup, args.connections, args.threads)
        # reads first, writes last (they add posts that would top the feeds)
        for name in wanted:
            if name in files:
                rep["scenarios"][name] = run.load(serve, sampler, name, files[name], SCENARIOS[name][0])
        if not args.skip_growth:
            rep["growth"] = run.growth(serve)
        rep["peak_rss_mb_per_worker"] = {str(pid): round(v / 2**20, 1) for pid, v in sampler.overall.items()}
    finally:
        sampler.stop()
        serve.stop()
    run.undo_writes()

    # -- limits ------------------------------------------------------------------------------------------
    if not args.skip_limits:
        every = run.users()
        users = every[:: max(1, len(every) // args.pgbench_scripts)][: args.pgbench_scripts]
        log(f"capturing the SQL of {len(users)} feed requests (in-process app)")
        reqs = [(f"user{u['id']}", f"{API}/feed?limit=20", u["token"]) for u in users]
        for k, v in run.tokens["viewers"].items():
            reqs.append((f"viewer{k}-page1", f"{API}/feed?limit=20", v["token"]))
            cursor = rep.get("growth", {}).get(k, {}).get("deep_cursor")
            if cursor:
                reqs.append((f"viewer{k}-deep", f"{API}/feed?limit=20&cursor={quote(cursor)}", v["token"]))
        caps = run.capture(reqs)
        feeds = {n: c for n, c in caps.items() if n.startswith("user")}
        log("limit (a): pgbench replaying the captured feed statements")
        db = run.database_limit(feeds)
        log(f"database alone: {db['tps']:.0f} feed transactions/s, p50 {db['p50_ms']} ms, p99 {db['p99_ms']} ms")
        # the static page: a real 20-item page of median size
        pages = sorted(
            (c["body"] for c in feeds.values() if c["status"] == 200 and len(json.loads(c["body"])["items"]) == 20),
            key=len,
        )
        page = pages[len(pages) // 2]
        page_path = rundir / "static-page.json"
        page_path.write_bytes(page)
        log(f"limit (b): the HTTP stack alone (a pre-built page of {len(page):,} bytes)")
        hl = run.http_limit(page_path)
        rep["limits"] = {
            "database": db,
            "http": hl,
            "combined_rps": round(1 / (1 / db["tps"] + 1 / hl["rps"]), 1) if db.get("tps") and hl.get("rps") else None,
            "static_page_bytes": len(page),
        }
        feed = rep["scenarios"].get("feed")
        if feed:
            rep["limits"]["feed_fraction"] = {
                "of_database": ratio(feed["rps"], db["tps"]),
                "of_http": ratio(feed["rps"], hl["rps"]),
                "of_combined": ratio(feed["rps"], rep["limits"]["combined_rps"]),
            }
        rep["explain"] = run.explain({n: c for n, c in caps.items() if n.startswith("viewer")})

    rep["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    rep["targets"] = targets(rep, args.deep_page)
    rep["total_seconds"] = round(time.perf_counter() - t_all, 1)
    run.backends.stop()
    md = markdown(rep)
    (rundir / "report.json").write_text(json.dumps(rep, indent=2, default=str))
    (rundir / "report.md").write_text(md)
    shutil.copyfile(rundir / "report.json", BENCH / "results" / "latest.json")
    shutil.copyfile(rundir / "report.md", BENCH / "results" / "latest.md")
    shutil.rmtree(rundir / "data", ignore_errors=True)
    print()
    print(md)
    print(f"(report: {rundir.relative_to(ROOT)}/report.md, {rep['total_seconds']} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
