"""Mentions (API.md, "Mentions"): ``@username`` in a post or a comment becomes a link to that user and tells
them, only when they can see the post at that moment; an edit that adds a mention tells once; a mention never
widens an audience, and someone outside it learns nothing (no notification, no post, no count)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from hearth_testing import API, Api, AppUser


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


def _mentions(api: Api, user: AppUser) -> list[tuple[int, int | None, int]]:
    return [
        (n["post_id"], n["comment_id"], n["actor"]["id"]) for n in api.notifications(user) if n["type"] == "mention"
    ]


def _link(user: AppUser) -> str:
    return f'<a href="http://127.0.0.1:8000/api/v1/users/{user.id}" rel="nofollow noopener">@{user.username}</a>'


@pytest.fixture
def world(api: Api) -> dict[str, Any]:
    author, member, outside, stranger = api.user("ma"), api.user("mm"), api.user("mo"), api.user("ms")
    api.connect(author, member)
    api.connect(author, outside)
    return {
        "author": author,
        "member": member,
        "outside": outside,
        "stranger": stranger,
        "tag": api.tag(author, member),
    }


def test_a_mention_links_and_tells_only_who_may_see_the_post(
    client: TestClient, api: Api, world: dict[str, Any]
) -> None:
    author, member, outside, stranger = (world[k] for k in ("author", "member", "outside", "stranger"))
    before = {u.id: api.unread_count(u) for u in (outside, stranger)}
    body = f"hello @{member.username}, @{outside.username.upper()} and @{stranger.username} (and @nobody_here)"
    r = client.post(
        f"{API}/posts",
        json={"body": body, "audience": {"type": "tags", "tag_ids": [world["tag"]]}},
        headers=author.headers,
    )
    assert r.status_code == 201, r.text
    post = r.json()
    assert _link(member) in post["body"] and _link(stranger) in post["body"]
    assert f">@{outside.username.upper()}</a>" in post["body"]  # linked as typed
    assert "@nobody_here" in post["body"] and "users/@nobody_here" not in post["body"]
    assert _mentions(api, member) == [(post["id"], None, author.id)]
    # outside the audience: nothing told, nothing shown, nothing counted
    for user in (outside, stranger):
        assert _mentions(api, user) == []
        assert api.unread_count(user) == before[user.id]
        assert client.get(f"{API}/posts/{post['id']}", headers=user.headers).status_code == 404
        assert post["id"] not in [p["id"] for p in client.get(f"{API}/feed", headers=user.headers).json()["items"]]
    assert _mentions(api, author) == []  # the author names themself: nothing


def test_an_edit_that_adds_a_mention_tells_once(client: TestClient, api: Api, world: dict[str, Any]) -> None:
    author, member, outside = world["author"], world["member"], world["outside"]
    pid = api.post(author, body="no one yet")
    path = f"/posts/{pid}"
    api.call("PATCH", path, author, 200, json={"body": f"now @{member.username}"})
    assert _mentions(api, member) == [(pid, None, author.id)]
    stored = api.call("GET", path, author, 200)["body"]
    api.call("PATCH", path, author, 200, json={"body": stored + " and more"})  # the stored link sent back
    api.call("PATCH", path, author, 200, json={"body": f"again @{member.username}!"})
    assert _mentions(api, member) == [(pid, None, author.id)]
    # a mention of someone who cannot see the post tells them when they can: once the audience reaches them
    api.call("PATCH", path, author, 200, json={"body": f"@{outside.username}", "audience": _tags(world)})
    assert _mentions(api, outside) == []
    api.call("PATCH", path, author, 200, json={"audience": {"type": "connections"}})
    assert _mentions(api, outside) == [(pid, None, author.id)]


def _tags(world: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tags", "tag_ids": [world["tag"]]}


def test_a_mention_in_a_comment(client: TestClient, api: Api, world: dict[str, Any]) -> None:
    author, member, outside = world["author"], world["member"], world["outside"]
    pid = api.post(author, [world["tag"]])
    cid = api.comment(member, pid, f"@{author.username} @{outside.username} look")
    assert _mentions(api, author) == [(pid, cid, member.id)]
    assert _mentions(api, outside) == []
    comment = api.call("GET", f"/posts/{pid}/comments", author, 200)["items"][0]
    assert _link(author) in comment["body"]
    api.call("DELETE", f"/comments/{cid}", member, 204)
    assert _mentions(api, author) == []


def test_a_user_who_blocked_the_author_is_neither_linked_nor_told(api: Api, world: dict[str, Any]) -> None:
    author, member = world["author"], world["member"]
    api.call("POST", "/blocks", member, 204, json={"user_id": author.id})
    pid = api.post(author, body=f"hi @{member.username}")
    body = api.call("GET", f"/posts/{pid}", author, 200)["body"]
    assert f"@{member.username}" in body and "<a" not in body  # their id is not revealed to the author
    api.call("DELETE", f"/blocks/{author.id}", member, 204)
    assert _mentions(api, member) == []


def test_mentions_in_code_and_addresses_are_not_mentions(api: Api, world: dict[str, Any]) -> None:
    author, member = world["author"], world["member"]
    body = f"<code>@{member.username}</code> mail x@{member.username}.example and https://e.com/@{member.username}"
    pid = api.post(author, body=body)
    assert f'users/{member.id}"' not in api.call("GET", f"/posts/{pid}", author, 200)["body"]
    assert _mentions(api, member) == []


def test_a_body_of_the_longest_length_may_end_with_a_mention(api: Api, world: dict[str, Any]) -> None:
    """A body's length is checked as sent (the schema states it): the link a mention becomes adds markup, never
    text a reader sees, so a comment of exactly 2000 characters ending in a mention is taken, linked."""
    author, member = world["author"], world["member"]
    post = api.post(author)
    mention = f" @{member.username}"
    body = "x" * (2000 - len(mention)) + mention
    comment = api.call("POST", f"/posts/{post}/comments", author, 201, json={"body": body})
    assert comment["body"].endswith(_link(member)) and len(comment["body"]) > 2000
    assert (post, comment["id"], author.id) in _mentions(api, member)
