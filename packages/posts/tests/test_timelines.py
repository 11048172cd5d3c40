"""Home timelines: the feed read from each reader's timeline is exactly the read-time feed, at every edge.

Every test compares what ``GET /feed`` pages through with what an independent SQL statement, written from
API.md's rule ("its author always; another user only while connected to the author and, for a tags
audience, while the author has that user in one of the post's tags"), says the viewer may see.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from hearth_posts.service import TimelineService
from hearth_testing import AppUser, connect, create_tag, jobs_in_queue, resolved, run_jobs

API = "/api/v1"
CONNECTIONS = {"type": "connections"}

VISIBLE = """
SELECT p.id FROM posts p
WHERE p.author_id = :v
   OR (EXISTS (SELECT 1 FROM connections c WHERE c.status = 'connected'
               AND c.user_a_id = least(:v, p.author_id) AND c.user_b_id = greatest(:v, p.author_id))
       AND (p.audience_type = 'connections'
            OR EXISTS (SELECT 1 FROM post_audience_tags pat JOIN user_tag_members m ON m.tag_id = pat.tag_id
                       WHERE pat.post_id = p.id AND m.target_user_id = :v)))
ORDER BY p.created_at DESC, p.id DESC
"""


def sql(app: FastAPI, statement: str, **params: Any) -> list[Any]:
    with app.state.database.transaction() as session:
        return list(session.execute(text(statement), params).all())


def expected(app: FastAPI, viewer: AppUser) -> list[int]:
    return [r.id for r in sql(app, VISIBLE, v=viewer.id)]


def feed(client: TestClient, viewer: AppUser, limit: int = 100, **params: Any) -> list[int]:
    """Every page of the viewer's feed, followed by its cursors."""
    ids: list[int] = []
    cursor = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        r = client.get(f"{API}/feed", params=query, headers=viewer.headers)
        assert r.status_code == 200, r.text
        ids += [p["id"] for p in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return ids


def timeline(app: FastAPI, user: AppUser) -> list[int]:
    rows = sql(
        app, "SELECT post_id FROM home_timelines WHERE user_id = :u ORDER BY created_at DESC, post_id DESC", u=user.id
    )
    return [r.post_id for r in rows]


def post(client: TestClient, author: AppUser, body: str = "hi", tags: list[int] | None = None) -> int:
    audience: dict[str, Any] = {"type": "tags", "tag_ids": tags} if tags else {"type": "connections"}
    r = client.post(f"{API}/posts", json={"body": body, "audience": audience}, headers=author.headers)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_a_new_post_is_in_its_audiences_timelines_at_once(
    app: FastAPI, client: TestClient, make_user: Callable[..., AppUser], connect: Callable[..., None], make_tag: Any
) -> None:
    author, fan, other, stranger = make_user(), make_user(), make_user(), make_user()
    connect(author, fan)
    connect(other, author)
    tag = make_tag(author, fan)
    to_all, to_tag = post(client, author, "all"), post(client, author, "tag", [tag])
    assert timeline(app, author) == [to_tag, to_all]
    assert timeline(app, fan) == [to_tag, to_all]
    assert timeline(app, other) == [to_all]  # a tags post goes to its members only
    assert timeline(app, stranger) == []
    for viewer in (author, fan, other, stranger):
        assert feed(client, viewer) == expected(app, viewer)


def test_accepting_a_connection_backfills_both_timelines(
    app: FastAPI, client: TestClient, make_user: Callable[..., AppUser], connect: Callable[..., None], make_tag: Any
) -> None:
    a, b, friend = make_user(), make_user(), make_user()
    connect(a, friend)
    tag = make_tag(a, friend)
    a_posts = [post(client, a, f"a{i}") for i in range(3)]
    a_tagged = post(client, a, "for friend", [tag])
    b_posts = [post(client, b, f"b{i}") for i in range(2)]
    assert not set(a_posts) & set(timeline(app, b))
    connect(a, b)
    assert set(a_posts) <= set(timeline(app, b)) and a_tagged not in timeline(app, b)
    assert set(b_posts) <= set(timeline(app, a))
    assert feed(client, b) == expected(app, b) == sorted([*a_posts, *b_posts], reverse=True)
    assert feed(client, a) == expected(app, a)


def test_tagging_a_connection_backfills_the_tags_posts(
    app: FastAPI, client: TestClient, make_user: Callable[..., AppUser], connect: Callable[..., None], make_tag: Any
) -> None:
    owner, member = make_user(), make_user()
    connect(owner, member)
    tag = make_tag(owner)  # empty: the post reaches nobody yet
    private = post(client, owner, "family", [tag])
    assert private not in feed(client, member)
    assert client.put(f"{API}/tags/{tag}/members/{member.id}", headers=owner.headers).status_code == 204
    assert private in timeline(app, member)
    assert feed(client, member) == expected(app, member)
    assert private in feed(client, member)
    # again: idempotent, nothing doubles
    assert client.put(f"{API}/tags/{tag}/members/{member.id}", headers=owner.headers).status_code == 204
    assert feed(client, member).count(private) == 1


def test_narrowing_widening_and_deleting_audiences(
    app: FastAPI, client: TestClient, make_user: Callable[..., AppUser], connect: Callable[..., None], make_tag: Any
) -> None:
    author, insider, outsider = make_user(), make_user(), make_user()
    connect(author, insider)
    connect(author, outsider)
    tag = make_tag(author, insider)
    pid = post(client, author, "first to everyone")
    narrowed = client.patch(
        f"{API}/posts/{pid}", json={"audience": {"type": "tags", "tag_ids": [tag]}}, headers=author.headers
    )
    assert narrowed.status_code == 200
    assert pid not in feed(client, outsider) and pid in feed(client, insider)  # no timeline write needed
    other = make_tag(author, outsider)
    widened = client.patch(
        f"{API}/posts/{pid}", json={"audience": {"type": "tags", "tag_ids": [tag, other]}}, headers=author.headers
    )
    assert widened.status_code == 200
    assert pid in feed(client, outsider)
    assert client.delete(f"{API}/tags/{other}", headers=author.headers).status_code == 204
    assert pid not in feed(client, outsider)
    assert client.delete(f"{API}/posts/{pid}", headers=author.headers).status_code == 204
    for viewer in (author, insider, outsider):
        assert pid not in feed(client, viewer)
        assert feed(client, viewer) == expected(app, viewer)


def test_untag_disconnect_and_block_take_access_away_at_once(
    app: FastAPI, client: TestClient, make_user: Callable[..., AppUser], connect: Callable[..., None], make_tag: Any
) -> None:
    author, fan, blocker = make_user(), make_user(), make_user()
    connect(author, fan)
    connect(author, blocker)
    tag = make_tag(author, fan, blocker)
    tagged, public = post(client, author, "t", [tag]), post(client, author, "p")
    assert client.delete(f"{API}/tags/{tag}/members/{fan.id}", headers=author.headers).status_code == 204
    assert feed(client, fan) == expected(app, fan) and tagged not in feed(client, fan) and public in feed(client, fan)
    assert client.delete(f"{API}/connections/{author.id}", headers=fan.headers).status_code == 204
    assert public not in feed(client, fan)
    assert client.post(f"{API}/blocks", json={"user_id": author.id}, headers=blocker.headers).status_code == 204
    assert not {tagged, public} & set(feed(client, blocker))
    assert feed(client, blocker) == expected(app, blocker)
    # reconnecting brings the connections posts back (a backfill), not the tags post
    connect(fan, author)
    assert public in feed(client, fan) and tagged not in feed(client, fan)


@pytest.fixture
def shallow(make_app: Callable[..., FastAPI]) -> Iterator[TestClient]:
    """An app whose timelines keep 20 posts (the least the setting allows)."""
    with TestClient(make_app(timeline_depth=20)) as c:
        yield c


def test_pages_beyond_the_timeline_come_from_the_read_time_query(
    shallow: TestClient, make_user: Callable[..., AppUser]
) -> None:
    app = shallow.app
    assert isinstance(app, FastAPI)
    author, reader, late = make_user(), make_user(), make_user()
    connect(shallow, author, reader)
    posts = [post(shallow, author, f"n{i}") for i in range(45)]
    mine = post(shallow, reader, "mine")
    connect(shallow, author, late)  # the backfill takes the newest 20 and leaves a horizon
    assert len(timeline(app, late)) == 20
    assert sql(app, "SELECT 1 FROM home_timeline_horizons WHERE user_id = :u", u=late.id)
    for viewer in (reader, late, author):
        for limit in (1, 7, 20, 100):
            assert feed(shallow, viewer, limit) == expected(app, viewer), (viewer, limit)
    assert feed(shallow, late) == sorted(posts, reverse=True)
    assert feed(shallow, reader)[0] == mine
    # a fan-out cuts a sample of its readers' timelines; cut this one now, as a fan-out would
    for i in range(10):
        post(shallow, reader, f"more {i}")
    assert len(timeline(app, reader)) >= 20  # fan-outs may have cut it already (a sample of readers per post)
    with resolved(app, TimelineService) as timelines:
        timelines.repo.trim([reader.id], 20)
    assert len(timeline(app, reader)) == 20
    assert sql(app, "SELECT 1 FROM home_timeline_horizons WHERE user_id = :u", u=reader.id)
    for limit in (3, 20):
        assert feed(shallow, reader, limit) == expected(app, reader)


def test_the_tag_filter_reads_the_timeline_and_beyond(shallow: TestClient, make_user: Callable[..., AppUser]) -> None:
    app = shallow.app
    assert isinstance(app, FastAPI)
    viewer, close, far = make_user(), make_user(), make_user()
    connect(shallow, close, viewer)
    connect(shallow, far, viewer)
    close_posts = [post(shallow, close, f"c{i}") for i in range(15)]
    for i in range(15):
        post(shallow, far, f"f{i}")
    tag = shallow.post(f"{API}/tags", json={"name": "close"}, headers=viewer.headers).json()["id"]
    assert shallow.put(f"{API}/tags/{tag}/members/{close.id}", headers=viewer.headers).status_code == 204
    assert feed(shallow, viewer, 4, tag_id=tag) == sorted(close_posts, reverse=True)


def test_concurrent_posting_and_connecting_leave_no_post_out(
    app: FastAPI, client: TestClient, make_user: Callable[..., AppUser], make_app: Callable[..., FastAPI]
) -> None:
    """An author posts from several threads while a request to connect is accepted: every post committed
    before or after the accept is in the new connection's feed (the fan-out and the backfill serialise on
    the author's timeline lock)."""
    author, reader = make_user(), make_user()
    request_id = client.post(f"{API}/connections/requests", json={"user_id": reader.id}, headers=author.headers).json()[
        "id"
    ]
    live = make_app(db_pool_size=8)
    with TestClient(live) as http:
        errors: list[str] = []

        def write(n: int) -> None:
            for i in range(8):
                r = http.post(
                    f"{API}/posts",
                    json={"body": f"{n}/{i}", "audience": {"type": "connections"}},
                    headers=author.headers,
                )
                if r.status_code != 201:
                    errors.append(r.text)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        accepted = http.post(f"{API}/connections/requests/{request_id}/accept", headers=reader.headers)
        for t in threads:
            t.join()
    assert accepted.status_code == 200 and not errors
    assert len(expected(app, reader)) == 24
    assert feed(client, reader) == expected(app, reader)


def test_concurrent_posting_and_disconnecting(
    app: FastAPI, client: TestClient, make_user: Callable[..., AppUser], connect: Callable[..., None], make_app: Any
) -> None:
    author, reader = make_user(), make_user()
    connect(author, reader)
    live = make_app(db_pool_size=8)
    with TestClient(live) as http:
        done = threading.Event()

        def write() -> None:
            while not done.is_set():
                http.post(f"{API}/posts", json={"body": "x", "audience": CONNECTIONS}, headers=author.headers)

        writer = threading.Thread(target=write)
        writer.start()
        try:
            assert http.delete(f"{API}/connections/{author.id}", headers=reader.headers).status_code == 204
        finally:
            done.set()
            writer.join()
    assert feed(client, reader) == expected(app, reader) == []


def test_a_poll_from_below_the_horizon_catches_up_through_the_read_time_query(
    shallow: TestClient, make_user: Callable[..., AppUser]
) -> None:
    """A client that polls with an old ``newer_cursor``, from before more posts than the timeline keeps
    arrived, still gets every newer post, oldest batch first, without a gap."""
    app = shallow.app
    assert isinstance(app, FastAPI)
    author, reader = make_user(), make_user()
    connect(shallow, author, reader)
    first = post(shallow, author, "first")
    top = shallow.get(f"{API}/feed", params={"limit": 1}, headers=reader.headers).json()
    assert [p["id"] for p in top["items"]] == [first]
    newer = [post(shallow, author, f"n{i}") for i in range(30)]
    with resolved(app, TimelineService) as timelines:
        timelines.repo.trim([reader.id], 20)  # the first post and the oldest new ones are below the horizon now
    assert sql(app, "SELECT 1 FROM home_timeline_horizons WHERE user_id = :u", u=reader.id)
    seen: list[int] = []
    cursor = top["newer_cursor"]
    while True:
        r = shallow.get(f"{API}/feed", params={"limit": 7, "newer_than": cursor}, headers=reader.headers)
        assert r.status_code == 200, r.text
        batch = [p["id"] for p in r.json()["items"]]
        if not batch:
            break
        assert batch == sorted(batch, reverse=True)
        seen += reversed(batch)
        cursor = r.json()["newer_cursor"]
    assert seen == newer


# -- audiences too large for the request: a job writes them, feeds read the pending list until then --------


@pytest.fixture
def deferring(make_app: Callable[..., FastAPI]) -> Iterator[TestClient]:
    """An app that leaves a new post with more than one reader beside its author to the fan-out job."""
    with TestClient(make_app(timeline_fanout_max=1)) as c:
        yield c


def pending(app: FastAPI) -> list[int]:
    return [r.post_id for r in sql(app, "SELECT post_id FROM home_timeline_pending ORDER BY post_id")]


def fan_out_jobs(app: FastAPI, post_id: int) -> list[dict[str, Any]]:
    return jobs_in_queue(app, "posts.fan_out", post_id=post_id)


def test_a_large_audience_is_written_by_a_job_and_in_every_feed_before_it(
    deferring: TestClient, make_user: Callable[..., AppUser]
) -> None:
    app = deferring.app
    assert isinstance(app, FastAPI)
    author, a, b, stranger = make_user(), make_user(), make_user(), make_user()
    connect(deferring, author, a)
    small = post(deferring, author, "one reader")  # within the limit: written in its request
    assert timeline(app, a) == [small] and pending(app) == []
    connect(deferring, author, b)
    top = deferring.get(f"{API}/feed", params={"limit": 1}, headers=a.headers).json()
    large = post(deferring, author, "two readers")
    # the request wrote no timeline row, only the pending one and its job
    assert timeline(app, a) == [small] and timeline(app, author) == [small]
    assert pending(app) == [large]
    assert [j["status"] for j in fan_out_jobs(app, large)] == ["todo"]
    # yet every feed shows it at once, to exactly its audience, polls and pages included
    for viewer in (author, a, b, stranger):
        assert feed(deferring, viewer) == expected(app, viewer)
        assert feed(deferring, viewer, 1) == expected(app, viewer)
    assert feed(deferring, a) == [large, small]
    assert feed(deferring, stranger) == []
    r = deferring.get(f"{API}/feed", params={"newer_than": top["newer_cursor"]}, headers=a.headers)
    assert r.status_code == 200 and [p["id"] for p in r.json()["items"]] == [large]
    run_jobs(app)
    assert pending(app) == []
    assert timeline(app, a) == timeline(app, b) == timeline(app, author) == [large, small]
    for viewer in (author, a, b, stranger):
        assert feed(deferring, viewer) == expected(app, viewer)
    assert fan_out_jobs(app, large) == []  # it succeeded (a job that succeeded is deleted)


def test_a_pending_post_follows_its_audience_and_is_never_shown_twice(
    deferring: TestClient, make_user: Callable[..., AppUser]
) -> None:
    """A tags post pending its fan-out: only the tag's members see it; a connection that begins meanwhile
    backfills it (shown once, from the timeline); a member untagged loses it; the job then writes what the
    audience is at its run."""
    app = deferring.app
    assert isinstance(app, FastAPI)
    author, m1, m2, m3, other, late = (make_user() for _ in range(6))
    for u in (m1, m2, m3, other):
        connect(deferring, author, u)
    tag = create_tag(deferring, author, m1, m2, m3)
    tagged = post(deferring, author, "members", [tag])
    assert pending(app) == [tagged]
    assert tagged in feed(deferring, m1) and tagged not in feed(deferring, other)
    favourites = create_tag(deferring, m1, author)  # the reader's own tag filter reads the pending list too
    assert feed(deferring, m1, tag_id=favourites) == [tagged]
    # a new connection put in the tag while it is pending: the backfill writes it; one row, shown once
    connect(deferring, author, late)
    assert deferring.put(f"{API}/tags/{tag}/members/{late.id}", headers=author.headers).status_code == 204
    assert tagged in timeline(app, late)
    assert feed(deferring, late).count(tagged) == 1 and feed(deferring, late) == expected(app, late)
    # untagged while pending: gone from that feed at once
    assert deferring.delete(f"{API}/tags/{tag}/members/{m3.id}", headers=author.headers).status_code == 204
    assert tagged not in feed(deferring, m3)
    run_jobs(app)
    assert pending(app) == []
    assert tagged in timeline(app, m1) and tagged in timeline(app, m2) and tagged not in timeline(app, m3)
    assert timeline(app, late).count(tagged) == 1
    for viewer in (author, m1, m2, m3, other, late):
        assert feed(deferring, viewer) == expected(app, viewer)


def test_a_pending_post_deleted_before_its_job_leaves_nothing(
    deferring: TestClient, make_user: Callable[..., AppUser]
) -> None:
    app = deferring.app
    assert isinstance(app, FastAPI)
    author, a, b = make_user(), make_user(), make_user()
    connect(deferring, author, a)
    connect(deferring, author, b)
    gone = post(deferring, author, "soon gone")
    assert pending(app) == [gone] and [j["status"] for j in fan_out_jobs(app, gone)] == ["todo"]
    assert deferring.delete(f"{API}/posts/{gone}", headers=author.headers).status_code == 204
    assert pending(app) == [] and feed(deferring, a) == []
    run_jobs(app)  # finds nothing to do, and succeeds
    assert timeline(app, a) == [] and timeline(app, author) == []
    assert fan_out_jobs(app, gone) == []  # it succeeded


def test_a_pending_post_is_not_read_by_the_page_below_it(
    deferring: TestClient, make_user: Callable[..., AppUser]
) -> None:
    """Cursors go through the pending list like through the timeline: each post once, in order, whichever
    side it is read from."""
    app = deferring.app
    assert isinstance(app, FastAPI)
    author, a, b = make_user(), make_user(), make_user()
    connect(deferring, author, a)
    connect(deferring, author, b)
    posts = [post(deferring, author, f"p{i}") for i in range(5)]
    assert pending(app) == posts
    with resolved(app, TimelineService) as timelines:
        timelines.fan_out_pending(posts[1])  # a job done, the rest still pending: both sides in one feed
        timelines.fan_out_pending(posts[3])
    assert pending(app) == [posts[0], posts[2], posts[4]]
    for limit in (1, 2, 3, 100):
        assert feed(deferring, a, limit) == sorted(posts, reverse=True) == expected(app, a)
