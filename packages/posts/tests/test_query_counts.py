"""Round trips per request do not grow with page size or with the authors, tags, comments and reactions on a
page.

Counts include authentication and run with every cache cold (no cache is consulted for visibility).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

API = "/api/v1"
SIZES = (1, 20, 100)
BUDGET = {"feed": 8, "user_posts": 8, "digest": 8, "comments": 4, "post": 7, "reactions": 4}


@dataclass
class U:
    id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _register(client: TestClient) -> U:
    name = f"qc{uuid.uuid4().hex[:12]}"
    r = client.post(
        f"{API}/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": "long enough pw", "display_name": name},
    )
    assert r.status_code == 201, r.text
    return U(r.json()["user"]["id"], r.json()["access_token"])


def _upload(client: TestClient, user: U, data: bytes = b"\x89PNG\r\n\x1a\n") -> int:
    """A ready media object of ``user`` (created, uploaded through its signed URL)."""
    r = client.post(f"{API}/media", json={"content_type": "image/png", "size_bytes": len(data)}, headers=user.headers)
    assert r.status_code == 201, r.text
    upload = r.json()["upload"]
    parts = urlsplit(upload["url"])
    put = client.put(f"{parts.path}?{parts.query}", content=data, headers=upload["headers"])
    assert put.status_code in (200, 204), put.text
    return int(r.json()["media"]["id"])


@dataclass
class Scene:
    viewer: U
    authors: list[U]
    hub_post: int  # the viewer's post with 100+ comments by distinct authors (all with avatars)
    hub_author: U  # an author whose profile page is read
    media_post: int  # a tagged post with an image, by an author with an avatar


@pytest.fixture(scope="module")
def scene(client: TestClient) -> Scene:
    """A viewer connected to 101 authors; each author has an avatar and posts, with an image, to a tag of
    their own that holds the viewer, and comments on and reacts to one hub post; the viewer and the author
    react to each tagged post: so a page has distinct authors, avatars, tags, media, comments and reactions
    on every item."""
    viewer = _register(client)
    avatar = _upload(client, viewer)
    assert client.patch(f"{API}/users/me", json={"avatar_media_id": avatar}, headers=viewer.headers).status_code == 200
    authors = [_register(client) for _ in range(101)]
    tags: dict[int, int] = {}
    for a in authors:
        req = client.post(f"{API}/connections/requests", json={"user_id": viewer.id}, headers=a.headers).json()
        assert client.post(f"{API}/connections/requests/{req['id']}/accept", headers=viewer.headers).status_code == 200
        tags[a.id] = client.post(f"{API}/tags", json={"name": "close"}, headers=a.headers).json()["id"]
        assert client.put(f"{API}/tags/{tags[a.id]}/members/{viewer.id}", headers=a.headers).status_code == 204
        avatar = _upload(client, a)
        assert client.patch(f"{API}/users/me", json={"avatar_media_id": avatar}, headers=a.headers).status_code == 200
    hub = client.post(
        f"{API}/posts", json={"body": "hub", "audience": {"type": "connections"}}, headers=viewer.headers
    ).json()["id"]
    for i, a in enumerate([viewer, *authors]):
        assert client.post(f"{API}/posts/{hub}/comments", json={"body": "c"}, headers=a.headers).status_code == 201
        kind = ("like", "love", "laugh", "wow", "sad")[i % 5]
        assert client.put(f"{API}/posts/{hub}/reactions/{kind}", headers=a.headers).status_code == 204
    # newer than the hub, so every feed page is made of tagged posts with media
    for a in authors:
        audience = {"type": "tags", "tag_ids": [tags[a.id]]}
        r = client.post(
            f"{API}/posts",
            json={"body": "tagged", "audience": audience, "media_ids": [_upload(client, a)]},
            headers=a.headers,
        )
        assert r.status_code == 201, r.text
        for who, kind in ((viewer, "like"), (a, "love")):
            assert client.put(f"{API}/posts/{r.json()['id']}/reactions/{kind}", headers=who.headers).status_code == 204
    return Scene(viewer, authors, hub, authors[0], r.json()["id"])


def _count(
    client: TestClient, count_queries: Callable[[], Any], url: str, headers: dict[str, str], limit: int | None
) -> tuple[int, int]:
    params = {"limit": limit} if limit is not None else {}
    with count_queries() as q:
        r = client.get(url, params=params, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    n = len(body["items"]) if "items" in body else sum(len(a["latest_posts"]) for a in body.get("authors", [])) or 1
    return q.count, n


@pytest.mark.parametrize("limit", SIZES)
def test_feed_statements(client: TestClient, count_queries: Callable[[], Any], scene: Scene, limit: int) -> None:
    count, n = _count(client, count_queries, f"{API}/feed", scene.viewer.headers, limit)
    assert n == limit
    body = client.get(f"{API}/feed", params={"limit": limit}, headers=scene.viewer.headers).json()
    tagged = [p for p in body["items"] if p["body"] == "tagged"]
    assert tagged and all(p["media"][0]["url"] and p["author"]["avatar_url"] for p in tagged)
    assert all(p["reactions"] == {"like": 1, "love": 1} and p["my_reactions"] == ["like"] for p in tagged)
    # token, the timeline's page (with its horizon, visibility, media ids, tag ids, reactions: counts and the
    # viewer's kinds, its authors' summaries, its media, in one), avatars
    assert count == 3
    assert count <= BUDGET["feed"]


@pytest.mark.parametrize("limit", SIZES)
def test_feed_tag_filter_statements(
    client: TestClient, count_queries: Callable[[], Any], scene: Scene, limit: int
) -> None:
    tag = client.post(f"{API}/tags", json={"name": f"all {uuid.uuid4().hex[:4]}"}, headers=scene.viewer.headers).json()
    for a in scene.authors:
        client.put(f"{API}/tags/{tag['id']}/members/{a.id}", headers=scene.viewer.headers)
    with count_queries() as q:
        r = client.get(f"{API}/feed", params={"limit": limit, "tag_id": tag["id"]}, headers=scene.viewer.headers)
    assert r.status_code == 200 and len(r.json()["items"]) == limit
    assert q.count == 4 <= BUDGET["feed"]  # + the tag ownership check


@pytest.mark.parametrize("limit", SIZES)
def test_comments_statements(client: TestClient, count_queries: Callable[[], Any], scene: Scene, limit: int) -> None:
    count, n = _count(client, count_queries, f"{API}/posts/{scene.hub_post}/comments", scene.viewer.headers, limit)
    assert n == limit
    assert count == 3  # token, the page, the post's visibility and the authors' summaries in one, avatars
    assert count <= BUDGET["comments"]


@pytest.mark.parametrize("limit", SIZES)
def test_user_posts_statements(client: TestClient, count_queries: Callable[[], Any], scene: Scene, limit: int) -> None:
    author = scene.hub_author
    for _ in range(limit):  # the author's newest posts, each with an image, fill the page
        body = {"body": "more", "audience": {"type": "connections"}, "media_ids": [_upload(client, author)]}
        assert client.post(f"{API}/posts", json=body, headers=author.headers).status_code == 201
    count, n = _count(client, count_queries, f"{API}/users/{author.id}/posts", scene.viewer.headers, limit)
    assert n == limit
    assert count == 3  # token, the page with the user's existence, reactions, the author and media, the avatar
    assert count <= BUDGET["user_posts"]


def test_digest_statements(client: TestClient, count_queries: Callable[[], Any], scene: Scene) -> None:
    with count_queries() as q:
        r = client.get(f"{API}/digest", headers=scene.viewer.headers)
    assert r.status_code == 200
    d = r.json()
    assert len(d["authors"]) == 50 and d["post_count"] >= 101
    assert sum(1 for a in d["authors"] for p in a["latest_posts"] if p["reactions"]) >= 49
    # token, connected ids, the digest (counts, latest posts, reactions, authors and media in one), avatars
    assert q.count == 4 <= BUDGET["digest"]


def test_one_post_statements(client: TestClient, count_queries: Callable[[], Any], scene: Scene) -> None:
    with count_queries() as q:
        r = client.get(f"{API}/posts/{scene.media_post}", headers=scene.viewer.headers)
    assert r.status_code == 200 and r.json()["media"] and r.json()["author"]["avatar_url"]
    assert r.json()["audience"] == {"type": "limited"}
    assert r.json()["reactions"] == {"like": 1, "love": 1} and r.json()["my_reactions"] == ["like"]
    assert q.count == 3 <= BUDGET["post"]  # token, the post (reactions, author and media in it), the avatar


@pytest.mark.parametrize("limit", SIZES)
def test_reactors_statements(client: TestClient, count_queries: Callable[[], Any], scene: Scene, limit: int) -> None:
    count, n = _count(client, count_queries, f"{API}/posts/{scene.hub_post}/reactions", scene.viewer.headers, limit)
    assert n == limit
    assert count == 4  # token, the page and the post's visibility in one, reactors, avatars
    assert count <= BUDGET["reactions"]


def test_comment_write_statements(client: TestClient, count_queries: Callable[[], Any], scene: Scene) -> None:
    """A comment costs the same statements on any post; on a post its author may not see it costs fewer and
    writes nothing: no comment, no count."""
    author, stranger = scene.viewer, _register(client)  # the viewer is in the tag the post is written to
    post = scene.media_post
    before = client.get(f"{API}/posts/{post}", headers=author.headers).json()["comment_count"]
    with count_queries() as q:
        r = client.post(f"{API}/posts/{post}/comments", json={"body": "counted"}, headers=author.headers)
    assert r.status_code == 201 and r.json()["author"]["id"] == author.id and r.json()["author"]["avatar_url"]
    # token, the post's key-share lock, the count and the insert (with the author's summary) in one, the
    # author's avatar (this app has no notifications package: its handler would add its own)
    assert q.count == 4, q.statements
    with count_queries() as q:
        r = client.post(f"{API}/posts/{post}/comments", json={"body": "not seen"}, headers=stranger.headers)
    assert r.status_code == 404 and q.count == 3  # token, the lock, the count-and-insert that wrote nothing
    after = client.get(f"{API}/posts/{post}", headers=author.headers).json()["comment_count"]
    assert after == before + 1
    listed = client.get(f"{API}/posts/{post}/comments", params={"limit": 100}, headers=author.headers).json()
    assert [c["body"] for c in listed["items"]].count("not seen") == 0
