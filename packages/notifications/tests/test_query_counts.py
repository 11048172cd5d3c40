"""Listing and counting notifications cost a fixed number of statements, whatever the page holds: page sizes
1, 20, 100, every item from a distinct actor with an avatar, of every type about posts and connections, each
probed for visibility inside the one statement that reads the page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hearth_testing import API, Api, AppUser

SIZES = (1, 20, 100)


@dataclass
class Scene:
    recipient: AppUser
    actors: list[AppUser]


@pytest.fixture(scope="module")
def scene(client: TestClient) -> Scene:
    """101 actors, each with an avatar: each asks the recipient to connect (accepted), comments on and reacts to
    the recipient's post, and replies under the author's tags post the recipient commented on."""
    api = Api(client)
    recipient, author = api.user("qr"), api.user("qa")
    api.connect(author, recipient)
    own = api.post(recipient)
    actors = []
    for _ in range(101):
        actor = api.user("qx")
        api.connect(actor, recipient)
        api.connect(author, actor)
        api.call("PATCH", "/users/me", actor, 200, json={"avatar_media_id": api.media(actor)})
        actors.append(actor)
    tagged = api.post(author, [api.tag(author, recipient, *actors)])
    api.comment(recipient, tagged, "first")
    for actor in actors:
        api.comment(actor, own)
        api.react(actor, own, "wow")
        api.comment(actor, tagged, "me too")
    return Scene(recipient, actors)


def _count(client: TestClient, count_queries: Callable[[], Any], user: AppUser, path: str, **params: Any) -> Any:
    with count_queries() as q:
        r = client.get(f"{API}{path}", params=params, headers=user.headers)
    assert r.status_code == 200, r.text
    return q.count, r.json()


@pytest.mark.parametrize("limit", SIZES)
def test_list_statements(client: TestClient, count_queries: Callable[[], Any], scene: Scene, limit: int) -> None:
    count, page = _count(client, count_queries, scene.recipient, "/notifications", limit=limit)
    assert len(page["items"]) == limit
    assert all(n["actor"]["avatar_url"] for n in page["items"])
    if limit == 100:
        assert {n["type"] for n in page["items"]} == {"comment", "reaction", "reply"}
    assert count == 3  # token, the page with its visibility probes and actors, avatars
    count, unread = _count(client, count_queries, scene.recipient, "/notifications", limit=limit, unread_only=True)
    assert len(unread["items"]) == limit and count == 3


def test_poll_statements(client: TestClient, count_queries: Callable[[], Any], scene: Scene) -> None:
    top = client.get(f"{API}/notifications", params={"limit": 1}, headers=scene.recipient.headers).json()
    own = client.get(f"{API}/users/{scene.recipient.id}/posts", headers=scene.recipient.headers).json()["items"][-1]
    for actor in scene.actors[:30]:
        assert (
            client.post(f"{API}/posts/{own['id']}/comments", json={"body": "more"}, headers=actor.headers).status_code
            == 201
        )
    params = {"limit": 20, "newer_than": top["newer_cursor"]}
    count, page = _count(client, count_queries, scene.recipient, "/notifications", **params)
    assert [n["actor"]["id"] for n in page["items"]] == [a.id for a in scene.actors[:20]][::-1]  # the oldest 20
    assert count == 3  # token, the page with its actors, avatars


def test_unread_count_statements(client: TestClient, count_queries: Callable[[], Any], scene: Scene) -> None:
    count, body = _count(client, count_queries, scene.recipient, "/notifications/unread-count")
    assert body["count"] >= 101 * 4  # requests, comments, reactions, replies
    assert count == 2  # token, the count with its visibility probes


def test_mark_read_statements(client: TestClient, count_queries: Callable[[], Any], scene: Scene) -> None:
    top = client.get(f"{API}/notifications", params={"limit": 1}, headers=scene.actors[0].headers).json()["items"]
    with count_queries() as q:
        r = client.post(f"{API}/notifications/read", json={"up_to_id": 2**40}, headers=scene.actors[0].headers)
    assert r.status_code == 204 and q.count == 2  # token, the update
    assert top and client.get(f"{API}/notifications/unread-count", headers=scene.actors[0].headers).json()["count"] == 0
