"""The scenarios and their request files: each line one request of a different seeded user (wrk rotates
over them), built from the dataset (a connection's profile, a connection's post with comments, a tag)."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

from .common import API, log
from .context import Run
from .growth import feed_cursor
from .load import Request, write_requests


class Scenario:
    def __init__(self, route: str, label: str, write: bool = False) -> None:
        self.route = route  # the route template in /metrics
        self.label = label
        self.write = write


# Reads first, writes last (new posts would top the feeds), then the notifications the writes told; in this order.
SCENARIOS: dict[str, Scenario] = {
    "feed": Scenario(f"{API}/feed", "GET /feed?limit=20 (first page)"),
    "feed_deep": Scenario(f"{API}/feed", "GET /feed?limit=20&cursor= (page {deep})"),
    "profile": Scenario(f"{API}/users/{{user_id}}/posts", "GET /users/{id}/posts?limit=20 (a connection's profile)"),
    "comments": Scenario(f"{API}/posts/{{post_id}}/comments", "GET /posts/{id}/comments?limit=20"),
    "digest": Scenario(f"{API}/digest", "GET /digest (last 24 h)"),
    # the feed again, with --streams live streams open (they stay open through the writes below); skipped
    # without --streams
    "feed_streams": Scenario(f"{API}/feed", "GET /feed?limit=20 (first page) with the live streams open"),
    "create_post": Scenario(f"{API}/posts", "POST /posts (30% to one tag)", write=True),
    "create_comment": Scenario(f"{API}/posts/{{post_id}}/comments", "POST /posts/{id}/comments", write=True),
    "react": Scenario(
        f"{API}/posts/{{post_id}}/reactions/{{kind}}",
        "PUT / DELETE /posts/{id}/reactions/{kind} (half take back)",
        write=True,
    ),
    # after the writes: the seed writes no notifications, so this reads what the writes above told
    "notifications": Scenario(f"{API}/notifications", "GET /notifications?limit=20"),
}
REACTION_KINDS = ("like", "love", "laugh", "wow", "sad")


def label(name: str, deep_page: int) -> str:
    return SCENARIOS[name].label.replace("{deep}", str(deep_page)) if name in SCENARIOS else name


_FRIEND = """
SELECT u.id, (SELECT c.f FROM (SELECT user_b_id AS f FROM connections WHERE user_a_id = u.id
                               UNION ALL SELECT user_a_id FROM connections WHERE user_b_id = u.id) c
              ORDER BY md5(u.id || '-' || c.f) LIMIT 1)
FROM unnest(%s::bigint[]) AS u(id)
"""
_COMMENTED = """
SELECT u.id, pick.pid FROM unnest(%s::bigint[]) AS u(id)
CROSS JOIN LATERAL (
  SELECT p.id AS pid
  FROM (SELECT user_b_id AS f FROM connections WHERE user_a_id = u.id
        UNION ALL SELECT user_a_id FROM connections WHERE user_b_id = u.id) c
  CROSS JOIN LATERAL (
    SELECT id FROM posts
    WHERE author_id = c.f AND audience_type = 'connections' AND comment_count > 0
    ORDER BY created_at DESC, id DESC LIMIT 1) p
  ORDER BY md5(u.id || '-' || p.id) LIMIT 1) pick
"""


def prepare(run: Run, base: str) -> dict[str, Path]:
    """Write one request file per scenario (``req-<name>.tsv``); returns name -> file."""
    a = run.args
    users = run.users()
    ids = [u["id"] for u in users]
    tok = {u["id"]: u["token"] for u in users}
    with psycopg.connect(run.dsn) as conn:
        friend: dict[int, int] = dict(conn.execute(_FRIEND, (ids,)).fetchall())
        commented: dict[int, int] = dict(conn.execute(_COMMENTED, (ids,)).fetchall())
        first_tag: dict[int, int] = dict(
            conn.execute(
                "SELECT owner_user_id, min(id) FROM user_tags WHERE owner_user_id = ANY(%s) GROUP BY 1", (ids,)
            ).fetchall()
        )
    rng = random.Random(a.seed)
    lines: dict[str, list[Request]] = {k: [] for k in SCENARIOS}
    for i, uid in enumerate(ids):
        t = tok[uid]
        lines["feed"].append(("GET", f"{API}/feed?limit=20", t, None))
        lines["digest"].append(("GET", f"{API}/digest", t, None))
        lines["notifications"].append(("GET", f"{API}/notifications?limit=20", t, None))
        lines["profile"].append(("GET", f"{API}/users/{friend.get(uid) or uid}/posts?limit=20", t, None))
        if uid in commented:
            pid = commented[uid]
            lines["comments"].append(("GET", f"{API}/posts/{pid}/comments?limit=20", t, None))
            lines["create_comment"].append(
                ("POST", f"{API}/posts/{pid}/comments", t, {"body": f"Nice one! (bench comment {i})"})
            )
            # a reaction and its taking back, on consecutive lines: as wrk rotates, about half the requests add
            # a reaction (and tell the author), half take one back
            kind = rng.choice(REACTION_KINDS)
            lines["react"].append(("PUT", f"{API}/posts/{pid}/reactions/{kind}", t, None))
            lines["react"].append(("DELETE", f"{API}/posts/{pid}/reactions/{kind}", t, None))
        audience: dict[str, Any] = {"type": "connections"}
        if uid in first_tag and rng.random() < 0.3:
            audience = {"type": "tags", "tag_ids": [first_tag[uid]]}
        body = {"body": f"Benchmark post {i}: a walk by the river, then coffee.", "audience": audience}
        lines["create_post"].append(("POST", f"{API}/posts", t, body))

    log(f"fetching real page-{a.deep_page} cursors for {a.deep_users} users")
    depth = (a.deep_page - 1) * 20
    candidates = ids[: a.deep_users * 3]
    with ThreadPoolExecutor(4) as pool:
        cursors = list(pool.map(lambda uid: (uid, feed_cursor(base, tok[uid], depth)), candidates))
    deep = [(uid, c) for uid, c in cursors if c][: a.deep_users]
    for uid, c in deep:
        lines["feed_deep"].append(("GET", f"{API}/feed?limit=20&cursor={quote(c)}", tok[uid], None))
    inputs = run.report.setdefault("inputs", {})
    inputs["deep_users"] = len(deep)
    inputs.update({f"{k}_requests": len(v) for k, v in lines.items()})
    return {name: write_requests(run.dir / f"req-{name}.tsv", ls) for name, ls in lines.items() if ls}
