"""The two limits every scenario is compared with, at the same concurrency, with the app server stopped:
(a) the database alone: pgbench replaying captured feed requests' statements; (b) the HTTP stack alone: the
same app serving a pre-built feed page (``bench/app_http_only.py``), loaded by wrk like the scenarios."""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .capture import Capture
from .common import BENCH, ROOT, free_port, percentile
from .context import Run
from .load import measure, write_requests
from .sampling import RssSampler, cpu_ms_per_request, cpu_split
from .servers import Server


def database(run: Run, feeds: dict[str, Capture]) -> dict[str, Any]:
    """(a): one pgbench script per captured request, its statements one after another in autocommit (the
    round trips of one request: a read runs on the app's autocommit pool, without ``BEGIN``/``COMMIT``, and
    the pool does not ping a connection it reuses at once), a random script per transaction."""
    a = run.args
    sdir = run.dir / "pgbench"
    sdir.mkdir(exist_ok=True)
    scripts = []
    for i, cap in enumerate(feeds.values()):
        if cap["status"] != 200:
            continue
        path = sdir / f"feed-{i:03d}.sql"
        body = [" ".join(s.split("\n")).rstrip().rstrip(";") + ";" for s in cap["statements"]]
        path.write_text("\n".join(body) + "\n")
        scripts.append(path)
    if not scripts:
        raise RuntimeError("no feed statements captured")
    base_cmd = ["pgbench", "-n", "-c", str(a.connections), "-j", str(a.threads)]
    for s in scripts:
        base_cmd += ["-f", str(s)]
    if a.warmup > 0:
        subprocess.run(
            [*base_cmd, "-T", str(a.warmup), run.dsn], capture_output=True, text=True, timeout=a.warmup + 60, check=True
        )
    logdir = Path(tempfile.mkdtemp(prefix="pgb-", dir=run.dir))
    with cpu_split([], run.backends) as cpu:
        out = subprocess.run(
            [*base_cmd, "-T", str(a.duration), "-l", f"--log-prefix={logdir}/tx", run.dsn],
            capture_output=True,
            text=True,
            timeout=a.duration + 120,
            check=False,
        )
    if out.returncode != 0:
        raise RuntimeError(f"pgbench failed: {out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    processed = re.search(r"number of transactions actually processed: (\d+)", out.stdout)
    lat: list[float] = []
    for f in logdir.iterdir():
        for line in f.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3:
                lat.append(int(parts[2]) / 1000.0)
    shutil.rmtree(logdir, ignore_errors=True)
    stmts = [len(c["statements"]) for c in feeds.values() if c["status"] == 200]
    transactions = int(processed.group(1)) if processed else len(lat)
    return {
        "tps": float(tps.group(1)) if tps else None,
        "transactions": transactions,
        "p50_ms": round(percentile(lat, 50), 2),
        "p95_ms": round(percentile(lat, 95), 2),
        "p99_ms": round(percentile(lat, 99), 2),
        "failed": int(failed.group(1)) if failed else 0,
        "scripts": len(scripts),
        "statements_per_script": statistics.median(stmts),
        "round_trips_per_script": statistics.median(stmts),
        "cpu_percent": cpu,
        "cpu_ms_per_request": cpu_ms_per_request(cpu, transactions),
        "script_dir": str(sdir.relative_to(ROOT)),
    }


def static_page(feeds: dict[str, Capture]) -> bytes:
    """A real 20-item feed page of median size."""
    pages = sorted(
        (c["body"] for c in feeds.values() if c["status"] == 200 and len(json.loads(c["body"])["items"]) == 20),
        key=len,
    )
    if not pages:
        raise RuntimeError("no captured feed page has 20 items")
    return bytes(pages[len(pages) // 2])


def http_only(run: Run, page_path: Path) -> dict[str, Any]:
    """(b): ``uvicorn --factory app_http_only:create_app --workers N`` loaded with ``GET /bench/static-feed``."""
    a = run.args
    port = free_port()
    mp = Path(tempfile.mkdtemp(prefix="metrics-", dir=run.dir))
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
    env = run.env(BENCH_STATIC_PAGE=str(page_path), PROMETHEUS_MULTIPROC_DIR=str(mp))
    server = Server("http-only", cmd, env, port, run.dir / "http-only.log", a.workers)
    server.start("/health/live")
    sampler = RssSampler(server)
    sampler.start()
    try:
        reqfile = write_requests(
            run.dir / "req-static-feed.tsv", [("GET", "/bench/static-feed", u["token"], None) for u in run.users()]
        )
        return measure(run, server, sampler, "http_only", reqfile, None)
    finally:
        sampler.stop()
        server.stop()
