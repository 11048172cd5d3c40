"""Races over real HTTP on ``hearth serve --workers 2`` (shared Redis): no 5xx, no hang, one consistent state.

What the package suites already race (connections: mutual requests, double accept, accept vs cancel,
block vs request, tagging vs disconnect, each pair on its own; posts: forty comments on one post, a
dozen edits and a delete of one post through the in-process client) is not repeated here. This adds:

- edits, audience changes, deletes, comments and reads of the same posts by several clients at once,
  across two worker processes, with checks that every answer and the final state are whole (a body
  never comes with another edit's audience, a deleted post leaves no row behind);
- a random mix of every connection operation (request, accept, reject, cancel, disconnect, block,
  unblock, tag and untag) among a small group, interleaved with posting, commenting and reading the
  feed; afterwards the graph's invariants hold in the database and every user's feed, connections,
  blocks and request lists, as the API serves them (through the shared cache), match the database.

A deadlock PostgreSQL detects would surface as a 503 (and is counted in ``pg_stat_database``); a hang
as a client timeout: both fail the test.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from hearth_testing import API, OwnPostgres, Stack, all_pages, connect, own_stack, register
from hearth_testing import AppUser as User

pytestmark = pytest.mark.slow

RUN_WITHIN_S = 120.0


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with own_stack(redis=True, workers=2, HEARTH_DB_POOL_SIZE="10") as stack:
        yield stack
        assert_no_deadlocks(stack.pg)


def assert_no_deadlocks(pg: OwnPostgres) -> None:
    time.sleep(1.0)  # backends report their statistics within a second of going idle
    (deadlocks,) = pg.sql("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")[0]
    assert deadlocks == 0, f"PostgreSQL detected {deadlocks} deadlock(s)"


Call = tuple[str, str, User, dict[str, Any] | None]


def race(base: str, calls: list[Call]) -> list[httpx.Response]:
    """Fire every call at the same moment, one thread and connection each; the answers in order."""
    barrier = threading.Barrier(len(calls))

    def fire(call: Call) -> httpx.Response:
        method, path, user, body = call
        with httpx.Client(base_url=base, timeout=60) as http:
            http.get("/health/live")  # the connection is open before the race starts
            barrier.wait()
            return http.request(method, path, json=body, headers=user.headers)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(fire, calls))


def _audience(i: int, tag: int) -> dict[str, Any]:
    return {"type": "tags", "tag_ids": [tag]} if i % 2 else {"type": "connections"}


def test_edits_audience_changes_and_reads_of_one_post_at_once_leave_a_whole_post(stack: Stack) -> None:
    base = stack.server.base
    with stack.server.client() as http:
        author, inner, outer = register(http, "ca"), register(http, "ci"), register(http, "co")
        connect(http, author, inner)
        connect(http, author, outer)
        tag = http.post(f"{API}/tags", json={"name": "inner"}, headers=author.headers).json()["id"]
        assert http.put(f"{API}/tags/{tag}/members/{inner.id}", headers=author.headers).status_code == 204
        for round_ in range(3):
            post = http.post(
                f"{API}/posts", json={"body": "v-start", "audience": {"type": "connections"}}, headers=author.headers
            ).json()
            pid = post["id"]
            edits: list[Call] = [
                ("PATCH", f"{API}/posts/{pid}", author, {"body": f"v{i}", "audience": _audience(i, tag)})
                for i in range(8)
            ]
            others: list[Call] = [
                ("PATCH", f"{API}/posts/{pid}", inner, {"body": "not mine"}),
                ("GET", f"{API}/posts/{pid}", inner, None),
                ("GET", f"{API}/posts/{pid}", outer, None),
                ("POST", f"{API}/posts/{pid}/comments", inner, {"body": "first"}),
                ("POST", f"{API}/posts/{pid}/comments", outer, {"body": "second"}),
                ("GET", f"{API}/feed", outer, None),
            ]
            answers = race(base, edits + others)
            assert all(a.status_code < 500 for a in answers), [a.text for a in answers if a.status_code >= 500]
            for i, a in enumerate(answers[: len(edits)]):
                assert a.status_code == 200, a.text
                got = a.json()
                assert got["body"] == f"v{i}" and got["audience"] == _audience(i, tag), got  # its own edit, whole
            patch_by_other, get_inner, get_outer, comment_inner, comment_outer, feed_outer = answers[len(edits) :]
            assert patch_by_other.status_code == 403
            assert get_inner.status_code == 200 and comment_inner.status_code == 201
            assert get_outer.status_code in (200, 404) and comment_outer.status_code in (201, 404)
            assert feed_outer.status_code == 200
            for a in (get_inner, get_outer):
                if a.status_code == 200:  # whatever edit a reader saw, it saw all of it: body and audience
                    seen = a.json()
                    n = None if seen["body"] == "v-start" else int(seen["body"][1:])
                    tagged = n is not None and n % 2 == 1
                    assert seen["audience"] == {"type": "limited" if tagged else "connections"}, seen
                    assert not (tagged and a is get_outer), "a reader outside the tag saw a tags post"
            # the final state is one edit, entirely: its body with its own audience, in the API and the rows
            final = http.get(f"{API}/posts/{pid}", headers=author.headers).json()
            i = int(final["body"][1:])
            assert final["audience"] == _audience(i, tag), (round_, final)
            rows = stack.pg.sql("SELECT tag_id FROM post_audience_tags WHERE post_id = %(p)s", p=pid)
            assert [r[0] for r in rows] == ([tag] if i % 2 else [])
            assert http.get(f"{API}/posts/{pid}", headers=inner.headers).status_code == 200
            expected_outer = 404 if i % 2 else 200
            assert http.get(f"{API}/posts/{pid}", headers=outer.headers).status_code == expected_outer
            count = final["comment_count"]
            listed = all_pages(http, f"{API}/posts/{pid}/comments", author)
            assert count == len(listed) == 1 + (comment_outer.status_code == 201)


def test_deletes_racing_edits_comments_and_reads_of_the_same_posts(stack: Stack) -> None:
    base = stack.server.base
    with stack.server.client() as http:
        author, friend, other = register(http, "da"), register(http, "df"), register(http, "do")
        connect(http, author, friend)
        connect(http, author, other)
        tag = http.post(f"{API}/tags", json={"name": "close"}, headers=author.headers).json()["id"]
        assert http.put(f"{API}/tags/{tag}/members/{friend.id}", headers=author.headers).status_code == 204
        pids = [
            http.post(
                f"{API}/posts", json={"body": f"p{n}", "audience": {"type": "connections"}}, headers=author.headers
            ).json()["id"]
            for n in range(4)
        ]
        for pid in pids:  # some comments already there, which the delete takes along
            assert (
                http.post(f"{API}/posts/{pid}/comments", json={"body": "old"}, headers=friend.headers).status_code
                == 201
            )
        calls: list[Call] = []
        for pid in pids:
            calls += [
                ("DELETE", f"{API}/posts/{pid}", author, None),
                ("DELETE", f"{API}/posts/{pid}", author, None),
                ("PATCH", f"{API}/posts/{pid}", author, {"body": "edited", "audience": _audience(1, tag)}),
                ("PATCH", f"{API}/posts/{pid}", author, {"body": "edited again"}),
                ("DELETE", f"{API}/posts/{pid}", friend, None),
                ("POST", f"{API}/posts/{pid}/comments", friend, {"body": "racing"}),
                ("POST", f"{API}/posts/{pid}/comments", other, {"body": "racing too"}),
                ("GET", f"{API}/posts/{pid}/comments", other, None),
                ("GET", f"{API}/posts/{pid}", friend, None),
            ]
        answers = race(base, calls)
        statuses = Counter(a.status_code for a in answers)
        print(f"\nstatuses of {len(calls)} racing calls: {dict(statuses)}")
        assert all(a.status_code < 500 for a in answers), [a.text for a in answers if a.status_code >= 500]
        per_post = len(calls) // len(pids)
        for n, pid in enumerate(pids):
            mine = answers[n * per_post : (n + 1) * per_post]
            delete_1, delete_2, patch_1, patch_2, delete_friend, comment_f, comment_o, list_o, get_f = mine
            assert sorted([delete_1.status_code, delete_2.status_code]) == [204, 404], (delete_1.text, delete_2.text)
            assert patch_1.status_code in (200, 404) and patch_2.status_code in (200, 404)
            assert delete_friend.status_code in (403, 404)
            assert comment_f.status_code in (201, 404) and comment_o.status_code in (201, 404)
            assert list_o.status_code in (200, 404) and get_f.status_code in (200, 404)
            for a in (delete_2, patch_1, delete_friend, comment_o, list_o):
                if a.status_code >= 400:
                    assert a.headers["content-type"].startswith("application/problem+json")
            # gone for everyone, and nothing of it left in any table
            for user in (author, friend, other):
                assert http.get(f"{API}/posts/{pid}", headers=user.headers).status_code == 404
                assert http.get(f"{API}/posts/{pid}/comments", headers=user.headers).status_code == 404
            for table in (
                "posts WHERE id",
                "comments WHERE post_id",
                "post_audience_tags WHERE post_id",
                "post_media WHERE post_id",
            ):
                assert stack.pg.sql(f"SELECT count(*) FROM {table} = %(p)s", p=pid)[0][0] == 0, table  # noqa: S608
        assert all_pages(http, f"{API}/users/{author.id}/posts", author) == []


# ---- connection races mixed with posting and reading --------------------------------------------------------

GROUP = 8
THREADS = 10
OPS_PER_THREAD = 80

ALLOWED: dict[str, set[int]] = {
    "request": {201, 403, 409},
    "accept": {200, 404},
    "reject": {204, 404},
    "cancel": {204, 404},
    "disconnect": {204, 404},
    "block": {204},
    "unblock": {204, 404},
    "tag": {204, 409},
    "untag": {204},
    "post": {201},
    "comment": {201, 404},
    "feed": {200},
    "their_posts": {200, 404},  # 404: the author has blocked the reader (the account does not exist for them)
    "incoming": {200},
    "outgoing": {200},
}
WEIGHTS = {
    "request": 22,
    "accept": 12,
    "reject": 3,
    "cancel": 4,
    "disconnect": 6,
    "block": 3,
    "unblock": 6,
    "tag": 8,
    "untag": 3,
    "post": 10,
    "comment": 5,
    "feed": 14,
    "their_posts": 4,
}


@dataclass
class Member:
    user: User
    tag: int


def _pick_request(
    http: httpx.Client, who: User, direction: str, rng: random.Random, seen: list[tuple[str, int]]
) -> int | None:
    r = http.get(f"{API}/connections/requests", params={"direction": direction, "limit": 100}, headers=who.headers)
    seen.append((direction, r.status_code))
    items = r.json()["items"] if r.status_code == 200 else []
    return int(rng.choice(items)["id"]) if items else None


def _one_op(
    http: httpx.Client, rng: random.Random, me: Member, group: list[Member], log: list[tuple[str, int, str]]
) -> None:
    op = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    other = rng.choice([m for m in group if m is not me])
    u, h = me.user, me.user.headers
    r: httpx.Response | None = None
    if op == "request":
        r = http.post(f"{API}/connections/requests", json={"user_id": other.user.id}, headers=h)
    elif op in ("accept", "reject", "cancel"):
        listed: list[tuple[str, int]] = []
        rid = _pick_request(http, u, "outgoing" if op == "cancel" else "incoming", rng, listed)
        for direction, status in listed:
            log.append((direction, status, ""))
        if rid is None:
            return
        if op == "cancel":
            r = http.delete(f"{API}/connections/requests/{rid}", headers=h)
        else:
            r = http.post(f"{API}/connections/requests/{rid}/{op}", headers=h)
    elif op == "disconnect":
        r = http.delete(f"{API}/connections/{other.user.id}", headers=h)
    elif op == "block":
        r = http.post(f"{API}/blocks", json={"user_id": other.user.id}, headers=h)
    elif op == "unblock":
        r = http.delete(f"{API}/blocks/{other.user.id}", headers=h)
    elif op == "tag":
        r = http.put(f"{API}/tags/{me.tag}/members/{other.user.id}", headers=h)
    elif op == "untag":
        r = http.delete(f"{API}/tags/{me.tag}/members/{other.user.id}", headers=h)
    elif op == "post":
        audience = {"type": "tags", "tag_ids": [me.tag]} if rng.random() < 0.4 else {"type": "connections"}
        r = http.post(f"{API}/posts", json={"body": f"race {uuid.uuid4().hex[:6]}", "audience": audience}, headers=h)
    elif op == "comment":
        feed = http.get(f"{API}/feed", params={"limit": 10}, headers=h)
        log.append(("feed", feed.status_code, "" if feed.status_code == 200 else feed.text))
        items = feed.json()["items"] if feed.status_code == 200 else []
        if not items:
            return
        r = http.post(f"{API}/posts/{rng.choice(items)['id']}/comments", json={"body": "hi"}, headers=h)
    elif op == "feed":
        r = http.get(f"{API}/feed", params={"limit": rng.choice([1, 20, 100])}, headers=h)
    elif op == "their_posts":
        r = http.get(f"{API}/users/{other.user.id}/posts", headers=h)
    assert r is not None
    log.append((op, r.status_code, "" if r.status_code in ALLOWED[op] else r.text[:300]))


def _connected(pg: OwnPostgres, u: int) -> set[int]:
    rows = pg.sql(
        "SELECT user_b_id FROM connections WHERE user_a_id = %(u)s UNION SELECT user_a_id FROM connections"
        " WHERE user_b_id = %(u)s",
        u=u,
    )
    return {r[0] for r in rows}


def _visible_posts(pg: OwnPostgres, u: int) -> set[int]:
    """API.md: the author always; another user only while connected to the author and, for a tags
    audience, while the author has that user in at least one of the post's tags."""
    rows = pg.sql(
        """
        SELECT p.id FROM posts p
        WHERE p.author_id = %(u)s
           OR (p.author_id IN (SELECT user_b_id FROM connections WHERE user_a_id = %(u)s
                               UNION SELECT user_a_id FROM connections WHERE user_b_id = %(u)s)
               AND (p.audience_type = 'connections'
                    OR EXISTS (SELECT 1 FROM post_audience_tags pat
                               JOIN user_tag_members m ON m.tag_id = pat.tag_id
                               WHERE pat.post_id = p.id AND m.target_user_id = %(u)s)))
        """,
        u=u,
    )
    return {r[0] for r in rows}


def _graph_invariants(pg: OwnPostgres, ids: list[int]) -> None:
    scope = {"ids": ids}
    checks: dict[str, str] = {
        "two pending requests for one pair": (
            "SELECT least(from_user_id, to_user_id), greatest(from_user_id, to_user_id), count(*)"
            " FROM connection_requests WHERE status = 'pending' AND from_user_id = ANY(%(ids)s)"
            " GROUP BY 1, 2 HAVING count(*) > 1"
        ),
        "a pending request beside a connection": (
            "SELECT r.id FROM connection_requests r JOIN connections c"
            " ON c.user_a_id = least(r.from_user_id, r.to_user_id)"
            " AND c.user_b_id = greatest(r.from_user_id, r.to_user_id)"
            " WHERE r.status = 'pending' AND r.from_user_id = ANY(%(ids)s)"
        ),
        "a pending request beside a block": (
            "SELECT r.id FROM connection_requests r JOIN blocks b"
            " ON (b.blocker_id = r.from_user_id AND b.blocked_id = r.to_user_id)"
            " OR (b.blocker_id = r.to_user_id AND b.blocked_id = r.from_user_id)"
            " WHERE r.status = 'pending' AND r.from_user_id = ANY(%(ids)s)"
        ),
        "a connection beside a block": (
            "SELECT c.id FROM connections c JOIN blocks b"
            " ON (b.blocker_id = c.user_a_id AND b.blocked_id = c.user_b_id)"
            " OR (b.blocker_id = c.user_b_id AND b.blocked_id = c.user_a_id)"
            " WHERE c.user_a_id = ANY(%(ids)s)"
        ),
        "a tag membership without a connection": (
            "SELECT m.tag_id, m.target_user_id FROM user_tag_members m WHERE m.owner_user_id = ANY(%(ids)s)"
            " AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.user_a_id = least(m.owner_user_id, m.target_user_id)"
            " AND c.user_b_id = greatest(m.owner_user_id, m.target_user_id))"
        ),
        "a membership in a tag of someone else": (
            "SELECT m.tag_id FROM user_tag_members m JOIN user_tags t ON t.id = m.tag_id"
            " WHERE m.owner_user_id = ANY(%(ids)s) AND t.owner_user_id <> m.owner_user_id"
        ),
    }
    broken = {name: rows for name, sql in checks.items() if (rows := pg.sql(sql, **scope))}
    assert broken == {}, broken


def test_connection_races_mixed_with_posting_and_reading_end_consistent(stack: Stack) -> None:
    base = stack.server.base
    with stack.server.client() as http:
        group = []
        for _ in range(GROUP):
            user = register(http, "cg")
            tag = http.post(f"{API}/tags", json={"name": "close"}, headers=user.headers).json()["id"]
            group.append(Member(user, tag))
        # start from some connections, so that disconnects, tags and tagged posts happen early
        for a, b in zip(group[::2], group[1::2], strict=True):
            connect(http, a.user, b.user)

    logs: list[list[tuple[str, int, str]]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []

    def run(n: int) -> None:
        rng = random.Random(1000 + n)
        me = group[n % GROUP]
        try:
            with httpx.Client(base_url=base, timeout=30) as client:
                for _ in range(OPS_PER_THREAD):
                    _one_op(client, rng, me, group, logs[n])
        except BaseException as exc:  # noqa: BLE001 - reported below, with the others
            errors.append(exc)

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=RUN_WITHIN_S)
    took = time.monotonic() - started
    assert not any(t.is_alive() for t in threads), f"clients still waiting after {RUN_WITHIN_S} s: a hang"
    assert errors == [], errors[:3]  # a client timeout (30 s) would be here

    entries = [e for log in logs for e in log]
    by_op = Counter((op, status) for op, status, _ in entries)
    print(f"\n{len(entries)} requests in {took:.1f} s: {dict(sorted(by_op.items()))}")
    unexpected = [e for e in entries if e[1] not in ALLOWED[e[0]]]
    assert unexpected == [], unexpected[:5]
    assert by_op[("accept", 200)] > 0 and by_op[("post", 201)] > 0 and by_op[("request", 201)] > 0

    # ---- the final state: invariants in the database, and the API agrees with it -----------------------------
    ids = [m.user.id for m in group]
    _graph_invariants(stack.pg, ids)
    with stack.server.client() as http:
        for m in group:
            u = m.user
            connected = _connected(stack.pg, u.id)
            listed = all_pages(http, f"{API}/connections", u)
            assert {c["user"]["id"] for c in listed} == connected
            members = {
                r[0] for r in stack.pg.sql("SELECT target_user_id FROM user_tag_members WHERE tag_id = %(t)s", t=m.tag)
            }
            assert {c["user"]["id"] for c in listed if m.tag in c["tag_ids"]} == members
            blocked = {r[0] for r in stack.pg.sql("SELECT blocked_id FROM blocks WHERE blocker_id = %(u)s", u=u.id)}
            assert {b["id"] for b in all_pages(http, f"{API}/blocks", u)} == blocked
            for direction, column, other_column in (
                ("incoming", "to_user_id", "from_user_id"),
                ("outgoing", "from_user_id", "to_user_id"),
            ):
                pending = {
                    r[0]
                    for r in stack.pg.sql(
                        f"SELECT {other_column} FROM connection_requests WHERE status = 'pending' AND {column} = %(u)s",  # noqa: S608
                        u=u.id,
                    )
                }
                got = all_pages(http, f"{API}/connections/requests?direction={direction}", u)
                key = "from_user" if direction == "incoming" else "to_user"
                assert {r[key]["id"] for r in got} == pending, (direction, u.id)
            feed = all_pages(http, f"{API}/feed", u)
            assert len({p["id"] for p in feed}) == len(feed), "a post twice in one feed"
            assert {p["id"] for p in feed} == _visible_posts(stack.pg, u.id), f"feed of user {u.id}"
            author_of = dict(stack.pg.sql("SELECT id, author_id FROM posts WHERE author_id = ANY(%(ids)s)", ids=ids))
            visible = _visible_posts(stack.pg, u.id)
            blocked_by = {r[0] for r in stack.pg.sql("SELECT blocker_id FROM blocks WHERE blocked_id = %(u)s", u=u.id)}
            for other in group:
                if other is m:
                    continue
                if other.user.id in blocked_by:  # the author blocked u: the account does not exist for u
                    r = http.get(f"{API}/users/{other.user.id}/posts", headers=u.headers)
                    assert r.status_code == 404, r.text
                    continue
                their = {p["id"] for p in all_pages(http, f"{API}/users/{other.user.id}/posts", u)}
                assert their == {p for p in visible if author_of.get(p) == other.user.id}, (u.id, other.user.id)
