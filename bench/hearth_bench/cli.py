"""The benchmark's command line and the order of a run (see ``bench/run.py`` and ``bench/README.md``)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import charts, dataset, growth, limits, replica, scenarios, streams
from .capture import capture
from .common import API, RESULTS, ROOT, free_port, log, plain, ratio
from .context import Run
from .environment import machine, tool_versions
from .explain import explain_requests
from .load import measure, wrk
from .report import markdown
from .sampling import RssSampler
from .servers import Server
from .targets import targets

DESCRIPTION = (
    "Hearth benchmark: seed, serve, load with wrk, compare with the database-alone and HTTP-alone limits, "
    "measure growth with the number of connections, report (bench/results/)."
)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="bench/run.py", description=DESCRIPTION)
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
    ap.add_argument(
        "--post-growth-posts", type=int, default=30, help="posts created per growth viewer (1 client) for their p50"
    )
    ap.add_argument("--deep-page", type=int, default=50)
    ap.add_argument("--deep-users", type=int, default=64)
    ap.add_argument("--pgbench-scripts", type=int, default=64, help="feed requests captured for pgbench (max 128)")
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--comments", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--tokens", type=int, default=2_000)
    ap.add_argument(
        "--timeline-depth", type=int, default=1000, help="HEARTH_TIMELINE_DEPTH for the seed and the served app"
    )
    ap.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432")
    ap.add_argument("--database", default="hearth_bench")
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--reseed", action="store_true", help="seed again even if the database holds this dataset")
    ap.add_argument("--scenarios", default=",".join(scenarios.SCENARIOS), help="comma-separated subset")
    ap.add_argument("--skip-limits", action="store_true")
    ap.add_argument("--skip-growth", action="store_true")
    ap.add_argument(
        "--streams",
        type=int,
        default=0,
        help="live streams held open from feed_streams through the writes (e.g. 300); 0: none, feed_streams skipped",
    )
    ap.add_argument(
        "--replica",
        action="store_true",
        help="serve with a streaming replica of the server (pg_basebackup -R on this machine, after the seed): "
        "reads per target per scenario; same machine, so the figure is the routing's overhead, not a speedup",
    )
    ap.add_argument("--pg-bin", help="with --replica: the directory of the server's own major version's binaries")
    ap.add_argument(
        "--baseline",
        type=Path,
        help="with --replica: a single-database run's report.json, shown next to this run's figures",
    )
    return ap


def _config(args: argparse.Namespace) -> dict[str, Any]:
    keys = (
        "workers",
        "duration",
        "connections",
        "threads",
        "warmup",
        "growth_duration",
        "growth_rounds",
        "post_growth_posts",
        "deep_page",
        "timeline_depth",
    )
    return {k: getattr(args, k) for k in keys}


def _dataset(tokens: dict[str, Any]) -> dict[str, Any]:
    counts, degree = tokens["counts"], tokens["degree"]
    return {
        "users": counts["users"],
        "connections": counts["connections"],
        "posts": counts["posts"],
        "comments": counts["comments"],
        "media": counts["media"],
        "tag_members": counts["user_tag_members"],
        "median_degree": degree["median"],
        "max_degree": degree["max"],
        "timelines": tokens.get("timelines", {}),
        "params": tokens["params"],
    }


def viewer_pages(run: Run) -> list[tuple[str, str, str]]:
    """(name, path, token) of each growth viewer's feed page 1 and page N (real cursor from the growth run)."""
    reqs = []
    for k, v in growth.viewers(run):
        reqs.append((f"viewer{k}-page1", f"{API}/feed?limit=20", v["token"]))
        cursor = run.report.get("growth", {}).get(k, {}).get("deep_cursor")
        if cursor:
            reqs.append((f"viewer{k}-deep", f"{API}/feed?limit=20&cursor={quote(cursor)}", v["token"]))
    return reqs


def served(run: Run) -> None:
    """Serve Hearth and measure the scenarios, then (unless skipped) the growth viewers."""
    args, rep = run.args, run.report
    port = free_port()
    extra = {"HEARTH_DATABASE_REPLICA_URLS": run.standby.url} if run.standby is not None else {}
    serve = Server(
        "hearth serve",
        [sys.executable, "-m", "hearth_api.cli", "serve", "--workers", str(args.workers), "--port", str(port)],
        run.env(**extra),
        port,
        run.dir / "serve.log",
        args.workers,
    )
    log(f"starting hearth serve --workers {args.workers} on 127.0.0.1:{port}")
    serve.start("/health/ready")
    sampler = RssSampler(serve)
    sampler.start()
    wanted = [s for s in args.scenarios.split(",") if s in scenarios.SCENARIOS]
    rep["scenarios"] = {}
    try:
        files = scenarios.prepare(run, serve.base)
        if args.server_warmup > 0 and "feed" in files:  # a fresh server: imports, pools, prepared statements
            log(f"warming the server up for {args.server_warmup} s")
            wrk(serve.base, files["feed"], args.server_warmup, args.connections, args.threads)
        load: streams.StreamLoad | None = None
        for name in wanted:  # in SCENARIOS order: reads first, writes last
            if name == "feed_streams":
                if not args.streams or "feed" not in files:
                    continue
                load = streams.StreamLoad(serve.base, [u["token"] for u in run.users()], args.streams)
                load.start()
                files[name] = files["feed"]
            elif load is not None and not scenarios.SCENARIOS[name].write:  # the writes are done
                rep["streams"] = load.stop(run.dsn)
                load = None
            if name in files:
                reads = replica.scrape(serve.base) if run.standby is not None else None
                rep["scenarios"][name] = measure(
                    run, serve, sampler, name, files[name], scenarios.SCENARIOS[name].route
                )
                if reads is not None:  # warm-up included: what the scenario's requests read where
                    rep["scenarios"][name]["reads"] = replica.delta(reads, replica.scrape(serve.base))
                    log(f"{name:<15} reads {rep['scenarios'][name]['reads']}")
        if load is not None:
            rep["streams"] = load.stop(run.dsn)
        if not args.skip_growth:
            rep["growth"] = growth.feed(run, serve)
            log("EXPLAIN (ANALYZE, BUFFERS) of every statement of the growth viewers' feed pages")
            rep["explain"] = explain_requests(run.dsn, capture(run, viewer_pages(run)), run.dir / "plans")
            for name, e in rep["explain"].items():
                log(f"  {name:<16} {e.get('buffers')} buffers in {e.get('statements')} statements")
            rep["create_post_growth"] = growth.create_post(run, serve)
        rep["peak_rss_mb_per_worker"] = {str(pid): round(v / 2**20, 1) for pid, v in sampler.overall.items()}
    finally:
        sampler.stop()
        serve.stop()


def measure_limits(run: Run) -> None:
    args, rep = run.args, run.report
    every = run.users()
    users = every[:: max(1, len(every) // args.pgbench_scripts)][: args.pgbench_scripts]
    log(f"capturing the SQL of {len(users)} feed requests (in-process app)")
    feeds = capture(run, [(f"user{u['id']}", f"{API}/feed?limit=20", u["token"]) for u in users])
    log("limit (a): pgbench replaying the captured feed statements")
    db = limits.database(run, feeds)
    log(f"database alone: {db['tps']:.0f} feed transactions/s, p50 {db['p50_ms']} ms, p99 {db['p99_ms']} ms")
    page = limits.static_page(feeds)
    page_path = run.dir / "static-page.json"
    page_path.write_bytes(page)
    log(f"limit (b): the HTTP stack alone (a pre-built page of {len(page):,} bytes)")
    hl = limits.http_only(run, page_path)
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


def write_report(run: Run) -> str:
    rep, rundir = run.report, run.dir
    rep["charts"] = charts.draw(rep, rundir)
    md = markdown(rep)
    (rundir / "report.json").write_text(json.dumps(rep, indent=2, default=str))
    (rundir / "report.md").write_text(md)
    shutil.copyfile(rundir / "report.json", RESULTS / "latest.json")
    (RESULTS / "latest.md").write_text(markdown(rep, image_prefix=f"{rundir.name}/"))
    return md


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    for tool in ("wrk", "pgbench"):
        if not shutil.which(tool):
            print(f"{tool} is missing: apt-get install -y wrk postgresql-contrib", file=sys.stderr)
            return 2
    args.pgbench_scripts = min(args.pgbench_scripts, 128)
    started = datetime.now(UTC)
    rundir = RESULTS / started.strftime("%Y%m%dT%H%M%SZ")
    rundir.mkdir(parents=True, exist_ok=True)
    (rundir / "data").mkdir()
    db_url = f"{args.pg_url.rstrip('/')}/{args.database}"
    run = Run(args=args, dir=rundir, db_url=db_url)
    rep = run.report
    rep["started"] = started.isoformat(timespec="seconds")
    rep["config"] = _config(args)
    rep["machine"] = machine()
    rep["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    t_all = time.perf_counter()

    if args.replica:  # before minutes of seeding: the standby can be made
        replica.preflight(plain(f"{args.pg_url.rstrip('/')}/postgres"), args.pg_bin)
    dataset.ensure(run)
    run.backends.start()
    rep["dataset"] = _dataset(run.tokens)
    rep["versions"] = tool_versions(db_url)
    if args.baseline:
        rep["baseline"] = replica.baseline_of(json.loads(args.baseline.read_text()))
    try:
        if args.replica:  # after the seed: the standby holds the dataset
            run.standby = replica.Standby(run.dsn, free_port(), args.pg_bin)
            run.standby.start()
            rep["replica"] = {"url": run.standby.url, "postgresql_major": run.standby.major}
        served(run)
        dataset.undo_writes(run)
        if not args.skip_limits:
            measure_limits(run)
    finally:
        run.backends.stop()
        if run.standby is not None:
            run.standby.stop()

    rep["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    rep["targets"] = targets(rep, args.deep_page)
    rep["total_seconds"] = round(time.perf_counter() - t_all, 1)
    md = write_report(run)
    shutil.rmtree(rundir / "data", ignore_errors=True)
    print()
    print(md)
    print(f"(report: {rundir.relative_to(ROOT)}/report.md, {rep['total_seconds']} s in all)")
    return 0
