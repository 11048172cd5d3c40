"""PNG charts of a report (matplotlib, drawn off-screen) into the run's directory; the markdown links them.

- ``throughput.png``: req/s per scenario against limit b (the HTTP stack alone), with each scenario's
  target share of it, limit a and the combined limit;
- ``cpu_per_request.png``: app and PostgreSQL CPU ms per request per scenario against limit b's app CPU
  per request, with the feed's and the comments' targets;
- ``growth_latency.png``, ``growth_buffers.png``, ``growth_create_post.png``: by the growth viewer's number
  of connections, the feed's single-client p50 (page 1 and page N), the shared buffers a feed page reads,
  and the time to create a post.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import targets as t
from .common import log
from .scenarios import SCENARIOS


def _target_share(name: str) -> float:
    if SCENARIOS[name].write:
        return t.WRITE_OF_B
    return t.FEED_OF_B if name == "feed" else t.READ_OF_B


def _legend_below(ax: Any) -> None:
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, frameon=False)


def _throughput(plt: Any, rep: dict[str, Any], path: Path) -> None:
    scen = rep["scenarios"]
    lim = rep.get("limits", {})
    b = lim.get("http", {}).get("rps")
    names = list(scen)
    fig, ax = plt.subplots(figsize=(9, 5.5))
    colors = []
    for n in names:
        ok = b is None or scen[n]["rps"] >= _target_share(n) * b
        colors.append("#4c9a5b" if ok else "#c0504d")
    ax.bar(names, [scen[n]["rps"] for n in names], color=colors, label="measured req/s")
    if b:
        ax.axhline(b, color="#1f4e79", linestyle="-", linewidth=1.5, label=f"limit b, HTTP alone ({b:.0f})")
        for i, n in enumerate(names):
            y = _target_share(n) * b
            ax.hlines(y, i - 0.4, i + 0.4, colors="black", linestyles="--", linewidth=1.2)
        ax.plot([], [], color="black", linestyle="--", label="target (0.30 / 0.25 / 0.15 x b)")
    db = lim.get("database", {}).get("tps")
    if db:
        ax.axhline(db, color="#7f7f7f", linestyle=":", linewidth=1.2, label=f"limit a, database alone ({db:.0f})")
    if lim.get("combined_rps"):
        ax.axhline(lim["combined_rps"], color="#9467bd", linestyle="-.", linewidth=1, label="combined 1/(1/a+1/b)")
    ax.set_ylabel("requests / s")
    ax.set_title(f"Throughput at {rep['config']['connections']} clients (green: target met)")
    ax.tick_params(axis="x", rotation=20)
    _legend_below(ax)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _cpu(plt: Any, rep: dict[str, Any], path: Path) -> None:
    scen = rep["scenarios"]
    names = [n for n in scen if scen[n].get("cpu_ms_per_request")]
    if not names:
        return
    app = [scen[n]["cpu_ms_per_request"].get("app", 0.0) for n in names]
    pg = [scen[n]["cpu_ms_per_request"].get("postgres", 0.0) for n in names]
    fig, ax = plt.subplots(figsize=(9, 5.5))
    ax.bar(names, app, color="#4f81bd", label="app CPU ms/req")
    ax.bar(names, pg, bottom=app, color="#f79646", label="PostgreSQL CPU ms/req")
    b = rep.get("limits", {}).get("http", {}).get("cpu_ms_per_request", {}).get("app")
    if b:
        ax.axhline(b, color="#1f4e79", linewidth=1.5, label=f"limit b: app CPU ms/req ({b})")
        for i, n in enumerate(names):
            share = {"feed": t.FEED_CPU_OF_B, "comments": t.COMMENTS_CPU_OF_B}.get(n)
            if share:
                ax.hlines(share * b, i - 0.4, i + 0.4, colors="black", linestyles="--", linewidth=1.2)
        ax.plot([], [], color="black", linestyle="--", label="target for app CPU (3 x b feed, 2.5 x b comments)")
    ax.set_ylabel("CPU ms per request")
    ax.set_title("CPU per request")
    ax.tick_params(axis="x", rotation=20)
    _legend_below(ax)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _curve(
    plt: Any,
    path: Path,
    title: str,
    ylabel: str,
    series: dict[str, list[tuple[int, float]]],
    target: tuple[float, str] | None,
    xlabel: str = "viewer's connections",
) -> bool:
    series = {k: v for k, v in series.items() if v}
    if not series:
        return False
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for name, points in series.items():
        xs, ys = zip(*sorted(points), strict=True)
        ax.plot(xs, ys, marker="o", label=name)
    if target:
        ax.axhline(target[0], color="#c0504d", linestyle="--", linewidth=1.2, label=target[1])
    ax.set_xscale("log")
    ticks = sorted({x for points in series.values() for x, _ in points})
    ax.set_xticks(ticks, [f"{x:,}" for x in ticks])
    ax.minorticks_off()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def draw(rep: dict[str, Any], outdir: Path) -> dict[str, str]:
    """Draw every chart the report has data for; returns chart name -> file name (in ``outdir``)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("charts skipped: matplotlib is not installed (uv sync --group dev)")
        return {}
    out: dict[str, str] = {}
    deep = rep["config"]["deep_page"]
    if rep.get("scenarios"):
        _throughput(plt, rep, outdir / "throughput.png")
        out["throughput"] = "throughput.png"
        _cpu(plt, rep, outdir / "cpu_per_request.png")
        if (outdir / "cpu_per_request.png").exists():
            out["cpu_per_request"] = "cpu_per_request.png"
    g = rep.get("growth", {})
    base = g.get("10", {}).get("page1", {}).get("p50_ms")
    latency = {
        "page 1": [(r["connections"], r["page1"]["p50_ms"]) for r in g.values()],
        f"page {deep}": [(r["connections"], r["deep"]["p50_ms"]) for r in g.values() if r.get("deep")],
    }
    target = (t.GROWTH_P50 * base, f"target: {t.GROWTH_P50} x the 10-connection p50") if base else None
    if _curve(plt, outdir / "growth_latency.png", "Feed p50, one client", "p50 ms", latency, target):
        out["growth_latency"] = "growth_latency.png"
    ex = rep.get("explain", {})
    buffers = {
        page: [
            (r["connections"], ex[f"viewer{k}-{key}"]["buffers"])
            for k, r in g.items()
            if "buffers" in ex.get(f"viewer{k}-{key}", {})
        ]
        for page, key in (("page 1", "page1"), (f"page {deep}", "deep"))
    }
    target = (float(t.PAGE_BUFFERS), f"target: {t.PAGE_BUFFERS} buffers")
    if _curve(
        plt, outdir / "growth_buffers.png", "Shared buffers per feed page", "buffers (hit + read)", buffers, target
    ):
        out["growth_buffers"] = "growth_buffers.png"
    p = rep.get("create_post_growth", {})
    points = [(r["connections"], r["p50_ms"]) for r in p.values() if r.get("p50_ms")]
    base = p.get("10", {}).get("p50_ms")
    target = (t.POST_GROWTH * base, f"target: {t.POST_GROWTH:.0f} x the 10-connection author") if base else None
    title = "Creating a post to all connections, one client"
    if _curve(plt, outdir / "growth_create_post.png", title, "p50 ms", {"p50": points}, target, "author's connections"):
        out["growth_create_post"] = "growth_create_post.png"
    return out
