"""The markdown report of a run (``report.md``; the JSON report holds every figure)."""

from __future__ import annotations

from typing import Any

from .common import ratio
from .replica import overhead
from .scenarios import label

CHART_TITLES = {
    "throughput": "Throughput against the limits",
    "cpu_per_request": "CPU per request against limit b",
    "growth_latency": "Feed p50 by connections",
    "growth_buffers": "Shared buffers per feed page by connections",
    "growth_create_post": "Creating a post by connections",
}


def _fmt(v: Any) -> str:
    return "-" if v is None else str(v)


def _header(rep: dict[str, Any]) -> list[str]:
    cfg, m, v = rep["config"], rep["machine"], rep["versions"]
    s, d = rep["seed"], rep["dataset"]
    out = [f"# Hearth benchmark, {rep['started']}", ""]
    out.append(
        f"Machine: {m['cores']} cores ({m['cpu_model']}), {m['ram_gib']} GiB RAM, {v['postgresql']}; "
        f"Python {m['python']}; {v['wrk']}; {v['pgbench']}; commit {v.get('commit', '?')}."
    )
    out.append(f"PostgreSQL settings: {v['postgresql_settings']}.")
    out.append(f"Load average at start / end: {rep.get('load_average_at_start')} / {rep.get('load_average_at_end')}.")
    seeded = "reused" if s["reused"] else f"seeded in {s['seconds']} s"
    tl = d.get("timelines") or {}
    timelines = (
        f", home timelines {tl['depth']:,} deep: {tl.get('rows', 0):,} entries, {tl.get('horizons', 0):,} cut"
        if "rows" in tl
        else f", no home timelines ({tl['skipped']})"
        if "skipped" in tl
        else ""
    )
    out.append(
        f"Dataset: {d['users']:,} users, {d['connections']:,} connections (median degree {d['median_degree']:.0f}, "
        f"max {d['max_degree']:.0f}), {d['tag_members']:,} tag memberships, {d['posts']:,} posts, "
        f"{d['comments']:,} comments, {d['media']:,} media{timelines} ({seeded})."
    )
    out.append(
        f"Load: `hearth serve --workers {cfg['workers']}`; wrk {cfg['threads']} threads x {cfg['connections']} "
        f"connections, {cfg['duration']} s per scenario after a {cfg['warmup']} s warm-up; the tokens of "
        f"{rep['inputs'].get('feed_requests', 0):,} users rotate."
    )
    return out


def _scenarios(rep: dict[str, Any]) -> list[str]:
    deep = rep["config"]["deep_page"]
    b_cpu = rep.get("limits", {}).get("http", {}).get("cpu_ms_per_request", {}).get("app")
    b_rps = rep.get("limits", {}).get("http", {}).get("rps")
    out = ["", "## Scenarios", ""]
    out.append(
        "| scenario | req/s | req/s ÷ b | p50 ms | p95 ms | p99 ms | errors (non-2xx / socket) | SQL/req "
        "| CPU ms/req app / pg | app CPU ÷ b's | peak RSS/worker MB | CPU % app / pg / wrk / other "
        "| DB sessions opened |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in rep["scenarios"].items():
        cpu = r.get("cpu_percent", {})
        split = " / ".join(_fmt(cpu.get(k)) for k in ("app", "postgres", "load_tool", "other"))
        per = r.get("cpu_ms_per_request", {})
        out.append(
            f"| {name}: {label(name, deep)} | {r['rps']:.0f} | {_fmt(ratio(r['rps'], b_rps))} | {r['p50_ms']} | "
            f"{r['p95_ms']} | {r['p99_ms']} | {r['errors']} ({r['non_2xx']} / {r['socket_errors']}) | "
            f"{_fmt(r.get('statements_per_request'))} | {_fmt(per.get('app'))} / {_fmt(per.get('postgres'))} | "
            f"{_fmt(ratio(per.get('app'), b_cpu))} | {r['peak_rss_mb']} | {split} | "
            f"{_fmt(r.get('db_sessions_opened'))} |"
        )
    out.append("")
    out.append(
        "b = limit (b), the HTTP stack alone (below): `req/s ÷ b` is the scenario's throughput as a share of b's, "
        "`app CPU ÷ b's` its app CPU per request in multiples of b's. CPU %: share of all cores used, while the "
        "scenario ran, by the app workers, this database's PostgreSQL backends, the load tool and everything "
        "else on the machine; CPU ms/req: the app's and PostgreSQL's CPU seconds over the requests completed."
    )
    for name, r in rep["scenarios"].items():
        if r.get("statuses"):
            sample = r.get("error_sample", "").replace("`", "'")[:240]
            out.append(f"\nNon-2xx in `{name}`: {r['statuses']}; first: `{sample}`")
    return out


def _limits(rep: dict[str, Any]) -> list[str]:
    lim = rep.get("limits", {})
    if not lim:
        return []
    db, hl = lim.get("database", {}), lim.get("http", {})
    feed = rep["scenarios"].get("feed", {})
    out = ["", "## Limits (same concurrency)", ""]
    out.append("| limit | req/s | p50 ms | p99 ms | CPU ms/req app / pg | feed req/s as a fraction of it |")
    out.append("|---|---:|---:|---:|---:|---:|")
    if db:
        per = db.get("cpu_ms_per_request", {})
        out.append(
            f"| (a) database alone: pgbench over {db['scripts']} captured feed requests "
            f"({db['statements_per_script']:.0f} statements, autocommit) | {db['tps']:.0f} | "
            f"{db['p50_ms']} | {db['p99_ms']} | - / {_fmt(per.get('postgres'))} | "
            f"{_fmt(ratio(feed.get('rps'), db.get('tps')))} |"
        )
    if hl:
        per = hl.get("cpu_ms_per_request", {})
        out.append(
            f"| (b) HTTP stack alone: pre-built `Page[Post]` of 20 ({lim.get('static_page_bytes', 0):,} bytes) | "
            f"{hl['rps']:.0f} | {hl['p50_ms']} | {hl['p99_ms']} | {_fmt(per.get('app'))} / - | "
            f"{_fmt(ratio(feed.get('rps'), hl.get('rps')))} |"
        )
    if lim.get("combined_rps"):
        out.append(
            f"| combined 1 / (1/a + 1/b) | {lim['combined_rps']:.0f} | | | | "
            f"{_fmt(ratio(feed.get('rps'), lim['combined_rps']))} |"
        )
    return out


def _growth(rep: dict[str, Any]) -> list[str]:
    g = rep.get("growth", {})
    if not g:
        return []
    cfg = rep["config"]
    deep = cfg["deep_page"]
    ex = rep.get("explain", {})
    posts = rep.get("create_post_growth", {})
    out = [
        "",
        f"## Growth (one client at a time; feed latency: median of {cfg.get('growth_rounds', 1)} alternating rounds)",
        "",
    ]
    out.append(
        f"| viewer's connections | page 1 p50 ms | page 1 p99 ms | page {deep} p50 ms | page {deep} p99 ms "
        f"| page {deep} / page 1 | page 1 vs 10 connections | shared buffers page 1 / page {deep} "
        f"| SQL exec + plan ms page 1 / page {deep} | create post p50 ms | create post vs 10 "
        f"| fan-out by a job: in every timeline after the 201, p50 / max ms |"
    )
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    base = g.get("10", {}).get("page1", {}).get("p50_ms")
    post_base = posts.get("10", {}).get("p50_ms")

    def buf(name: str) -> str:
        return _fmt(ex.get(name, {}).get("buffers"))

    def exe(name: str) -> str:
        e = ex.get(name)
        return f"{e['execution_ms']:.1f} + {e['planning_ms']:.1f}" if e and "execution_ms" in e else "-"

    for k, row in sorted(g.items(), key=lambda kv: int(kv[0])):
        p1, dp = row["page1"], row.get("deep")
        cp = posts.get(k, {})
        out.append(
            f"| {row['connections']:,} | {p1['p50_ms']} | {p1['p99_ms']} | {dp['p50_ms'] if dp else '-'} | "
            f"{dp['p99_ms'] if dp else '-'} | {_fmt(ratio(dp['p50_ms'], p1['p50_ms'])) if dp else '-'} | "
            f"{_fmt(ratio(p1['p50_ms'], base))} | {buf(f'viewer{k}-page1')} / {buf(f'viewer{k}-deep')} | "
            f"{exe(f'viewer{k}-page1')} / {exe(f'viewer{k}-deep')} | {_fmt(cp.get('p50_ms'))} | "
            f"{_fmt(ratio(cp.get('p50_ms'), post_base))} | "
            + (
                f"{cp['deferred_p50_ms']} / {cp['deferred_max_ms']} ({cp['deferred']} posts) |"
                if cp.get("deferred")
                else "- (in the request) |"
            )
        )
    out.append("")
    out.append(
        "Shared buffers: the shared hit + read blocks of every statement the feed request runs "
        "(`EXPLAIN (ANALYZE, BUFFERS)` of each captured statement, warm), summed; SQL ms: their execution and "
        f"planning times. Create post: p50 over {cfg.get('post_growth_posts')} posts by that viewer to all their "
        "connections, one after another, each once the last was in every timeline (removed after the run). "
        "A post with more readers than `HEARTH_TIMELINE_FANOUT_MAX` is answered before its fan-out, which a job "
        "writes (feeds read it from the pending list meanwhile): its job's time is not in the create post column "
        "but in the next."
    )
    for name, e in sorted(ex.items()):
        if "heaviest" in e:
            h = e["heaviest"]
            out.append(
                f"- `{name}`: {e['statements']} statements, {e['buffers']} buffers; heaviest ({h['buffers']} "
                f"buffers): {'; '.join(h['scans']) or '-'}; plan: `{e.get('plan_file')}`"
            )
    failed = {k: r for k, r in posts.items() if r.get("errors")}
    if failed:
        sample = next(iter(failed.values())).get("error_sample", "").replace("`", "'")[:240]
        out.append(f"\nCreate-post errors: { {k: r['errors'] for k, r in failed.items()} }; first: `{sample}`")
    return out


def _streams(rep: dict[str, Any]) -> list[str]:
    st = rep.get("streams")
    if not st:
        return []
    feed, with_streams = rep["scenarios"].get("feed", {}), rep["scenarios"].get("feed_streams", {})
    out = ["", "## Live streams", ""]
    out.append(
        f"{st['connected']} of {st['streams']} streams open (failures: {st['failed'] or 'none'}) from `feed_streams` "
        f"through the write scenarios; {st['events']} events read ({st['post_events']} posts, "
        f"{st['notification_events']} notifications)."
    )
    out.append("")
    out.append(
        "| delivery (the event stored in the writing transaction -> read by the client) | p50 ms | p99 ms | max ms |"
    )
    out.append("|---|---:|---:|---:|")
    out.append(f"| every event | {st['delivery_p50_ms']} | {st['delivery_p99_ms']} | {st['delivery_max_ms']} |")
    if "post_delivery_p50_ms" in st:
        out.append(f"| post events | {st['post_delivery_p50_ms']} | {st['post_delivery_p99_ms']} | |")
    if feed and with_streams:
        out.append("")
        out.append(
            f"The feed with the streams open: {with_streams['rps']:.0f} req/s (without: {feed['rps']:.0f}), "
            f"p50 {with_streams['p50_ms']} ms (without: {feed['p50_ms']}), p99 {with_streams['p99_ms']} ms "
            f"(without: {feed['p99_ms']})."
        )
    return out


def markdown(rep: dict[str, Any], image_prefix: str = "") -> str:
    """The report; charts are linked as ``image_prefix + file``."""
    out = _header(rep) + _scenarios(rep) + overhead(rep, rep.get("baseline")) + _streams(rep) + _limits(rep)
    out += _growth(rep)
    rss = rep.get("peak_rss_mb_per_worker")
    if rss:
        out += ["", f"Peak RSS per worker over the whole run: {', '.join(f'{x} MB' for x in rss.values())}."]
    out += ["", "## Targets", ""]
    for t in rep.get("targets", []):
        verdict = "NOT MEASURED" if t["met"] is None else "MET" if t["met"] else "MISSED"
        out.append(f"- {verdict} (issue {t['issue']}): {t['target']}: {t['value']}")
    charts = rep.get("charts", {})
    if charts:
        out += ["", "## Charts", ""]
        for name, file in charts.items():
            out += [f"![{CHART_TITLES.get(name, name)}]({image_prefix}{file})", ""]
    out.append("")
    return "\n".join(out)
