"""What the figures were measured on: the machine and the versions of everything involved."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path
from typing import Any

import psutil
import psycopg

from .common import ROOT, plain


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
