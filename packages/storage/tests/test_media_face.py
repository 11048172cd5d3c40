"""The face storage offers its neighbours (posts, identity): batched, confirming, and cheap per page."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import ARRAY, BigInteger, cast, event, literal, select, text
from sqlalchemy.orm import Session

from hearth_storage import MediaService

API = "/api/v1"


@pytest.fixture
def service(app: FastAPI, client: TestClient) -> Iterator[Callable[[], Any]]:
    """``with service() as media:`` a MediaService on one unit of work (committed at the end)."""

    @contextmanager
    def _open() -> Iterator[MediaService]:
        with app.state.database.transaction() as session:
            yield app.state.container.resolve(MediaService, session=session)

    yield _open


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    seen: list[str] = []

    def _on(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = app.state.database.engine
    event.listen(engine, "before_cursor_execute", _on)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _on)


def _insert_media(session: Session, owner_id: int, n: int, status: str = "ready") -> list[int]:
    rows = session.execute(
        text(
            "INSERT INTO media (owner_id, key, content_type, size_bytes, status) "
            "SELECT :owner, 'u' || :owner || '/' || md5(random()::text || g), 'image/png', 10, :status "
            "FROM generate_series(1, :n) AS g RETURNING id"
        ),
        {"owner": owner_id, "n": n, "status": status},
    )
    return [r[0] for r in rows]


def _upload(client: TestClient, owner: Any, body: bytes) -> int:
    created = client.post(
        f"{API}/media", json={"content_type": "image/png", "size_bytes": len(body)}, headers=owner.headers
    ).json()
    up = created["upload"]
    parts = urlsplit(up["url"])
    assert client.put(f"{parts.path}?{parts.query}", content=body, headers=up["headers"]).status_code == 200
    return int(created["media"]["id"])


def _announce(client: TestClient, owner: Any) -> int:
    r = client.post(f"{API}/media", json={"content_type": "image/png", "size_bytes": 5}, headers=owner.headers)
    return int(r.json()["media"]["id"])


def test_media_views_costs_one_query_whatever_the_page_size(
    app: FastAPI, make_user: Callable[..., Any], service: Callable[[], Any]
) -> None:
    owner = make_user()
    with app.state.database.transaction() as session:
        ids = _insert_media(session, owner.id, 100)
        pending = _insert_media(session, owner.id, 1, status="pending")
    counts = {}
    for n in (1, 20, 100):
        with service() as media, statements(app) as seen:
            views = media.media_views(ids[:n] + pending)
        counts[n] = len(seen)
        assert len(views) == n + 1
        assert all(views[i].status == "ready" and views[i].url for i in ids[:n])
        assert views[pending[0]].status == "pending" and views[pending[0]].url is None
    assert counts[1] == counts[20] == counts[100] == 1, counts


def test_media_read_by_the_callers_statement_are_the_views_media_views_gives(
    app: FastAPI, make_user: Callable[..., Any], service: Callable[[], Any]
) -> None:
    """A layer above reads the media in its own statement (``media_column``); ``views_read`` makes of them what
    ``media_views`` answers (ready ones with a URL, pending without), without a query; unknown ids are left out."""
    owner = make_user()
    with app.state.database.transaction() as session:
        ready = _insert_media(session, owner.id, 3)
        pending = _insert_media(session, owner.id, 1, status="pending")
    ids = [*ready, *pending, 987654321987]
    with app.state.database.transaction() as session:
        column = MediaService.media_column(cast(literal(ids, ARRAY(BigInteger)), ARRAY(BigInteger)))
        (fields,) = session.execute(select(column)).one()
        none = session.execute(select(MediaService.media_column(literal([], ARRAY(BigInteger))))).scalar_one()
    assert none is None
    with service() as media, statements(app) as seen:
        read = media.views_read(fields)
        assert not seen
        assert read == media.media_views(ids)
    assert set(read) == {*ready, *pending}
    assert all(read[i].url for i in ready) and read[pending[0]].url is None


def test_download_urls_costs_one_query_and_skips_pending(
    app: FastAPI, make_user: Callable[..., Any], service: Callable[[], Any]
) -> None:
    owner = make_user()
    with app.state.database.transaction() as session:
        ready = _insert_media(session, owner.id, 100)
        pending = _insert_media(session, owner.id, 3, status="pending")
    counts = {}
    for n in (1, 20, 100):
        with service() as media, statements(app) as seen:
            urls = media.download_urls(ready[:n] + pending + [987654321987])
        counts[n] = len(seen)
        assert set(urls) == set(ready[:n])
    assert counts[1] == counts[20] == counts[100] == 1, counts


def test_urls_are_signed_once_and_then_cached(
    app: FastAPI, make_user: Callable[..., Any], service: Callable[[], Any]
) -> None:
    owner = make_user()
    with app.state.database.transaction() as session:
        ids = _insert_media(session, owner.id, 5)
    with service() as media:
        first = media.media_views(ids[:2])
        second = media.media_views(ids)  # two hits, three misses, one cache round trip
        again = media.media_views(ids)
    assert {i: v.url for i, v in first.items()} == {i: second[i].url for i in ids[:2]}
    assert {i: v.url for i, v in second.items()} == {i: v.url for i, v in again.items()}


def test_owned_media_confirms_uploads_and_leaves_out_others(
    client: TestClient, make_user: Callable[..., Any], service: Callable[[], Any]
) -> None:
    owner, other = make_user(), make_user()
    uploaded = _upload(client, owner, secrets.token_bytes(32))
    waiting = _announce(client, owner)
    theirs = _upload(client, other, b"theirs")
    with service() as media:
        owned = media.owned_media(owner.id, [uploaded, waiting, theirs, 2**63 + 5, -1])
    assert set(owned) == {uploaded, waiting}
    assert owned[uploaded].status == "ready" and owned[uploaded].url
    assert owned[waiting].status == "pending" and owned[waiting].url is None
    with service() as media:  # the confirmation was stored
        assert media.media_views([uploaded])[uploaded].status == "ready"


def test_is_owned_ready(client: TestClient, make_user: Callable[..., Any], service: Callable[[], Any]) -> None:
    owner, other = make_user(), make_user()
    uploaded = _upload(client, owner, b"avatar")
    waiting = _announce(client, owner)
    with service() as media:
        assert media.is_owned_ready(owner.id, uploaded)
        assert not media.is_owned_ready(owner.id, waiting)
        assert not media.is_owned_ready(other.id, uploaded)
        assert not media.is_owned_ready(owner.id, 987654321987)


def test_get_presigned_url_is_stable(make_user: Callable[..., Any], service: Callable[[], Any]) -> None:
    with service() as media:
        key = f"u1/{secrets.token_urlsafe(24)}"
        a = media.get_presigned_url(key)
        b = media.batch_get_presigned_urls([key, key])
    assert b == {key: a}
