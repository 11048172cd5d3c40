"""The issues' targets, each with its measured value and whether it is met (``met`` None: not measured)."""

from __future__ import annotations

from typing import Any

from .scenarios import SCENARIOS

Target = dict[str, Any]  # {"issue", "target", "value", "met"}

FEED_OF_B = 0.30
READ_OF_B = 0.25
WRITE_OF_B = 0.15
FEED_CPU_OF_B = 3.0
COMMENTS_CPU_OF_B = 2.5
GROWTH_P50 = 1.5  # 5,000 connections vs 10
DEEP_PAGE = 1.5  # page N vs page 1
PAGE_BUFFERS = 150
POST_GROWTH = 10.0  # creating a post, 5,000 connections vs 10
RSS_MB = 150


def _t(issue: str, target: str, value: str, met: bool | None) -> Target:
    return {"issue": issue, "target": target, "value": value, "met": met}


def _missing(issue: str, target: str, why: str) -> Target:
    return _t(issue, target, why, None)


def _throughput(rep: dict[str, Any], b_rps: float | None) -> list[Target]:
    out = []
    scen = rep["scenarios"]
    for name, sc in SCENARIOS.items():
        share = WRITE_OF_B if sc.write else FEED_OF_B if name == "feed" else READ_OF_B
        kind = "write" if sc.write else "feed first page" if name == "feed" else "read"
        text = f"{name} ({kind}) req/s >= {share:.2f} x limit b"
        r = scen.get(name)
        if r is None and name == "feed_streams":
            continue  # only with --streams
        if r is None:
            out.append(_missing("#11", text, "scenario not run"))
        elif not b_rps:
            out.append(_missing("#11", text, "limits skipped"))
        else:
            frac = r["rps"] / b_rps
            out.append(_t("#11", text, f"{frac:.2f} x ({r['rps']:.0f} of {b_rps:.0f} req/s)", frac >= share))
    return out


def _cpu(rep: dict[str, Any], b_cpu: float | None) -> list[Target]:
    out = []
    for name, share in (("feed", FEED_CPU_OF_B), ("comments", COMMENTS_CPU_OF_B)):
        text = f"{name}: app CPU per request <= {share} x limit b's"
        app = rep["scenarios"].get(name, {}).get("cpu_ms_per_request", {}).get("app")
        if app is None:
            out.append(_missing("#11", text, "scenario not run"))
        elif not b_cpu:
            out.append(_missing("#11", text, "limits skipped"))
        else:
            out.append(_t("#11", text, f"{app / b_cpu:.2f} x ({app} vs {b_cpu} ms)", app / b_cpu <= share))
    return out


def _growth(rep: dict[str, Any], deep_page: int) -> list[Target]:
    out = []
    g = rep.get("growth", {})
    text = f"feed p50, one client, 5,000 connections <= {GROWTH_P50} x 10 connections"
    if "10" in g and "5000" in g:
        a, b = g["5000"]["page1"]["p50_ms"], g["10"]["page1"]["p50_ms"]
        out.append(_t("#11", text, f"{a / b:.2f} x ({a} vs {b} ms)", a / b <= GROWTH_P50))
    else:
        out.append(_missing("#11", text, "growth skipped or no 5,000-connection viewer in this dataset"))
    text = f"page {deep_page} p50 <= {DEEP_PAGE} x page 1 (worst growth viewer)"
    deep_rows = [(k, v) for k, v in g.items() if v.get("deep")]
    if deep_rows:
        k, worst = max(deep_rows, key=lambda kv: kv[1]["deep"]["p50_ms"] / kv[1]["page1"]["p50_ms"])
        a, b = worst["deep"]["p50_ms"], worst["page1"]["p50_ms"]
        out.append(_t("#11", text, f"{a / b:.2f} x (viewer with {k} connections: {a} vs {b} ms)", a / b <= DEEP_PAGE))
    else:
        out.append(_missing("#11", text, f"no growth viewer has a page {deep_page}"))
    text = f"a feed page reads <= {PAGE_BUFFERS} shared buffers, whatever the connection count"
    pages = {n: e["buffers"] for n, e in rep.get("explain", {}).items() if n.startswith("viewer") and "buffers" in e}
    if pages:
        worst_name = max(pages, key=lambda n: pages[n])
        out.append(_t("#11", text, f"at most {pages[worst_name]} ({worst_name})", pages[worst_name] <= PAGE_BUFFERS))
    else:
        out.append(_missing("#11", text, "growth skipped"))
    p = rep.get("create_post_growth", {})
    text = f"creating a post, 5,000-connection author <= {POST_GROWTH} x a 10-connection author (p50)"
    if p.get("5000", {}).get("p50_ms") and p.get("10", {}).get("p50_ms"):
        a, b = p["5000"]["p50_ms"], p["10"]["p50_ms"]
        out.append(_t("#11", text, f"{a / b:.2f} x ({a} vs {b} ms)", a / b <= POST_GROWTH))
    else:
        out.append(_missing("#11", text, "growth skipped or no 5,000-connection author in this dataset"))
    return out


def targets(rep: dict[str, Any], deep_page: int) -> list[Target]:
    feed = rep["scenarios"].get("feed", {})
    lim = rep.get("limits", {})
    http = lim.get("http", {})
    out: list[Target] = []
    # issue #11
    out += _throughput(rep, http.get("rps"))
    out += _cpu(rep, http.get("cpu_ms_per_request", {}).get("app"))
    out += _growth(rep, deep_page)
    rss = rep.get("peak_rss_mb_per_worker")
    top = max(rss.values()) if rss else None
    if top is not None:
        out.append(_t("#11", f"peak RSS <= {RSS_MB} MB per worker", f"{top} MB", top <= RSS_MB))
    errors = {n: r["errors"] for n, r in rep["scenarios"].items()}
    bad = {n: e for n, e in errors.items() if e}
    out.append(
        _t(
            "#11",
            "zero errors in every scenario",
            ", ".join(f"{n}: {e}" for n, e in bad.items()) if bad else f"0 in {len(errors)} scenarios",
            not bad,
        )
    )
    # issue #6 (kept for comparison with the earlier runs)
    c = rep["config"]["connections"]
    if feed:
        out.append(
            _t(
                "#6",
                f"feed first page p99 < 50 ms at {c} clients with zero errors",
                f"p99 {feed['p99_ms']} ms, {feed['errors']} errors",
                feed["p99_ms"] < 50 and feed["errors"] == 0,
            )
        )
    if lim.get("combined_rps") and feed:
        frac = feed["rps"] / lim["combined_rps"]
        out.append(
            _t(
                "#6",
                "feed req/s >= 0.5 x the combined limit",
                f"{frac:.2f} x ({feed['rps']} of {lim['combined_rps']} req/s)",
                frac >= 0.5,
            )
        )
    g = rep.get("growth", {})
    if "10" in g and "5000" in g:
        a, b = g["5000"]["page1"]["p50_ms"], g["10"]["page1"]["p50_ms"]
        out.append(
            _t("#6", "feed p50 with 5,000 connections <= 3 x with 10", f"{a / b:.1f} x ({a} vs {b} ms)", a / b <= 3)
        )
    if top is not None:
        out.append(_t("#6", "peak RSS < 150 MB per worker", f"{top} MB", top < 150))
    return out
