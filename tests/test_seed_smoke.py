"""`hearth seed` at a tiny size, into a fresh database on the test server: the rows asked for, a consistent
network (exact comment counts, tag audiences from the author's own tags, exact growth-viewer degrees),
home timelines equal to the newest visible posts (computed here by a plain query) with a horizon exactly
where a timeline was cut, working identity sequences, tokens and password, the same content again for the
same seed, and a clear note instead of timelines on a schema without their tables."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from hearth_api import create_app
from hearth_api.cli import main as hearth
from hearth_platform.settings import Settings
from hearth_testing import fresh_database

USERS, POSTS, COMMENTS, TOKENS = 200, 2_000, 2_000, 40
NOW = "2026-11-28T12:00:00+00:00"
DEPTH = 40  # HEARTH_TIMELINE_DEPTH for the seed (and the app): some timelines are cut, most are not

# Every post visible to %(u)s, newest first, written from the definition (not from the seed's statement):
# the user's own; a connected author's to all connections; a connected author's to a tag the user is in.
VISIBLE = """
SELECT p.created_at, p.id, p.author_id FROM posts p
WHERE p.author_id = %(u)s
   OR (EXISTS (SELECT 1 FROM connections c
               WHERE (c.user_a_id = %(u)s AND c.user_b_id = p.author_id)
                  OR (c.user_b_id = %(u)s AND c.user_a_id = p.author_id))
       AND (p.audience_type = 'connections'
            OR EXISTS (SELECT 1 FROM post_audience_tags a JOIN user_tag_members m ON m.tag_id = a.tag_id
                       WHERE a.post_id = p.id AND m.target_user_id = %(u)s)))
ORDER BY p.created_at DESC, p.id DESC
"""


@pytest.fixture(scope="module")
def seed_db(database_url: str) -> Iterator[str]:
    """A new, empty database on the test run's server (the shared one keeps its data)."""
    with fresh_database(database_url, "hearth_seed") as url:
        yield url


def _seed(monkeypatch: pytest.MonkeyPatch, tmp: Path, url: str, *extra: str) -> dict[str, Any]:
    monkeypatch.chdir(tmp)  # no .env from the checkout
    monkeypatch.setenv("HEARTH_DATABASE_URL", url)
    monkeypatch.setenv("HEARTH_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("HEARTH_TIMELINE_DEPTH", str(DEPTH))
    tokens = tmp / "tokens.json"
    argv = ["seed", "--users", str(USERS), "--posts", str(POSTS), "--comments", str(COMMENTS)]
    argv += ["--tokens", str(TOKENS), "--tokens-file", str(tokens), "--now", NOW, *extra]
    assert hearth(argv) == 0
    report: dict[str, Any] = json.loads(tokens.read_text())
    return report


def _one(conn: psycopg.Connection[Any], sql: str) -> Any:
    row = conn.execute(sql).fetchone()
    assert row is not None
    return row[0]


def _fingerprint(conn: psycopg.Connection[Any]) -> tuple[Any, ...]:
    return tuple(
        _one(conn, sql)
        for sql in (
            "SELECT md5(string_agg(concat_ws(',', user_a_id, user_b_id, created_at), ';' ORDER BY id)) "
            "FROM connections",
            "SELECT md5(string_agg(concat_ws(',', author_id, body, audience_type, comment_count, created_at), ';' "
            "ORDER BY id)) FROM posts",
            "SELECT md5(string_agg(concat_ws(',', post_id, author_id, body, created_at), ';' ORDER BY id)) "
            "FROM comments",
            "SELECT md5(string_agg(concat_ws(',', tag_id, target_user_id), ';' ORDER BY tag_id, target_user_id)) "
            "FROM user_tag_members",
            "SELECT md5(string_agg(concat_ws(',', user_id, created_at, post_id, author_id), ';' "
            "ORDER BY user_id, created_at, post_id)) FROM home_timelines",
            "SELECT md5(string_agg(concat_ws(',', user_id, created_at, post_id), ';' ORDER BY user_id)) "
            "FROM home_timeline_horizons",
        )
    )


def _check_timelines(conn: psycopg.Connection[Any], report: dict[str, Any]) -> None:
    """Every user's timeline is exactly their DEPTH newest visible posts; a horizon (at the DEPTH-th) exists
    exactly for the users with more than DEPTH visible posts."""
    assert report["timelines"]["depth"] == DEPTH
    cut = 0
    for (user_id,) in conn.execute("SELECT id FROM users ORDER BY id").fetchall():
        visible = conn.execute(VISIBLE, {"u": user_id}).fetchall()
        timeline = conn.execute(
            "SELECT created_at, post_id, author_id FROM home_timelines WHERE user_id = %s "
            "ORDER BY created_at DESC, post_id DESC",
            (user_id,),
        ).fetchall()
        assert timeline == visible[:DEPTH], f"user {user_id}"
        horizon = conn.execute(
            "SELECT created_at, post_id FROM home_timeline_horizons WHERE user_id = %s", (user_id,)
        ).fetchone()
        if len(visible) > DEPTH:
            cut += 1
            assert horizon == visible[DEPTH - 1][:2], f"user {user_id}"
        else:
            assert horizon is None, f"user {user_id}"
    # both kinds are there (the growth viewer with 100 connections sees far more than DEPTH posts)
    assert 0 < cut < USERS
    assert _one(conn, "SELECT count(*) FROM home_timeline_horizons") == cut
    assert report["timelines"]["horizons"] == cut
    assert _one(conn, "SELECT count(*) FROM home_timelines") == report["timelines"]["rows"]


def test_seed_makes_a_consistent_network(
    seed_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    report = _seed(monkeypatch, tmp_path_factory.mktemp("seed1"), seed_db)

    with psycopg.connect(seed_db) as conn:
        tables = ("users", "posts", "comments", "user_tags")
        counts = {t: _one(conn, f"SELECT count(*) FROM {t}") for t in tables}  # noqa: S608 - fixed names
        assert counts == {"users": USERS, "posts": POSTS, "comments": COMMENTS, "user_tags": USERS * 5}
        media_posts = _one(conn, "SELECT count(DISTINCT post_id) FROM post_media")
        assert 0.05 * POSTS < media_posts < 0.2 * POSTS
        assert _one(conn, "SELECT count(*) FROM media WHERE status <> 'ready' OR key NOT LIKE 'bench/%'") == 0
        # comment_count is exact
        assert (
            _one(
                conn,
                "SELECT count(*) FROM posts p "
                "WHERE comment_count <> (SELECT count(*) FROM comments c WHERE c.post_id = p.id)",
            )
            == 0
        )
        # ~30% tag-limited; every one has 1-2 tags, all of them its author's
        tagged = _one(conn, "SELECT count(*) FROM posts WHERE audience_type = 'tags'")
        assert 0.2 * POSTS < tagged < 0.4 * POSTS
        assert (
            _one(
                conn,
                "SELECT count(*) FROM posts p WHERE audience_type = 'tags' AND (SELECT count(*) "
                "FROM post_audience_tags a JOIN user_tags t ON t.id = a.tag_id AND t.owner_user_id = p.author_id "
                "WHERE a.post_id = p.id) NOT BETWEEN 1 AND 2",
            )
            == 0
        )
        assert (
            _one(
                conn,
                "SELECT count(*) FROM post_audience_tags a JOIN posts p ON p.id = a.post_id "
                "JOIN user_tags t ON t.id = a.tag_id WHERE t.owner_user_id <> p.author_id",
            )
            == 0
        )
        # tag members are the owner's connections
        assert (
            _one(
                conn,
                "SELECT count(*) FROM user_tag_members m WHERE NOT EXISTS (SELECT 1 FROM connections c "
                "WHERE c.user_a_id = least(m.owner_user_id, m.target_user_id) "
                "AND c.user_b_id = greatest(m.owner_user_id, m.target_user_id))",
            )
            == 0
        )
        # the growth viewers that fit in 200 users, with exactly their number of connections
        assert set(report["viewers"]) == {"10", "100"}
        for k, viewer in report["viewers"].items():
            degree = conn.execute(
                "SELECT count(*) FROM connections WHERE user_a_id = %(u)s OR user_b_id = %(u)s", {"u": viewer["id"]}
            ).fetchone()
            assert degree == (int(k),)
        assert len(report["users"]) == TOKENS + 2
        assert _one(conn, "SELECT count(*) FROM auth_tokens") == TOKENS + 2
        _check_timelines(conn, report)

    settings = Settings(
        _env_file=None,
        database_url=seed_db,
        data_dir=tmp_path_factory.mktemp("seed-app"),
        rate_limit_enabled=False,
        log_level="WARNING",
        log_format="console",
    )
    viewer = report["viewers"]["100"]
    headers = {"Authorization": f"Bearer {viewer['token']}"}
    with TestClient(create_app(settings, configure_logs=False)) as client:
        me = client.get("/api/v1/users/me", headers=headers)
        assert me.status_code == 200, me.text
        assert me.json()["id"] == viewer["id"]
        assert me.json()["username"] == viewer["username"]
        feed = client.get("/api/v1/feed?limit=20", headers=headers)
        assert feed.status_code == 200, feed.text
        assert len(feed.json()["items"]) == 20
        login = client.post("/api/v1/auth/login", json={"username": viewer["username"], "password": report["password"]})
        assert login.status_code == 200, login.text
        # the identity sequences were moved past the seeded ids
        post = client.post(
            "/api/v1/posts", json={"body": "after the seed", "audience": {"type": "connections"}}, headers=headers
        )
        assert post.status_code == 201, post.text
        assert post.json()["id"] == POSTS + 1


def test_seed_is_deterministic_and_refuses_to_overwrite(
    seed_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    first = _seed(monkeypatch, tmp_path_factory.mktemp("seed2"), seed_db, "--reset")
    with psycopg.connect(seed_db) as conn:
        before = _fingerprint(conn)
    # without --reset, a database that holds data is refused and left as it is
    assert hearth(["seed", "--users", "20", "--posts", "10", "--comments", "0", "--tokens-file", "t.json"]) == 2
    second = _seed(monkeypatch, tmp_path_factory.mktemp("seed3"), seed_db, "--reset")
    with psycopg.connect(seed_db) as conn:
        assert _fingerprint(conn) == before
    assert [u["token"] for u in first["users"]] == [u["token"] for u in second["users"]]


def test_seed_without_timeline_tables_says_so(
    seed_db: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """On a schema older than the timelines (simulated: their tables dropped), the seed loads everything else
    and says why there are no timelines."""
    _seed(monkeypatch, tmp_path_factory.mktemp("seed4"), seed_db, "--reset")  # migrated to head first
    with psycopg.connect(seed_db, autocommit=True) as conn:
        conn.execute("DROP TABLE home_timelines, home_timeline_horizons")
    report = _seed(monkeypatch, tmp_path_factory.mktemp("seed5"), seed_db, "--reset")
    assert "(migration 0006 not applied)" in capsys.readouterr().out
    assert "no home_timelines or home_timeline_horizons table" in report["timelines"]["skipped"]
    assert report["counts"]["posts"] == POSTS
