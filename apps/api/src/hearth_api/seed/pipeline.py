"""The seed from start to end: generate in memory, load in one transaction, derive the timelines."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import psycopg
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url

from . import schema, timelines
from .dataset import Clock, Dataset, generate
from .load import Loader
from .options import LOGINS_SHOWN, PASSWORD, TAGS_PER_USER, SeedOptions, SeedReport
from .progress import Progress
from .rows import Rows
from .tokens import seeded_token


def plain_dsn(url: str) -> str:
    """A libpq URL from any (SQLAlchemy-style) PostgreSQL URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def load_users(load: Loader, rows: Rows, data: Dataset) -> None:
    columns = "id, username, email, password_hash, display_name, bio, created_at"
    load.copy("users", columns, rows.users(), data.graph.n)


def load_connections(load: Loader, rows: Rows, data: Dataset) -> None:
    columns = "id, user_a_id, user_b_id, status, created_at"
    load.copy("connections", columns, rows.connections(), len(data.graph.edges))


def load_tags(load: Loader, rows: Rows, data: Dataset) -> None:
    """The tags and their members."""
    load.copy("user_tags", "id, owner_user_id, name, created_at", rows.user_tags(), data.graph.n * TAGS_PER_USER)
    load.copy("user_tag_members", "tag_id, target_user_id, owner_user_id, created_at", rows.user_tag_members())


def load_posts(load: Loader, rows: Rows, data: Dataset) -> None:
    """Media, posts, their audience tags and media links."""
    columns = "id, owner_id, key, content_type, size_bytes, status, created_at, ready_at"
    load.copy("media", columns, rows.media(), len(data.media))
    columns = "id, author_id, body, audience_type, comment_count, created_at, updated_at, media_ids"
    load.copy("posts", columns, rows.posts(), len(data.posts))
    load.copy("post_audience_tags", "post_id, tag_id", rows.post_audience_tags())
    load.copy("post_media", "post_id, media_id, position", rows.post_media())


def load_comments(load: Loader, rows: Rows, data: Dataset) -> None:
    load.copy("comments", "id, post_id, author_id, body, created_at", rows.comments(), len(data.comments))


def load_tokens(load: Loader, rows: Rows, data: Dataset) -> None:
    """Bearer tokens (stored hashed); the clear tokens and usernames go into the report."""
    for row in data.token_users:
        row["username"] = rows.username(row["id"])
        row["token"] = seeded_token(rows.seed, row["id"])
    columns = "id, user_id, token_hash, created_at, expires_at"
    load.copy("auth_tokens", columns, rows.auth_tokens(), len(data.token_users))


LOADERS = (load_users, load_connections, load_tags, load_posts, load_comments, load_tokens)


def rebuild_indexes(conn: schema.Conn, progress: Progress, indexes: list[schema.Index]) -> None:
    """The dropped indexes from their definitions, then statistics (committed with the load)."""
    with progress.phase(f"rebuild {len(indexes)} indexes"):
        for index in indexes:
            index.create(conn)
    with progress.phase("analyze"):
        schema.analyze(conn, schema.TABLES)


def build_timelines(conn: schema.Conn, progress: Progress, report: SeedReport, depth: int, absent: list[str]) -> None:
    """Every user's home timeline, from the loaded rows (or why not: a schema without its tables)."""
    if absent:
        why = f"skipped: this database has no {' or '.join(absent)} table (migration 0006 not applied)"
        progress.note("home timelines", why)
        report.timelines = {"depth": depth, "skipped": why}
        return
    with progress.phase("home timelines") as tick:
        stats = timelines.build(conn, depth, tick)
    report.timelines = stats.as_dict()
    report.counts["home_timelines"] = stats.rows
    report.counts["home_timeline_horizons"] = stats.horizons


def finish(conn: schema.Conn, progress: Progress, fk_skipped: bool, timelines_built: bool) -> None:
    """Sequences past the ids written, commit; then the timelines frozen (written by INSERT: their hint bits
    are set now rather than by the first reads)."""
    with progress.phase("sequences"):
        schema.move_sequences(conn)
        if fk_skipped:
            conn.execute("SET session_replication_role = DEFAULT")
    with progress.phase("commit"):
        conn.commit()
    conn.autocommit = True
    if timelines_built:
        with progress.phase("vacuum timelines"):
            schema.vacuum_freeze(conn, schema.TIMELINE_TABLES)


def load(database_url: str, options: SeedOptions, data: Dataset, progress: Progress, report: SeedReport) -> None:
    """Everything in one transaction that first empties every table (a failed seed changes nothing)."""
    with progress.phase("hash password"):
        password_hash = PasswordHasher().hash(PASSWORD)
    rows = Rows(data, options.seed, password_hash)
    with psycopg.connect(plain_dsn(database_url)) as conn:
        schema.check_empty(conn, options.reset)
        absent = timelines.missing(conn)
        tables = schema.TABLES if absent else (*schema.TABLES, *schema.TIMELINE_TABLES)
        with progress.phase("prepare"):
            fk_skipped = schema.skip_foreign_keys(conn)
            indexes = schema.prepare(conn, tables)
        loader = Loader(conn, progress, report)
        for phase in LOADERS:
            phase(loader, rows, data)
        rebuild_indexes(conn, progress, indexes)
        build_timelines(conn, progress, report, options.timeline_depth, absent)
        finish(conn, progress, fk_skipped, not absent)
        report.max_ids = schema.max_ids(conn)


def check_target(database_url: str, reset: bool) -> None:
    """Refuse a database that holds data (without ``reset``) before anything is migrated or generated."""
    with psycopg.connect(plain_dsn(database_url), autocommit=True) as conn:
        schema.check_empty(conn, reset)


def seed(database_url: str, options: SeedOptions, out: Any = None) -> SeedReport:
    """Generate and load the dataset; returns what was written (also written to ``options.tokens_file``)."""
    options.validate()
    check_target(database_url, options.reset)
    progress = Progress(out)
    started = time.perf_counter()
    now = options.end()
    report = SeedReport(params=options.params(), now=now.isoformat(), password=PASSWORD, seconds=0.0)
    data = generate(options, Clock(now=now.timestamp(), days=options.days), progress)
    report.degree = data.graph.degree_stats()
    load(database_url, options, data, progress, report)

    report.users = data.token_users
    for row in report.users:
        row["connections"] = len(data.graph.adj[row["id"]])
    for k, uid in data.graph.viewers.items():
        row = next(r for r in data.token_users if r["id"] == uid)
        report.viewers[str(k)] = {
            "id": uid,
            "username": row["username"],
            "degree": len(data.graph.adj[uid]),
            "token": row["token"],
        }
    report.phases = progress.phases
    report.seconds = round(time.perf_counter() - started, 1)
    options.tokens_file.parent.mkdir(parents=True, exist_ok=True)
    options.tokens_file.write_text(json.dumps(asdict(report), indent=1))
    return report


def run(database_url: str, options: SeedOptions) -> SeedReport:
    """``hearth seed``: migrate to head, seed, print a summary and a few users to log in as."""
    from .. import migrate

    options.validate()
    check_target(database_url, options.reset)  # before migrating too: a refused database stays as it was
    print(
        f"hearth seed: {options.users:,} users, {options.posts:,} posts, {options.comments:,} comments, "
        f"seed {options.seed}, {options.days} days, timelines {options.timeline_depth:,} deep",
        flush=True,
    )
    t0 = time.perf_counter()
    migrate.upgrade(database_url)
    print(f"  {'migrate':<24} {'':>17} {time.perf_counter() - t0:7.1f}s", flush=True)
    report = seed(database_url, options)
    c = report.counts
    print(
        f"seeded in {report.seconds:.1f}s: {c.get('users', 0):,} users, {c.get('connections', 0):,} connections "
        f"(median degree {report.degree['median']:.0f}, max {report.degree['max']:.0f}), "
        f"{c.get('user_tag_members', 0):,} tag memberships, {c.get('posts', 0):,} posts, "
        f"{c.get('comments', 0):,} comments, {c.get('media', 0):,} media, "
        f"{c.get('home_timelines', 0):,} timeline entries ({c.get('home_timeline_horizons', 0):,} timelines cut); "
        f"tokens for {len(report.users):,} users in {options.tokens_file}",
        flush=True,
    )
    print_logins(report)
    return report


def print_logins(report: SeedReport) -> None:
    """The best-connected users given a token: their username, the password, their token."""
    logins = sorted(report.users, key=lambda row: (-row["connections"], row["id"]))[:LOGINS_SHOWN]
    if not logins:
        return
    print(f"log in as any of these users with the password {report.password} (POST /api/v1/auth/login):")
    for row in logins:
        print(f"  {row['username']:<12} {row['connections']:>6,} connections   bearer token {row['token']}")
    sys.stdout.flush()


def now_arg(value: str) -> datetime:
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
