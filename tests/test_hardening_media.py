"""Issue 12, the media items, over HTTP on the whole app: how long a download URL outlives a viewer's access
(2), upload URLs that write once (3), one answer path for a media a stranger may not see (8), the storage
quota and the erasure of media never attached (10), and avatars readable by whoever sees their user.

Local-disk paths run on the local backend, S3 paths on a real SeaweedFS (``s3_server``). The body of a
``/files/...`` upload read before any check (4) needs a real server: ``test_hardening_media_served.py``.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from hearth_platform.settings import Settings
from hearth_posts.service import PostMediaAccess
from hearth_testing import API, Api, AppUser, QueryCounter, assert_problem, request_url, resolved

DEFAULT_URL_TTL_S = 300  # API.md: download URLs live at most 5 minutes by default


def _announce(http: TestClient, owner: AppUser, size: int, content_type: str = "image/png") -> dict[str, Any]:
    r = http.post(f"{API}/media", json={"content_type": content_type, "size_bytes": size}, headers=owner.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _put(http: TestClient, created: dict[str, Any], body: bytes) -> httpx.Response:
    up = created["upload"]
    return request_url(http, up["method"], up["url"], content=body, headers=up["headers"])


def _media(http: TestClient, viewer: AppUser, media_id: int) -> dict[str, Any]:
    r = http.get(f"{API}/media/{media_id}", headers=viewer.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _seconds_left(when: str) -> float:
    return (datetime.fromisoformat(when.replace("Z", "+00:00")) - datetime.now(UTC)).total_seconds()


def _signed_lifetime(url: str) -> float:
    """How long the URL itself says it works, from now (local: ``expires``; S3: ``X-Amz-Date`` + ``-Expires``)."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    if "expires" in query:
        return int(query["expires"]) - time.time()
    signed = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return signed.timestamp() + int(query["X-Amz-Expires"]) - time.time()


# -- 2. a viewer who lost access keeps a fetched URL 5 minutes at most ----------------------------------


def test_a_removed_viewer_keeps_the_media_url_five_minutes_at_most(media_client: TestClient) -> None:
    api = Api(media_client)
    author, friend = api.user("ttl"), api.user("ttl")
    api.connect(author, friend)
    tag = api.tag(author, friend)
    body = secrets.token_bytes(64)
    media_id = api.media(author, content=body)
    post_id = api.post(author, tags=[tag], media=[media_id])

    seen = api.call("GET", f"/posts/{post_id}", friend, 200)["media"][0]
    for shown in (seen, _media(media_client, friend, media_id)):
        assert 0 < _seconds_left(shown["url_expires_at"]) <= DEFAULT_URL_TTL_S
        assert 0 < _signed_lifetime(shown["url"]) <= DEFAULT_URL_TTL_S + 1
    download = request_url(media_client, "GET", seen["url"])
    assert download.content == body
    if "cache-control" in download.headers:  # what a client may cache: never past the URL's own life
        max_age = int(download.headers["cache-control"].split("max-age=")[1].split(",")[0])
        assert max_age <= DEFAULT_URL_TTL_S

    # removed from the tag: at once no new URL, and the one fetched before dies within the TTL
    api.call("DELETE", f"/tags/{tag}/members/{friend.id}", author, 204)
    assert_problem(media_client.get(f"{API}/media/{media_id}", headers=friend.headers), 404, "not_found")


def test_the_url_lifetime_is_configurable(make_app: Callable[..., FastAPI]) -> None:
    with TestClient(make_app(media_url_ttl_seconds=90)) as http:
        owner = Api(http).user("ttl")
        media_id = Api(http).media(owner)
        shown = _media(http, owner, media_id)
        assert 0 < _seconds_left(shown["url_expires_at"]) <= 90
        assert 0 < _signed_lifetime(shown["url"]) <= 91


def test_a_url_cached_for_longer_than_the_ttl_is_not_handed_out(
    make_app: Callable[..., FastAPI], redis_url: str
) -> None:
    """Workers share cached URLs through Redis: a URL signed under a longer TTL (before the setting was
    lowered, or by a worker still running the old one) must not outlive the new bound."""
    shared = {"redis_url": redis_url, "redis_key_prefix": f"hearth-ttl-{uuid.uuid4().hex[:8]}:"}
    with TestClient(make_app(media_url_ttl_seconds=3600, **shared)) as old, TestClient(make_app(**shared)) as new:
        owner = Api(old).user("ttl")
        media_id = Api(old).media(owner)
        assert _seconds_left(_media(old, owner, media_id)["url_expires_at"]) > 3000
        shown = _media(new, owner, media_id)
        assert 0 < _seconds_left(shown["url_expires_at"]) <= DEFAULT_URL_TTL_S
        assert _media(new, owner, media_id)["url"] == shown["url"]  # and that one is cached in turn


# -- 3. an upload URL writes once ---------------------------------------------------------------------


def test_replaying_an_upload_url_changes_nothing_a_viewer_downloads(media_client: TestClient) -> None:
    api = Api(media_client)
    author, friend = api.user("once"), api.user("once")
    api.connect(author, friend)
    first, other = secrets.token_bytes(256), secrets.token_bytes(256)
    created = _announce(media_client, author, len(first))
    assert _put(media_client, created, first).status_code == 200
    media_id = created["media"]["id"]
    post_id = api.post(author, media=[media_id])
    url = api.call("GET", f"/posts/{post_id}", friend, 200)["media"][0]["url"]

    replay = _put(media_client, created, other)  # same URL, same type and size, other bytes
    if media_client.app.state.settings.storage_backend == "local":
        assert_problem(replay, 409, "conflict")  # the app's own /files/ route refuses it outright
    for shown in (url, _media(media_client, friend, media_id)["url"], _media(media_client, author, media_id)["url"]):
        download = request_url(media_client, "GET", shown)
        assert download.status_code == 200
        assert download.content == first
        assert download.headers["content-type"] == "image/png"


def test_a_local_upload_url_is_refused_once_its_file_is_stored(client: TestClient) -> None:
    """Before the media is even read as ready: the second PUT is refused, the first one's bytes stay."""
    owner = Api(client).user("once")
    created = _announce(client, owner, 32)
    first = secrets.token_bytes(32)
    assert _put(client, created, first).status_code == 200
    assert_problem(_put(client, created, secrets.token_bytes(32)), 409, "conflict")
    shown = _media(client, owner, created["media"]["id"])
    assert shown["status"] == "ready"
    assert request_url(client, "GET", shown["url"]).content == first


# -- 8. a stranger cannot tell an existing media from a missing one ------------------------------------


def test_a_hidden_media_and_a_missing_one_take_the_same_path(
    client: TestClient, count_queries: Callable[[], AbstractContextManager[QueryCounter]]
) -> None:
    api = Api(client)
    owner, friend, stranger = api.user("same"), api.user("same"), api.user("same")
    api.connect(owner, friend)
    on_post = api.media(owner)
    api.post(owner, media=[on_post])
    hidden = [on_post, api.media(owner), api.media(owner, upload=False)]  # on a post, ready, pending
    missing = max(hidden) + 10_000_000

    def answer(media_id: int) -> tuple[list[str], dict[str, Any]]:
        with count_queries() as q:
            r = client.get(f"{API}/media/{media_id}", headers=stranger.headers)
        body = assert_problem(r, 404, "not_found")
        return q.statements, {k: v for k, v in body.items() if k not in ("detail", "instance", "request_id")}

    answer(missing)  # warm: the first request of a token may cost more than the next ones
    expected = answer(missing)
    for media_id in hidden:
        assert answer(media_id) == expected
    assert answer(missing) == expected
    # the media is there for whoever may see it, by that same statement
    assert _media(client, friend, on_post)["status"] == "ready"


# -- 10. a storage quota per user, and media never attached are erased ---------------------------------


def test_uploads_count_against_a_per_user_quota(make_app: Callable[..., FastAPI]) -> None:
    with TestClient(make_app(media_quota_bytes=1000)) as http:
        api = Api(http)
        owner, other = api.user("quota"), api.user("quota")
        _announce(http, owner, 600)  # announced, not uploaded: it can still be filled, so it counts
        over = http.post(f"{API}/media", json={"content_type": "image/png", "size_bytes": 401}, headers=owner.headers)
        body = assert_problem(over, 413, "quota_exceeded")
        assert "1000" in body["detail"]
        assert _announce(http, owner, 400)["media"]["size_bytes"] == 400  # exactly up to the quota
        assert_problem(
            http.post(f"{API}/media", json={"content_type": "image/png", "size_bytes": 1}, headers=owner.headers),
            413,
            "quota_exceeded",
        )
        _announce(http, other, 1000)  # per user


def _age(app: FastAPI, media_ids: list[int], days: int = 2) -> None:
    with app.state.database.transaction() as session:
        session.execute(
            text("UPDATE media SET created_at = now() - make_interval(days => :d) WHERE id = ANY(:ids)"),
            {"d": days, "ids": media_ids},
        )


def test_media_never_attached_are_erased_after_a_day(make_app: Callable[..., FastAPI]) -> None:
    """The erasure itself (what the purge job, with the job engine of a later issue, runs)."""
    with TestClient(make_app(media_quota_bytes=5 * 8)) as http:
        app = http.app
        assert isinstance(app, FastAPI)
        api = Api(http)
        owner, friend = api.user("erase"), api.user("erase")
        api.connect(owner, friend)
        content = secrets.token_bytes(8)
        on_post, avatar, unused, pending, young = (api.media(owner, content=content) for _ in range(5))
        api.post(owner, media=[on_post])
        api.call("PATCH", "/users/me", owner, 200, json={"avatar_media_id": avatar})
        unused_url = _media(http, owner, unused)["url"]
        _age(app, [on_post, avatar, unused, pending])
        with app.state.database.transaction() as session:  # "pending": never uploaded
            session.execute(text("UPDATE media SET status = 'pending' WHERE id = :id"), {"id": pending})
        over = http.post(f"{API}/media", json={"content_type": "image/png", "size_bytes": 8}, headers=owner.headers)
        assert_problem(over, 413, "quota_exceeded")

        with resolved(app, PostMediaAccess) as access:
            erased = access.erase_unattached()
        assert erased >= 2
        for gone in (unused, pending):
            assert_problem(http.get(f"{API}/media/{gone}", headers=owner.headers), 404, "not_found")
        assert_problem(request_url(http, "GET", unused_url), 404, "not_found")  # the bytes went too
        for kept, viewer in ((on_post, friend), (avatar, friend), (young, owner)):
            shown = _media(http, viewer, kept)
            assert request_url(http, "GET", shown["url"]).content == content
        _announce(http, owner, 16)  # their bytes no longer count

        with resolved(app, PostMediaAccess) as access:  # run again: nothing more to erase
            assert access.erase_unattached() == 0
        api.call("PATCH", "/users/me", owner, 200, json={"avatar_media_id": None})  # once found attached: kept
        with resolved(app, PostMediaAccess) as access:
            assert access.erase_unattached() == 0
        assert _media(http, owner, avatar)["status"] == "ready"


# -- avatars: readable by whoever can see their user -----------------------------------------------------


def test_an_avatar_is_readable_by_whoever_can_see_its_user(client: TestClient) -> None:
    api = Api(client)
    owner, stranger, blocked, blocker = (api.user("ava") for _ in range(4))
    content = secrets.token_bytes(40)
    avatar = api.media(owner, content=content)
    api.call("PATCH", "/users/me", owner, 200, json={"avatar_media_id": avatar})
    api.call("POST", "/blocks", owner, 204, json={"user_id": blocked.id})
    api.call("POST", "/blocks", blocker, 204, json={"user_id": owner.id})

    for viewer in (stranger, blocker):  # no connection needed; blocking the owner does not hide them
        profile = api.call("GET", f"/users/{owner.id}", viewer, 200)
        shown = _media(client, viewer, avatar)
        assert shown["url"] == profile["avatar_url"]
        assert request_url(client, "GET", shown["url"]).content == content
    # the owner blocked them: the owner is not there for them, nor is the avatar
    assert_problem(client.get(f"{API}/users/{owner.id}", headers=blocked.headers), 404, "not_found")
    assert_problem(client.get(f"{API}/media/{avatar}", headers=blocked.headers), 404, "not_found")

    # a former avatar on no post is the owner's alone again
    api.call("PATCH", "/users/me", owner, 200, json={"avatar_media_id": api.media(owner)})
    assert_problem(client.get(f"{API}/media/{avatar}", headers=stranger.headers), 404, "not_found")
    assert _media(client, owner, avatar)["status"] == "ready"


def test_settings_bound_the_url_lifetime_by_default() -> None:
    settings = Settings(_env_file=None)
    assert settings.media_url_ttl_seconds == DEFAULT_URL_TTL_S
    assert settings.media_unattached_ttl_seconds == 24 * 3600
