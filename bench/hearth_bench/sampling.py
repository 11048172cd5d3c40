"""Process sampling while a load runs: peak RSS of the app workers, CPU of this database's PostgreSQL
backends, and the machine's CPU split between the app, PostgreSQL, the load tool and everything else."""

from __future__ import annotations

import resource
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import psutil
import psycopg

from .servers import Server


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


def busy_seconds() -> float:
    t = psutil.cpu_times()
    return float(t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0) + getattr(t, "steal", 0))


def cpu_by_pid(procs: Sequence[psutil.Process]) -> dict[int, float]:
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
        out = cpu_by_pid([p for pid, p in self.procs.items() if pid in pids])
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
    load tool (wrk/pgbench) and by everything else (other work on the machine) while the block runs; also
    the CPU seconds of the first two (``app_seconds``, ``postgres_seconds``)."""
    out: dict[str, float] = {}
    a0, b0 = cpu_by_pid(workers), busy_seconds()
    backends.begin()
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    yield out
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    pgc = backends.seconds()
    a1, b1 = cpu_by_pid(workers), busy_seconds()
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
    out["app_seconds"] = round(app, 3)
    out["postgres_seconds"] = round(pgc, 3)
    out["wall_seconds"] = round(wall, 3)


def cpu_ms_per_request(cpu: dict[str, float], requests: int) -> dict[str, float]:
    """App and PostgreSQL CPU milliseconds per completed request (or transaction)."""
    if not requests:
        return {}
    return {
        "app": round(1000 * cpu.get("app_seconds", 0.0) / requests, 2),
        "postgres": round(1000 * cpu.get("postgres_seconds", 0.0) / requests, 2),
    }
