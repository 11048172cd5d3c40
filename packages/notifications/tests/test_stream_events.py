"""The live stream's events, in process: recorded in the writing transaction and published only after it
commits (a rolled-back write tells no one, over the real PostgreSQL broker), checked again at delivery, and
rendered in a fixed number of statements whatever the batch holds."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import SimpleNamespace

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from hearth_notifications.live import PG_CHANNEL, StreamHub
from hearth_notifications.models import StreamEvent
from hearth_notifications.stream import LiveEvents, StreamReader
from hearth_notifications.streaming import event_stream
from hearth_platform.uow import unit_of_work
from hearth_testing import API, Api, AppUser, QueryCounter


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


def _uow(app: FastAPI) -> AbstractContextManager:  # type: ignore[type-arg]
    state = app.state
    return unit_of_work(state.database, state.event_bus, state.container)


def _stored(app: FastAPI, user_id: int) -> int:
    with _uow(app) as uow:
        return int(uow.session.scalar(select(func.count()).where(StreamEvent.user_id == user_id)) or 0)


def _present(app: FastAPI, *users: AppUser) -> None:
    """As if each user held a stream (events are written only for users who did lately)."""
    with _uow(app) as uow:
        for user in users:
            uow.resolve(LiveEvents).present(user.id)


def _heard(listener: psycopg.Connection) -> list[list[int | str]]:
    return [item for note in listener.notifies(timeout=1.0) for item in json.loads(note.payload)]


def test_a_rolled_back_write_tells_no_one(app: FastAPI, client: TestClient, api: Api, database_url: str) -> None:
    author, reader = api.user("ka"), api.user("kr")
    _present(app, reader)
    api.connect(author, reader)
    post = api.post(author)
    # libpq's URL: the fixture's may name SQLAlchemy's driver (the embedded server's does)
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as listener:
        listener.execute(f"LISTEN {PG_CHANNEL}")
        with pytest.raises(RuntimeError), _uow(app) as uow:
            uow.resolve(LiveEvents).post_reached(post, [reader.id])
            raise RuntimeError("the write fails after its events were collected")
        assert [e for e in _heard(listener) if e[1] == reader.id and e[3] == post] == []
        before = _stored(app, reader.id)
        with _uow(app) as uow:
            uow.resolve(LiveEvents).post_reached(post, [reader.id])
        heard = [e for e in _heard(listener) if e[1] == reader.id and e[3] == post]
        assert [e[2] for e in heard] == ["post"]
        assert _stored(app, reader.id) == before + 1


def test_delivery_checks_again_who_may_see(app: FastAPI, api: Api) -> None:
    author, reader, stranger = api.user("da"), api.user("dr"), api.user("ds")
    _present(app, reader, stranger)
    api.connect(author, reader)
    post = api.post(author)
    with _uow(app) as uow:
        live = uow.resolve(LiveEvents)
        live.post_reached(post, [reader.id, stranger.id])  # the stranger may not see it (as if they had lost it)
    with _uow(app) as uow:
        reader_events = uow.resolve(StreamReader).missed(reader.id, 0)
        stranger_events = uow.resolve(StreamReader).missed(stranger.id, 0)
        shown = uow.resolve(StreamReader).render(reader.id, reader_events)
        assert [(o.event, json.loads(o.data)) for o in shown][-1] == ("post", {"id": post})
        assert uow.resolve(StreamReader).render(stranger.id, stranger_events) == []
        # another user's events are never rendered on a stream, whatever they are
        assert uow.resolve(StreamReader).render(stranger.id, reader_events) == []


@pytest.mark.parametrize("size", [1, 20, 100])
def test_a_batch_costs_the_same_whatever_it_holds(
    app: FastAPI, api: Api, count_queries: Callable[[], AbstractContextManager[QueryCounter]], size: int
) -> None:
    author, reader = api.user("qa"), api.user("qr")
    _present(app, reader)
    api.connect(author, reader)
    posts = [api.post(author) for _ in range(min(size, 5))]
    for post in posts:
        api.comment(author, post, f"hi @{reader.username}")
    with _uow(app) as uow:
        events = uow.resolve(StreamReader).missed(reader.id, 0)
    batch = (events * size)[:size]
    with _uow(app) as uow:
        reader_service = uow.resolve(StreamReader)
        with count_queries() as q:
            reader_service.render(reader.id, batch)
    assert q.count <= 2  # visible posts, the notifications with their actors (an actor's avatar: one more)


def test_the_stream_answers_server_sent_events(client: TestClient, api: Api) -> None:
    """In process the stream ends at once (the test settings' ``stream_idle_seconds``): what it sent first."""
    author, reader = api.user("sa"), api.user("sr")
    api.connect(author, reader)
    assert "event: " not in client.get(f"{API}/stream", headers=reader.headers).text  # the reader streams
    post = api.post(author)
    r = client.get(f"{API}/stream", headers={**reader.headers, "Last-Event-ID": "0"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    assert ": connected" in r.text
    assert f'event: post\ndata: {{"id":{post}}}' in r.text
    events = [block for block in r.text.split("\n\n") if "event: " in block]
    ids = [int(line[4:]) for block in events for line in block.splitlines() if line.startswith("id: ")]
    assert ids == sorted(ids) and len(ids) == len(events)
    # nothing replayed after the last id; nothing at all for another user
    after = client.get(f"{API}/stream", headers={**reader.headers, "Last-Event-ID": str(ids[-1])})
    assert "event: " not in after.text
    stranger = api.user("st")
    assert "event: " not in client.get(f"{API}/stream", headers={**stranger.headers, "Last-Event-ID": "0"}).text


def test_the_stream_needs_a_token(client: TestClient) -> None:
    r = client.get(f"{API}/stream")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


def test_events_committed_out_of_id_order_are_all_sent(app: FastAPI, api: Api) -> None:
    """Two writes for one user may commit in the other order than their events' ids: the stream sends both."""
    author, reader = api.user("oa"), api.user("or")
    _present(app, reader)
    api.connect(author, reader)
    older_post, newer_post = api.post(author), api.post(author)
    with _uow(app) as uow:
        stored = [e for e in uow.resolve(StreamReader).missed(reader.id, 0) if e.kind == "post"]
    older, newer = (next(e for e in stored if e.subject_id == p) for p in (older_post, newer_post))
    assert older.id < newer.id
    state = SimpleNamespace(
        settings=app.state.settings.model_copy(update={"stream_idle_seconds": 5.0}),
        database=app.state.database,
        event_bus=app.state.event_bus,
        container=app.state.container,
    )

    async def read_two() -> list[str]:
        hub = app.state.container.resolve(StreamHub)
        sub = hub.open(reader.id, 0)
        body = event_stream(state, hub, sub, None)
        frames: list[str] = []
        try:
            assert b": connected" in await anext(body)
            for event in (newer, older):  # the newer id committed first and was sent before the older was heard
                sub.offer(event)
                frames.append((await anext(body)).decode())
        finally:
            await body.aclose()
        return frames

    frames = asyncio.run(read_two())
    assert [f.splitlines()[0] for f in frames] == [f"id: {newer.id}", f"id: {older.id}"]


def test_events_are_written_only_for_users_who_stream(app: FastAPI, client: TestClient, api: Api) -> None:
    """A post to many readers writes events for those of them who held a stream lately, no one else."""
    author, streaming, away = api.user("pa"), api.user("ps"), api.user("pw")
    api.connect(author, streaming)
    api.connect(author, away)
    assert client.get(f"{API}/stream", headers=streaming.headers).status_code == 200
    api.post(author)
    assert _stored(app, streaming.id) == 1
    assert _stored(app, away.id) == 0
    # once the other opens a stream too, the next post reaches both
    assert client.get(f"{API}/stream", headers=away.headers).status_code == 200
    api.post(author)
    assert (_stored(app, streaming.id), _stored(app, away.id)) == (2, 1)
