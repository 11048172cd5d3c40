"""The feed, a profile page and a comments page are served by index scans, checked with EXPLAIN on a
few thousand rows: the exact statements the app issued are captured and explained."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, text

API = "/api/v1"


@pytest.fixture(scope="module")
def big(client: TestClient, app: FastAPI) -> Iterator[dict[str, Any]]:
    """A viewer with 60 connections among 3,000 users, 6,000 posts and 6,000 comments (bulk SQL)."""
    name = "ix" + re.sub(r"[^a-z0-9]", "", str(id(app)))[-8:]
    r = client.post(
        f"{API}/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": "long enough pw", "display_name": "Viewer"},
    )
    assert r.status_code == 201, r.text
    viewer = r.json()["user"]["id"]
    token = r.json()["access_token"]
    with app.state.database.engine.begin() as conn:
        first = (
            conn.execute(
                text(
                    "INSERT INTO users (username, email, password_hash, display_name, bio) "
                    "SELECT 'bulk' || :n || '_' || g, 'bulk' || :n || '_' || g || '@example.com', 'x', 'B' || g, '' "
                    "FROM generate_series(1, 3000) g RETURNING id"
                ),
                {"n": name},
            )
            .scalars()
            .all()
        )
        friends = first[:60]
        conn.execute(
            text(
                "INSERT INTO connections (user_a_id, user_b_id, status) "
                "SELECT LEAST(:v, f), GREATEST(:v, f), 'connected' FROM unnest(CAST(:fs AS bigint[])) f"
            ),
            {"v": viewer, "fs": friends},
        )
        conn.execute(
            text(
                "INSERT INTO posts (author_id, body, audience_type, created_at, updated_at) "
                "SELECT (CAST(:us AS bigint[]))[1 + (g % 3000)], 'p' || g, 'connections', "
                "now() - g * interval '1 minute', now() FROM generate_series(1, 6000) g"
            ),
            {"us": first},
        )
        post = conn.execute(
            text("SELECT id FROM posts WHERE author_id = :a ORDER BY created_at DESC LIMIT 1"), {"a": friends[0]}
        ).scalar()
        conn.execute(
            text(
                "INSERT INTO comments (post_id, author_id, body, created_at) "
                "SELECT p.id, (CAST(:us AS bigint[]))[1 + (g % 3000)], 'c', now() - g * interval '1 second' "
                "FROM generate_series(1, 6000) g "
                "JOIN LATERAL (SELECT id FROM posts ORDER BY id OFFSET (g % 3000) LIMIT 1) p ON true"
            ),
            {"us": first},
        )
        conn.execute(
            text(
                "INSERT INTO comments (post_id, author_id, body) "
                "SELECT :p, f, 'hub' FROM unnest(CAST(:fs AS bigint[])) f"
            ),
            {"p": post, "fs": friends},
        )
        conn.execute(  # the viewer's home timeline, as the app's fan-out would have written it
            text(
                "INSERT INTO home_timelines (user_id, created_at, post_id, author_id) "
                "SELECT :v, p.created_at, p.id, p.author_id FROM posts p WHERE p.author_id = ANY(CAST(:fs AS bigint[]))"
            ),
            {"v": viewer, "fs": friends},
        )
        for table in ("users", "connections", "posts", "comments", "home_timelines"):
            conn.execute(text(f"ANALYZE {table}"))
    yield {"headers": {"Authorization": f"Bearer {token}"}, "author": friends[0], "post": post}


def _explain_issued(app: FastAPI, client: TestClient, url: str, headers: dict[str, str], table: str) -> str:
    captured: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if re.search(rf"\bFROM {table}\b", statement):
            captured.append((statement, parameters))

    engines = app.state.database.engines
    for engine in engines:
        event.listen(engine, "before_cursor_execute", grab)
    try:
        r = client.get(url, headers=headers)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", grab)
    assert r.status_code == 200, r.text
    assert captured, f"no statement read {table}"
    statement, params = captured[-1]
    dsn = app.state.database.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("EXPLAIN " + statement, params).fetchall()
    return "\n".join(r[0] for r in rows)


def test_feed_uses_an_index(app: FastAPI, client: TestClient, big: dict[str, Any]) -> None:
    """The feed reads the viewer's home timeline backwards by its key, and each post by its primary key."""
    plan = _explain_issued(app, client, f"{API}/feed?limit=20", big["headers"], "home_timelines")
    assert "Seq Scan on posts" not in plan and "Seq Scan on home_timelines" not in plan, plan
    assert "hashed SubPlan" not in plan, plan  # visibility is probed per row read, whatever the viewer's degree
    assert "pk_home_timelines" in plan, plan  # the viewer's rows by key (backwards, or a bitmap when few)
    assert re.search(r"Index Scan using pk_posts on posts", plan), plan


def test_profile_uses_the_author_index(app: FastAPI, client: TestClient, big: dict[str, Any]) -> None:
    plan = _explain_issued(app, client, f"{API}/users/{big['author']}/posts?limit=20", big["headers"], "posts")
    assert "Seq Scan on posts" not in plan, plan
    assert "ix_posts_author_created" in plan, plan


def test_comments_page_uses_the_post_index(app: FastAPI, client: TestClient, big: dict[str, Any]) -> None:
    plan = _explain_issued(app, client, f"{API}/posts/{big['post']}/comments?limit=20", big["headers"], "comments")
    assert "Seq Scan on comments" not in plan, plan
    assert "ix_comments_post_created" in plan, plan
