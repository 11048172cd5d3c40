"""The benchmark's dataset: ``hearth seed`` into ``--database`` unless it already holds the same dataset
at the current schema, and undoing what the write scenarios added (timelines included)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import psycopg

from .common import RESULTS, ROOT, log
from .context import Run

TIMELINE_TABLES = ("home_timelines", "home_timeline_horizons")


def params(run: Run) -> dict[str, int]:
    """The seed parameters, as the seed records them."""
    a = run.args
    return {
        "users": a.users,
        "posts": a.posts,
        "comments": a.comments,
        "seed": a.seed,
        "days": a.days,
        "tokens": a.tokens,
        "timeline_depth": a.timeline_depth,
    }


def schema_head() -> str | None:
    """The newest migration of this checkout."""
    from alembic.script import ScriptDirectory

    from hearth_api.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config("postgresql://unused")).get_current_head()
    return str(head) if head else None


def _reusable(run: Run, saved: dict[str, Any]) -> bool:
    a = run.args
    if saved.get("params") != params(run):
        return False
    try:
        with psycopg.connect(run.dsn) as conn:
            users = conn.execute("SELECT count(*) FROM users").fetchone()
            posts = conn.execute("SELECT COALESCE(max(id), 0) FROM posts").fetchone()
            version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except psycopg.Error:
        return False
    if version is None or version[0] != schema_head():
        log(f"the database is at migration {version[0] if version else None}, the code at {schema_head()}: reseeding")
        return False
    return bool(users and users[0] == a.users and posts and posts[0] >= saved["max_ids"]["posts"])


def ensure(run: Run) -> None:
    a = run.args
    admin = f"{a.pg_url.rstrip('/')}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (a.database,)).fetchone():
            log(f"creating database {a.database}")
            conn.execute(f'CREATE DATABASE "{a.database}"')
    tokens_file = RESULTS / f"seed-{a.database}.json"
    if tokens_file.exists() and not a.reseed and _reusable(run, json.loads(tokens_file.read_text())):
        run.tokens = json.loads(tokens_file.read_text())
        log(f"reusing the seeded database {a.database} (seeded {run.tokens['now']}, {run.tokens['seconds']}s)")
        run.report["seed"] = {"reused": True, "seconds": run.tokens["seconds"], "seeded_at": run.tokens["now"]}
        undo_writes(run)
        return
    log(
        f"seeding {a.database}: hearth seed --users {a.users} --posts {a.posts} --comments {a.comments} "
        f"(timelines {a.timeline_depth} deep)"
    )
    cmd = [sys.executable, "-m", "hearth_api.cli", "seed", "--reset"]
    for flag in ("users", "posts", "comments", "seed", "days", "tokens"):
        cmd += [f"--{flag}", str(getattr(a, flag))]
    cmd += ["--tokens-file", str(tokens_file)]
    t0 = time.perf_counter()
    subprocess.run(cmd, env=run.env(), cwd=ROOT, check=True, timeout=3600)
    wall = time.perf_counter() - t0
    run.tokens = json.loads(tokens_file.read_text())
    run.report["seed"] = {
        "reused": False,
        "seconds": run.tokens["seconds"],
        "wall_seconds": round(wall, 1),
        "seeded_at": run.tokens["now"],
        "phases": run.tokens.get("phases", {}),
        "timelines": run.tokens.get("timelines", {}),
    }


def undo_writes(run: Run) -> None:
    """Remove what earlier write scenarios added, so every run starts from the seeded data: their comments
    and posts, and the timelines they reached (built again for the users whose timeline got a new post)."""
    max_ids = run.tokens["max_ids"]
    with psycopg.connect(run.dsn, autocommit=True) as conn:
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
        present = conn.execute(
            "SELECT count(*) FROM unnest(%s::text[]) AS t WHERE to_regclass(t) IS NOT NULL", (list(TIMELINE_TABLES),)
        ).fetchone()
        if not present or present[0] < len(TIMELINE_TABLES):
            return
        touched = [
            int(r[0])
            for r in conn.execute(
                "SELECT DISTINCT user_id FROM home_timelines WHERE post_id > %s", (max_ids["posts"],)
            ).fetchall()
        ]
    if touched:
        from hearth_api.seed import rebuild_timelines

        everyone = len(touched) * 2 > run.tokens["params"]["users"]
        log(f"building the timelines of {'every user' if everyone else f'{len(touched)} users'} again")
        t0 = time.perf_counter()
        stats = rebuild_timelines(run.dsn, run.args.timeline_depth, None if everyone else touched)
        log(f"  {stats.rows:,} timeline entries in {time.perf_counter() - t0:.1f}s")
