"""The live stream (``GET /api/v1/stream``) over real HTTP: ``hearth serve --workers 2`` with no Redis (events
travel on PostgreSQL ``LISTEN/NOTIFY``), and two separate servers on one Redis. What a user notices: their
events reach every stream they hold, whichever worker or server made them; a reconnect replays exactly what
they missed; nothing about a post they can no longer see; nothing of anyone else's; a logout ends the stream;
the caps answer 429 / 503."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from hearth_testing import (
    API,
    AppUser,
    EventStream,
    Serve,
    Stack,
    connect,
    create_tag,
    new_post,
    open_stream,
    own_stack,
    register,
    serve,
    wait_until,
)

pytestmark = pytest.mark.slow

POOLS = {"HEARTH_DB_POOL_SIZE": "6", "HEARTH_DB_MAX_OVERFLOW": "2"}
FAST = {"HEARTH_STREAM_TOKEN_CHECK_SECONDS": "1", "HEARTH_STREAM_HEARTBEAT_SECONDS": "2"}


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[Serve]:
    running = serve(database_url, workers=2, env={**POOLS, **FAST})
    try:
        yield running
    finally:
        running.close()


def _post(http: httpx.Client, author: AppUser, body: str = "hello", **extra: object) -> int:
    r = new_post(http, author, body, **extra)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _stream_pids(server: Serve, user: AppUser) -> list[int]:
    return [
        int(r["worker_pid"])
        for r in server.log_records()
        if r.get("message") == "stream opened" and r.get("user_id") == user.id
    ]


def test_events_reach_every_stream_whichever_worker_made_them(server: Serve) -> None:
    streams: list[EventStream] = []
    with server.client() as http:
        author, reader = register(http, "sa"), register(http, "sr")
        connect(http, author, reader)
        # a stream on each worker: each stream is its own connection, which the kernel gives to either worker
        # (a second one on the same worker is closed and another opened, under the per-user cap); the server
        # is ready when one worker is, so on a busy machine the other may take a while to take connections
        held: dict[int, EventStream] = {}
        deadline = time.monotonic() + 60
        opened = 0
        while time.monotonic() < deadline:
            opened += 1
            stream = open_stream(server.base, reader.token)
            wait_until(lambda n=opened: len(_stream_pids(server, reader)) == n, 5, "stream logged")
            pid = _stream_pids(server, reader)[-1]
            if pid in held:
                stream.close()
                time.sleep(0.2)
                continue
            held[pid] = stream
            if len(held) == 2:
                break
        streams = list(held.values())
        assert len(streams) == 2, "every stream landed on one worker"
        post_id = _post(http, author)  # served by one of the two workers: the other's streams hear it too
        comment = http.post(
            f"{API}/posts/{post_id}/comments", json={"body": f"look @{reader.username}"}, headers=author.headers
        )
        assert comment.status_code == 201, comment.text
    try:
        for stream in streams:
            first, second = stream.next(), stream.next()
            assert (first.event, first.data) == ("post", {"id": post_id})
            assert second.event == "notification"
            assert second.data["type"] == "mention"
            assert second.data["actor"]["id"] == author.id
            assert second.data["post_id"] == post_id
            assert first.id is not None and second.id is not None and second.id > first.id
    finally:
        for stream in streams:
            stream.close()


def test_a_reconnect_replays_exactly_the_missed_events(server: Serve) -> None:
    with server.client() as http:
        author, reader = register(http, "ra"), register(http, "rr")
        connect(http, author, reader)
        stream = open_stream(server.base, reader.token)
        seen = _post(http, author, "seen")
        got = stream.next()
        assert got.data == {"id": seen}
        stream.close()
        missed = [_post(http, author, f"missed {i}") for i in range(3)]
        again = open_stream(server.base, reader.token, last_event_id=got.id)
        try:
            replayed = [again.next() for _ in missed]
            assert [e.data["id"] for e in replayed] == missed
            assert [e.id for e in replayed] == sorted(e.id for e in replayed if e.id is not None)
            again.none_within(1.5)  # nothing else: not the one seen before
            live = _post(http, author, "live")
            assert again.next().data == {"id": live}
        finally:
            again.close()


def test_an_event_about_a_post_no_longer_visible_is_dropped(server: Serve) -> None:
    with server.client() as http:
        author, reader = register(http, "ua"), register(http, "ur")
        connect(http, author, reader)
        tag = create_tag(http, author, reader)
        stream = open_stream(server.base, reader.token)
        before = _post(http, author, "before")
        got = stream.next()
        assert got.data == {"id": before}
        stream.close()
        # a post to the tag, then the reader untagged before the event reaches them
        hidden = _post(http, author, "tagged", audience={"type": "tags", "tag_ids": [tag]})
        r = http.delete(f"{API}/tags/{tag}/members/{reader.id}", headers=author.headers)
        assert r.status_code == 204, r.text
        again = open_stream(server.base, reader.token, last_event_id=got.id)
        try:
            shown = _post(http, author, "to all")
            assert again.next().data == {"id": shown}  # the untagged post's event was dropped
            assert shown != hidden
        finally:
            again.close()


def test_a_user_never_receives_another_users_events(server: Serve) -> None:
    with server.client() as http:
        author, friend, stranger = register(http, "pa"), register(http, "pf"), register(http, "ps")
        connect(http, author, friend)
        theirs = open_stream(server.base, stranger.token)
        mine = open_stream(server.base, friend.token)
        try:
            post_id = _post(http, author, f"hi @{stranger.username} @{friend.username}")
            assert mine.next().data == {"id": post_id}
            assert mine.next().data["type"] == "mention"
            theirs.none_within(2.0)  # the stranger may not see it: neither the post nor a mention of them
        finally:
            theirs.close()
            mine.close()


def test_a_logout_ends_the_stream_within_seconds(server: Serve) -> None:
    with server.client() as http:
        user = register(http, "la")
        stream = open_stream(server.base, user.token)
        r = http.post(f"{API}/auth/logout", headers=user.headers)
        assert r.status_code == 204, r.text
        assert stream.wait_ended(10) < 10
        again = EventStream(server.base, user.token).start()
        assert again.status == 401


def test_heartbeats_keep_a_quiet_stream_open(server: Serve) -> None:
    with server.client() as http:
        user = register(http, "hb")
    stream = open_stream(server.base, user.token)
    try:
        wait_until(lambda: stream.comments >= 3, 10, "two heartbeats after the first comment")
        assert not stream.ended.is_set()
    finally:
        stream.close()


def test_metrics_count_streams_and_events(server: Serve) -> None:
    with server.client() as http:
        text = http.get("/metrics").text
    assert "hearth_streams_open" in text
    assert 'hearth_stream_events_total{kind="post",result="delivered"}' in text


# -- two servers on one Redis ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[Stack, Serve]]:
    caps = {"HEARTH_STREAM_MAX_PER_USER": "2", "HEARTH_STREAM_MAX_OPEN": "3", **FAST}
    with own_stack(redis=True, workers=1, env=caps) as stack:
        other = serve(
            stack.pg.url,
            workers=1,
            env={"HEARTH_REDIS_URL": stack.redis.url, "HEARTH_REDIS_KEY_PREFIX": stack.prefix, **FAST},
        )
        try:
            yield stack, other
        finally:
            other.close()


def test_events_cross_servers_on_redis(pair: tuple[Stack, Serve]) -> None:
    stack, other = pair
    with stack.server.client() as http:
        author, reader = register(http, "xa"), register(http, "xr")
        connect(http, author, reader)
        stream = open_stream(other.base, reader.token)  # on the second server
        try:
            post_id = _post(http, author)  # written through the first
            assert stream.next().data == {"id": post_id}
        finally:
            stream.close()


def _reopens(base: str, token: str, held: list[EventStream]) -> Callable[[], bool]:
    """A check for ``wait_until``: whether a stream opens now (kept in ``held``, to be closed)."""

    def opened() -> bool:
        attempt = EventStream(base, token).start()
        if attempt.status == 200:
            held.append(attempt)
        return attempt.status == 200

    return opened


def test_stream_caps(pair: tuple[Stack, Serve]) -> None:
    stack, _ = pair
    base = stack.server.base
    with stack.server.client() as http:
        one, two = register(http, "c1"), register(http, "c2")
    held = [open_stream(base, one.token), open_stream(base, one.token)]
    try:
        over = EventStream(base, one.token).start()
        assert over.status == 429, over.body
        assert '"too_many_streams"' in over.body
        held.append(open_stream(base, two.token))  # the server's third and last
        full = EventStream(base, two.token).start()
        assert full.status == 503, full.body
        assert '"streams_unavailable"' in full.body
        held.pop(0).close()  # a place freed once the server sees it gone (at the latest at its next heartbeat)

        wait_until(_reopens(base, two.token, held), 10, "a stream freed", interval=1.0)
    finally:
        for stream in held:
            stream.close()


def test_a_users_cap_counts_their_streams_on_every_server(pair: tuple[Stack, Serve]) -> None:
    """Redis counts a user's streams wherever they are held: one on each server fills a cap of 2 (the first
    server's), and a place closed on one server is free again."""
    stack, other = pair
    with stack.server.client() as http:
        user = register(http, "cx")
    held = [open_stream(stack.server.base, user.token), open_stream(other.base, user.token)]
    try:
        over = EventStream(stack.server.base, user.token).start()
        assert over.status == 429, over.body
        assert '"too_many_streams"' in over.body
        held.pop(1).close()  # the one on the other server

        wait_until(_reopens(stack.server.base, user.token, held), 10, "the other server's place freed", interval=1.0)
    finally:
        for stream in held:
            stream.close()
