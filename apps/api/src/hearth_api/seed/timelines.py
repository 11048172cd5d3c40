"""Home timelines: for every user, the newest ``depth`` posts visible to them, built in SQL from the loaded
tables, and a horizon row for each user whose timeline was cut.

Visible to U: U's own posts; a connection's posts to all their connections; a connection's posts to tags
when U is a member of one of the post's tags (the read-time predicate of ``hearth_posts``). Connections are
stored once per pair (``user_a_id < user_b_id``): a user's connections are the partners in both columns.

``home_timelines (user_id, created_at, post_id, author_id)`` holds the kept entries;
``home_timeline_horizons (user_id, created_at, post_id)`` the key of the oldest kept entry (the
``depth``-th newest) of a user with more than ``depth`` visible posts: every visible post at or after it is
in the timeline. No horizon row means the timeline is complete.

How (one statement per batch of users, in the caller's transaction):

1. two narrow temporary copies of what the statement reads, clustered the way it reads them: every post
   as (author, time, id, open to all connections?) by author, and every tag-limited post by tag;
2. users in id order are cut into batches of about :data:`BATCH_CANDIDATES` candidate rows, so that one
   statement's sort stays in ``work_mem``;
3. a user with many candidate posts (every post of theirs and of their connections) only reads those newer
   than a *since* time chosen so that about 1.25 x (depth + 1) of them are expected to be visible (posts
   are spread evenly over time and at least 70% are open to all connections). That is exact whenever the
   window holds more than ``depth`` visible posts (the statement sees it: the user gets a horizon); the
   few users for whom it does not are built again without a window;
4. per batch: rank the visible posts per user, newest first; insert the first ``depth``, and a horizon at
   the ``depth``-th when a next one exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg

from .options import TAG_SHARE
from .progress import Tick
from .schema import (
    TIMELINE_TABLES,
    Conn,
    Index,
    key_constraints,
    missing_tables,
    secondary_indexes,
    vacuum_freeze,
)

BATCH_CANDIDATES = 2_000_000  # expected candidate rows per statement (~160 MB to sort)
WORK_MEM = "512MB"
SAFETY = 1.25  # expected visible posts in a user's window, in multiples of depth + 1
OPEN_SHARE = 1.0 - TAG_SHARE  # lowest expected share of candidates visible to the user

_SCRATCH = (
    """
    CREATE TEMPORARY TABLE timeline_posts ON COMMIT DROP AS
    SELECT author_id, created_at, id, audience_type = 'connections' AS open
    FROM posts ORDER BY author_id, created_at DESC, id DESC
    """,
    "CREATE INDEX ON timeline_posts (author_id, created_at)",
    """
    CREATE TEMPORARY TABLE timeline_tag_posts ON COMMIT DROP AS
    SELECT a.tag_id, p.author_id, p.created_at, p.id
    FROM post_audience_tags a JOIN posts p ON p.id = a.post_id
    WHERE p.audience_type = 'tags'
    ORDER BY a.tag_id, p.created_at DESC, p.id DESC
    """,
    "CREATE INDEX ON timeline_tag_posts (tag_id)",
    "ANALYZE timeline_posts, timeline_tag_posts",
)

# Every user with the number of posts of theirs and of their connections (an upper bound of what is visible).
_CANDIDATES = """
WITH per_author AS (SELECT author_id, count(*) AS n FROM timeline_posts GROUP BY author_id),
edges AS (
    SELECT id AS viewer, id AS author FROM users
    UNION ALL SELECT user_a_id, user_b_id FROM connections
    UNION ALL SELECT user_b_id, user_a_id FROM connections
)
SELECT e.viewer, sum(pa.n)::bigint
FROM edges e JOIN per_author pa ON pa.author_id = e.author
GROUP BY e.viewer
ORDER BY e.viewer
"""

# One batch: users %(ids)s, each reading posts at or after its %(since)s.
_BUILD = """
WITH viewers AS (SELECT * FROM unnest(%(ids)s::bigint[], %(since)s::timestamptz[]) AS v(viewer, since)),
edges AS (
    SELECT viewer, viewer AS author, since FROM viewers
    UNION ALL SELECT v.viewer, c.user_b_id, v.since FROM viewers v JOIN connections c ON c.user_a_id = v.viewer
    UNION ALL SELECT v.viewer, c.user_a_id, v.since FROM viewers v JOIN connections c ON c.user_b_id = v.viewer
),
visible AS (
    -- the user's own posts, and their connections' posts to all connections
    SELECT e.viewer, p.created_at, p.id, p.author_id
    FROM edges e JOIN timeline_posts p ON p.author_id = e.author AND p.created_at >= e.since
    WHERE e.author = e.viewer OR p.open
    UNION ALL
    -- a connection's posts to their tags the user is in (once, even when in two of them)
    SELECT DISTINCT e.viewer, p.created_at, p.id, p.author_id
    FROM edges e
    JOIN user_tag_members m ON m.owner_user_id = e.author AND m.target_user_id = e.viewer
    JOIN timeline_tag_posts p ON p.tag_id = m.tag_id AND p.author_id = e.author AND p.created_at >= e.since
    WHERE e.author <> e.viewer
),
ranked AS (
    SELECT viewer, created_at, id, author_id,
           row_number() OVER w AS n, lead(id) OVER w IS NOT NULL AS more
    FROM visible
    WINDOW w AS (PARTITION BY viewer ORDER BY created_at DESC, id DESC)
),
kept AS MATERIALIZED (SELECT * FROM ranked WHERE n <= %(depth)s),
horizons AS (
    INSERT INTO home_timeline_horizons (user_id, created_at, post_id)
    SELECT viewer, created_at, id FROM kept WHERE n = %(depth)s AND more
    RETURNING user_id
),
entries AS (
    INSERT INTO home_timelines (user_id, created_at, post_id, author_id)
    SELECT viewer, created_at, id, author_id FROM kept
    RETURNING 1
)
SELECT (SELECT count(*) FROM entries), (SELECT array_agg(user_id) FROM horizons)
"""

ALL_TIME = datetime.fromisoformat("0001-01-01T00:00:00+00:00")  # no window (timestamptz accepts it)

Batch = list[tuple[int, datetime]]  # (user id, since)


@dataclass
class TimelineStats:
    depth: int
    users: int = 0
    rows: int = 0
    horizons: int = 0
    batches: int = 0
    windowed: int = 0  # users read from a window of recent posts
    rebuilt: int = 0  # of which built again without one
    indexes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "depth": self.depth,
            "users": self.users,
            "rows": self.rows,
            "horizons": self.horizons,
            "batches": self.batches,
            "windowed_users": self.windowed,
            "rebuilt_without_window": self.rebuilt,
        }


def missing(conn: Conn) -> list[str]:
    """The timeline tables this database lacks (all of them before migration 0006)."""
    return missing_tables(conn, TIMELINE_TABLES)


def plan_batches(
    candidates: Sequence[tuple[int, int]],
    depth: int,
    first: datetime,
    last: datetime,
    limit: int = BATCH_CANDIDATES,
    window: bool = True,
) -> list[Batch]:
    """Users (id, candidate posts) in id order -> batches of (id, since) of about ``limit`` expected rows
    (``since`` is :data:`ALL_TIME` without a ``window``)."""
    span = (last - first).total_seconds() if window else 0.0
    out: list[Batch] = []
    current: Batch = []
    size = 0.0
    for viewer, count in candidates:
        share = SAFETY * (depth + 1) / (OPEN_SHARE * count) if count else 1.0
        since, expected = ALL_TIME, float(count)
        if share < 1.0 and span > 0:
            since, expected = last - timedelta(seconds=span * share), count * share
        if current and size + expected > limit:
            out.append(current)
            current, size = [], 0.0
        current.append((viewer, since))
        size += expected
    if current:
        out.append(current)
    return out


def _run_batch(conn: Conn, batch: Batch, depth: int, stats: TimelineStats) -> list[int]:
    """Build one batch; returns the windowed users whose window held ``depth`` or fewer visible posts."""
    params = {"ids": [v for v, _ in batch], "since": [s for _, s in batch], "depth": depth}
    with conn.cursor() as cur:
        cur.execute(_BUILD, params)
        row = cur.fetchone()
    entries, cut = (int(row[0]), set(row[1] or ())) if row else (0, set())
    stats.batches += 1
    stats.rows += entries
    stats.horizons += len(cut)
    return [v for v, since in batch if since != ALL_TIME and v not in cut]


def _drop(conn: Conn, users: Sequence[int]) -> int:
    """Remove these users' timelines; returns the entries removed."""
    removed = 0
    for table in TIMELINE_TABLES:
        cur = conn.execute(f"DELETE FROM {table} WHERE user_id = ANY(%s)", (list(users),))  # noqa: S608 - fixed
        if table == "home_timelines":
            removed = cur.rowcount
    return removed


def build(conn: Conn, depth: int, tick: Tick, users: Sequence[int] | None = None) -> TimelineStats:
    """Fill the timelines of ``users`` (default: everyone, into empty tables) in the caller's transaction.

    For everyone, the indexes of ``home_timelines`` (its primary key included: nothing refers to it) are
    dropped for the load and rebuilt after it; for some users, their rows are replaced.
    """
    stats = TimelineStats(depth=depth)
    conn.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
    conn.execute("SET LOCAL jit = off")  # a few big statements: compiling costs more than it saves
    for statement in _SCRATCH:
        conn.execute(statement)
    wanted = set(users) if users is not None else None
    candidates = [
        (int(v), int(n)) for v, n in conn.execute(_CANDIDATES).fetchall() if wanted is None or int(v) in wanted
    ]
    row = conn.execute("SELECT min(created_at), max(created_at) FROM timeline_posts").fetchone()
    if row is None or row[0] is None:
        return stats  # no posts, no timelines
    bounds: tuple[datetime, datetime] = (row[0], row[1])
    indexes: list[Index] = []
    if users is None:
        indexes = [*key_constraints(conn, ("home_timelines",)), *secondary_indexes(conn, ("home_timelines",))]
        for index in indexes:
            index.drop(conn)
    else:
        _drop(conn, users)
    short: list[int] = []
    for batch in plan_batches(candidates, depth, *bounds):
        short += _run_batch(conn, batch, depth, stats)
        stats.users += len(batch)
        stats.windowed += sum(1 for _, since in batch if since != ALL_TIME)
        tick(stats.rows)
    if short:  # their window held too few visible posts: again, without one
        stats.rows -= _drop(conn, short)
        stats.rebuilt = len(short)
        again = set(short)
        for batch in plan_batches([c for c in candidates if c[0] in again], depth, *bounds, window=False):
            _run_batch(conn, batch, depth, stats)
        tick(stats.rows)
    for index in indexes:
        index.create(conn)
    stats.indexes = [i.name for i in indexes]
    conn.execute("DROP TABLE timeline_posts, timeline_tag_posts")
    return stats


def rebuild(dsn: str, depth: int, users: Sequence[int] | None = None) -> TimelineStats:
    """Build the timelines again in their own transaction (e.g. after writes a benchmark undid); ``users``
    None rebuilds everyone's from empty tables."""
    with psycopg.connect(dsn) as conn:
        if users is None:
            conn.execute(f"TRUNCATE {', '.join(TIMELINE_TABLES)}")
        stats = build(conn, depth, lambda _n: None, users)
        conn.commit()
        conn.autocommit = True
        vacuum_freeze(conn, TIMELINE_TABLES)
    return stats
