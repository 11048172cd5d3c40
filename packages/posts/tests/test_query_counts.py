"""Round trips per request do not grow with page size or with the authors, tags and comments on a page.

Counts include authentication and run with every cache cold (no cache is consulted for visibility).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

API = "/api/v1"
SIZES = (1, 20, 100)
BUDGET = {"feed": 8, "user_posts": 8, "digest": 8, "comments": 4, "post": 7}


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


@dataclass
class Scene:
    viewer: U
    authors: list[U]
    hub_post: int  # the viewer's post with 100+ comments by distinct authors
    hub_author: U  # an author whose profile page is read


@pytest.fixture(scope="module")
def scene(client: TestClient) -> Scene:
    """A viewer connected to 101 authors; each author posts to a tag of their own that holds the viewer,
    and comments on one hub post; so a page has distinct authors, tags and comments on every item."""
    viewer = _register(client)
    authors = [_register(client) for _ in range(101)]
    for a in authors:
        req = client.post(f"{API}/connections/requests", json={"user_id": viewer.id}, headers=a.headers).json()
        assert client.post(f"{API}/connections/requests/{req['id']}/accept", headers=viewer.headers).status_code == 200
        tag = client.post(f"{API}/tags", json={"name": "close"}, headers=a.headers).json()["id"]
        assert client.put(f"{API}/tags/{tag}/members/{viewer.id}", headers=a.headers).status_code == 204
        r = client.post(
            f"{API}/posts", json={"body": "tagged", "audience": {"type": "tags", "tag_ids": [tag]}}, headers=a.headers
        )
        assert r.status_code == 201
    hub_author = authors[0]
    hub = client.post(
        f"{API}/posts", json={"body": "hub", "audience": {"type": "connections"}}, headers=viewer.headers
    ).json()["id"]
    for a in [viewer, *authors]:
        pid_comment = client.post(f"{API}/posts/{hub}/comments", json={"body": "c"}, headers=a.headers)
        assert pid_comment.status_code == 201
    return Scene(viewer, authors, hub, hub_author)


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
    assert count == 4  # token, connected ids, the page (visibility, media ids, tag ids), authors
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
    assert q.count == 5 <= BUDGET["feed"]  # + the tag ownership check


@pytest.mark.parametrize("limit", SIZES)
def test_comments_statements(client: TestClient, count_queries: Callable[[], Any], scene: Scene, limit: int) -> None:
    count, n = _count(client, count_queries, f"{API}/posts/{scene.hub_post}/comments", scene.viewer.headers, limit)
    assert n == limit
    assert count == 3
    assert count <= BUDGET["comments"]


@pytest.mark.parametrize("limit", SIZES)
def test_user_posts_statements(client: TestClient, count_queries: Callable[[], Any], scene: Scene, limit: int) -> None:
    author = scene.hub_author
    for _ in range(limit):  # make sure the author has enough posts for the page
        client.post(f"{API}/posts", json={"body": "more", "audience": {"type": "connections"}}, headers=author.headers)
    count, n = _count(client, count_queries, f"{API}/users/{author.id}/posts", scene.viewer.headers, limit)
    assert n == limit
    assert count == 4
    assert count <= BUDGET["user_posts"]


def test_digest_statements(client: TestClient, count_queries: Callable[[], Any], scene: Scene) -> None:
    with count_queries() as q:
        r = client.get(f"{API}/digest", headers=scene.viewer.headers)
    assert r.status_code == 200
    d = r.json()
    assert len(d["authors"]) == 50 and d["post_count"] >= 101
    assert q.count == 4 <= BUDGET["digest"]  # token, connected ids, the digest, authors


def test_one_post_statements(client: TestClient, count_queries: Callable[[], Any], scene: Scene) -> None:
    with count_queries() as q:
        r = client.get(f"{API}/posts/{scene.hub_post}", headers=scene.viewer.headers)
    assert r.status_code == 200
    assert q.count == 3 <= BUDGET["post"]
