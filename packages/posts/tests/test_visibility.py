"""The visibility matrix: no post, comment or count reaches anyone outside its audience."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient


@dataclass
class World:
    author: Any
    in_tag: Any  # connected, in the post's tag
    outside: Any  # connected, not in the tag
    stranger: Any  # not connected
    tag_id: int
    tags_post: dict[str, Any]
    conn_post: dict[str, Any]


@pytest.fixture
def world(
    make_user: Callable[..., Any],
    connect: Callable[..., None],
    make_tag: Callable[..., int],
    make_post: Callable[..., dict[str, Any]],
) -> World:
    author, in_tag, outside, stranger = make_user("a"), make_user("t"), make_user("o"), make_user("s")
    connect(author, in_tag)
    connect(outside, author)
    tag_id = make_tag(author, in_tag, name="family")
    tags_post = make_post(author, "for family only", tags=[tag_id])
    conn_post = make_post(author, "for all my connections")
    return World(author, in_tag, outside, stranger, tag_id, tags_post, conn_post)


def feed_ids(client: TestClient, user: Any, **params: Any) -> list[int]:
    r = client.get("/api/v1/feed", params={"limit": 100, **params}, headers=user.headers)
    assert r.status_code == 200, r.text
    return [p["id"] for p in r.json()["items"]]


def profile_ids(client: TestClient, viewer: Any, author: Any) -> list[int]:
    r = client.get(f"/api/v1/users/{author.id}/posts", params={"limit": 100}, headers=viewer.headers)
    if r.status_code == 404:  # the author blocked the viewer: the account does not exist for them
        return []
    assert r.status_code == 200, r.text
    return [p["id"] for p in r.json()["items"]]


def digest_ids(client: TestClient, viewer: Any) -> list[int]:
    r = client.get("/api/v1/digest", headers=viewer.headers)
    assert r.status_code == 200, r.text
    return [p["id"] for a in r.json()["authors"] for p in a["latest_posts"]]


def sees(client: TestClient, viewer: Any, post: dict[str, Any], author: Any) -> dict[str, bool]:
    """Every way a viewer could reach a post, each answered independently."""
    pid = post["id"]
    return {
        "get": client.get(f"/api/v1/posts/{pid}", headers=viewer.headers).status_code == 200,
        "feed": pid in feed_ids(client, viewer),
        "profile": pid in profile_ids(client, viewer, author),
        "digest": pid in digest_ids(client, viewer) if viewer.id != author.id else True,
        "comments": client.get(f"/api/v1/posts/{pid}/comments", headers=viewer.headers).status_code == 200,
    }


ALL = {"get": True, "feed": True, "profile": True, "digest": True, "comments": True}
NONE = {"get": False, "feed": False, "profile": False, "digest": False, "comments": False}


def test_matrix_before_any_change(client: TestClient, world: World) -> None:
    w = world
    assert sees(client, w.author, w.tags_post, w.author) == ALL
    assert sees(client, w.in_tag, w.tags_post, w.author) == ALL
    assert sees(client, w.outside, w.tags_post, w.author) == NONE
    assert sees(client, w.stranger, w.tags_post, w.author) == NONE
    assert sees(client, w.outside, w.conn_post, w.author) == ALL
    assert sees(client, w.stranger, w.conn_post, w.author) == NONE


def test_invisible_post_answers_exactly_like_a_missing_one(client: TestClient, world: World) -> None:
    w = world
    hidden = client.get(f"/api/v1/posts/{w.tags_post['id']}", headers=w.outside.headers)
    missing = client.get("/api/v1/posts/999999999", headers=w.outside.headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["code"] == missing.json()["code"] == "not_found"
    assert hidden.headers["content-type"] == "application/problem+json"


def test_other_viewers_never_see_the_authors_tag_ids(client: TestClient, world: World) -> None:
    w = world
    mine = client.get(f"/api/v1/posts/{w.tags_post['id']}", headers=w.author.headers).json()
    theirs = client.get(f"/api/v1/posts/{w.tags_post['id']}", headers=w.in_tag.headers).json()
    assert mine["audience"] == {"type": "tags", "tag_ids": [w.tag_id]}
    assert theirs["audience"] == {"type": "limited"}
    for item in client.get("/api/v1/feed", headers=w.in_tag.headers).json()["items"]:
        assert "tag_ids" not in item["audience"]


def test_tagging_later_shows_earlier_posts(client: TestClient, world: World) -> None:
    w = world
    assert sees(client, w.outside, w.tags_post, w.author) == NONE
    assert client.put(f"/api/v1/tags/{w.tag_id}/members/{w.outside.id}", headers=w.author.headers).status_code == 204
    assert sees(client, w.outside, w.tags_post, w.author) == ALL


def test_untagging_hides_at_once(client: TestClient, world: World) -> None:
    w = world
    assert client.delete(f"/api/v1/tags/{w.tag_id}/members/{w.in_tag.id}", headers=w.author.headers).status_code == 204
    assert sees(client, w.in_tag, w.tags_post, w.author) == NONE
    assert sees(client, w.in_tag, w.conn_post, w.author) == ALL  # still connected


def test_disconnecting_hides_everything_at_once(client: TestClient, world: World) -> None:
    w = world
    assert client.delete(f"/api/v1/connections/{w.author.id}", headers=w.in_tag.headers).status_code == 204
    assert sees(client, w.in_tag, w.tags_post, w.author) == NONE
    assert sees(client, w.in_tag, w.conn_post, w.author) == NONE


@pytest.mark.parametrize("who_blocks", ["author", "viewer"])
def test_blocking_either_way_hides_everything(client: TestClient, world: World, who_blocks: str) -> None:
    w = world
    blocker, blocked = (w.author, w.in_tag) if who_blocks == "author" else (w.in_tag, w.author)
    assert client.post("/api/v1/blocks", json={"user_id": blocked.id}, headers=blocker.headers).status_code == 204
    profile = client.get(f"/api/v1/users/{w.author.id}/posts", headers=w.in_tag.headers)
    assert profile.status_code == (404 if who_blocks == "author" else 200)
    assert sees(client, w.in_tag, w.tags_post, w.author) == NONE
    assert sees(client, w.in_tag, w.conn_post, w.author) == NONE
    r = client.post(f"/api/v1/posts/{w.conn_post['id']}/comments", json={"body": "hi"}, headers=w.in_tag.headers)
    assert r.status_code == 404


def test_deleting_the_tag_narrows_never_widens(client: TestClient, world: World) -> None:
    w = world
    assert client.delete(f"/api/v1/tags/{w.tag_id}", headers=w.author.headers).status_code == 204
    for viewer in (w.in_tag, w.outside, w.stranger):
        assert sees(client, viewer, w.tags_post, w.author) == NONE
    # the author still sees it, with an empty tag list rather than "connections"
    own = client.get(f"/api/v1/posts/{w.tags_post['id']}", headers=w.author.headers).json()
    assert own["audience"] == {"type": "tags", "tag_ids": []}


def test_emptying_the_tag_narrows_never_widens(client: TestClient, world: World) -> None:
    w = world
    client.delete(f"/api/v1/tags/{w.tag_id}/members/{w.in_tag.id}", headers=w.author.headers)
    for viewer in (w.in_tag, w.outside):
        assert sees(client, viewer, w.tags_post, w.author) == NONE


def test_comments_follow_the_post_audience(client: TestClient, world: World) -> None:
    w = world
    pid = w.tags_post["id"]
    r = client.post(f"/api/v1/posts/{pid}/comments", json={"body": "lovely"}, headers=w.in_tag.headers)
    assert r.status_code == 201, r.text
    comment_id = r.json()["id"]
    # outside the audience: cannot read, write or delete, and is told nothing exists
    assert (
        client.post(f"/api/v1/posts/{pid}/comments", json={"body": "x"}, headers=w.outside.headers).status_code == 404
    )
    assert client.get(f"/api/v1/posts/{pid}/comments", headers=w.stranger.headers).status_code == 404
    assert client.delete(f"/api/v1/comments/{comment_id}", headers=w.outside.headers).status_code == 404
    # the count only ever shows to the audience
    assert client.get(f"/api/v1/posts/{pid}", headers=w.in_tag.headers).json()["comment_count"] == 1
    for item in client.get("/api/v1/feed", params={"limit": 100}, headers=w.outside.headers).json()["items"]:
        assert item["id"] != pid


def test_tag_filter_on_the_feed_is_only_for_the_owner(
    client: TestClient, world: World, make_post: Callable[..., dict[str, Any]]
) -> None:
    w = world
    theirs = make_post(w.in_tag, "from a family member")
    mine = make_post(w.outside, "from outside the tag")
    ids = feed_ids(client, w.author, tag_id=w.tag_id)
    assert theirs["id"] in ids and mine["id"] not in ids
    r = client.get("/api/v1/feed", params={"tag_id": w.tag_id}, headers=w.in_tag.headers)
    assert r.status_code == 404


def _comment(client: TestClient, user: Any, post_id: int, body: str) -> int:
    r = client.post(f"/api/v1/posts/{post_id}/comments", json={"body": body}, headers=user.headers)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _comment_pages(client: TestClient, viewer: Any, post_id: int, limit: int) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        r = client.get(f"/api/v1/posts/{post_id}/comments", params=params, headers=viewer.headers)
        assert r.status_code == 200, r.text
        pages.append([c["id"] for c in r.json()["items"]])
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return pages


@pytest.mark.parametrize("who_blocks", ["commenter", "viewer"])
def test_comments_of_a_blocked_or_blocking_user_are_left_out(
    client: TestClient, world: World, make_user: Callable[..., Any], connect: Callable[..., None], who_blocks: str
) -> None:
    """Issue 12, item 5: two connections of the author, one blocks the other; under the author's post
    neither sees the other's comments (API.md, comments list), and pages stay full."""
    w = world
    viewer, commenter = w.outside, make_user("c")
    connect(w.author, commenter)
    pid = w.conn_post["id"]
    first = _comment(client, viewer, pid, "first")
    theirs = [_comment(client, commenter, pid, f"theirs {i}") for i in range(3)]
    last = _comment(client, viewer, pid, "last")
    by_author = _comment(client, w.author, pid, "from the author")
    blocker, blocked = (commenter, viewer) if who_blocks == "commenter" else (viewer, commenter)
    assert client.post("/api/v1/blocks", json={"user_id": blocked.id}, headers=blocker.headers).status_code == 204

    # one page, and page by page (a full page whenever more follow, no empty last page)
    assert _comment_pages(client, viewer, pid, 100) == [[first, last, by_author]]
    assert _comment_pages(client, viewer, pid, 1) == [[first], [last], [by_author]]
    assert _comment_pages(client, commenter, pid, 100) == [[*theirs, by_author]]
    # the author blocked no one: they see every comment
    assert _comment_pages(client, w.author, pid, 100) == [[first, *theirs, last, by_author]]
    # as their profile: a user who blocked the viewer does not exist for them
    profile = client.get(f"/api/v1/users/{commenter.id}", headers=viewer.headers)
    assert profile.status_code == (404 if who_blocks == "commenter" else 200)
