"""Reactions (API.md, "Reactions"): put and delete are idempotent, every Post shows its counts and the
caller's kinds wherever it appears, the reactors list follows the post's audience and leaves out blocked
users either way, and nobody outside the audience can react, unreact or list."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hearth_testing import Api, AppUser, assert_problem

API = "/api/v1"


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


def react(client: TestClient, user: AppUser, post_id: int, kind: str, method: str = "PUT") -> int:
    return client.request(method, f"{API}/posts/{post_id}/reactions/{kind}", headers=user.headers).status_code


def post_as(client: TestClient, user: AppUser, post_id: int) -> dict[str, Any]:
    r = client.get(f"{API}/posts/{post_id}", headers=user.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def reactors(client: TestClient, user: AppUser, post_id: int, **params: Any) -> list[tuple[int, str]]:
    r = client.get(f"{API}/posts/{post_id}/reactions", params={"limit": 100, **params}, headers=user.headers)
    assert r.status_code == 200, r.text
    return [(item["user"]["id"], item["kind"]) for item in r.json()["items"]]


def test_reacting_is_idempotent_and_counted_per_kind(client: TestClient, api: Api) -> None:
    author, a, b = api.user("ra"), api.user("rb"), api.user("rc")
    api.connect(author, a)
    api.connect(author, b)
    pid = api.post(author)
    assert post_as(client, a, pid)["reactions"] == {} and post_as(client, a, pid)["my_reactions"] == []

    assert react(client, a, pid, "love") == 204
    assert react(client, a, pid, "love") == 204  # again: nothing changes
    assert react(client, a, pid, "like") == 204
    assert react(client, b, pid, "like") == 204
    assert react(client, author, pid, "wow") == 204  # the author may react to their own post

    seen_by_a = post_as(client, a, pid)
    assert seen_by_a["reactions"] == {"like": 2, "love": 1, "wow": 1}
    assert list(seen_by_a["reactions"]) == ["like", "love", "wow"]  # the contract's order of kinds
    assert seen_by_a["my_reactions"] == ["like", "love"]
    assert post_as(client, b, pid)["my_reactions"] == ["like"]
    assert post_as(client, author, pid)["my_reactions"] == ["wow"]

    assert react(client, a, pid, "love", "DELETE") == 204
    assert react(client, a, pid, "love", "DELETE") == 204  # again: nothing changes
    assert react(client, a, pid, "sad", "DELETE") == 204  # never given: nothing to take back
    seen_by_b = post_as(client, b, pid)
    assert seen_by_b["reactions"] == {"like": 2, "wow": 1}  # a kind counted down to zero is not shown
    assert post_as(client, a, pid)["my_reactions"] == ["like"]


def test_an_unknown_kind_is_refused(client: TestClient, api: Api) -> None:
    author = api.user("ra")
    pid = api.post(author)
    for method in ("PUT", "DELETE"):
        r = client.request(method, f"{API}/posts/{pid}/reactions/meh", headers=author.headers)
        assert_problem(r, 422, "validation_error")
    r = client.get(f"{API}/posts/{pid}/reactions", params={"kind": "meh"}, headers=author.headers)
    assert_problem(r, 422, "validation_error")
    assert post_as(client, author, pid)["reactions"] == {}


def test_reactions_show_on_every_post_wherever_it_appears(client: TestClient, api: Api) -> None:
    author, viewer = api.user("ra"), api.user("rv")
    api.connect(author, viewer)
    pid = api.post(author)
    assert react(client, viewer, pid, "laugh") == 204
    assert react(client, author, pid, "like") == 204
    expected = {"laugh": 1, "like": 1}

    def found(items: list[dict[str, Any]]) -> dict[str, Any]:
        return next(p for p in items if p["id"] == pid)

    h = viewer.headers
    feed = found(client.get(f"{API}/feed", headers=h).json()["items"])
    profile = found(client.get(f"{API}/users/{author.id}/posts", headers=h).json()["items"])
    digest = client.get(f"{API}/digest", headers=h).json()
    in_digest = found([p for a in digest["authors"] for p in a["latest_posts"]])
    for post in (feed, profile, in_digest, post_as(client, viewer, pid)):
        assert post["reactions"] == expected and post["my_reactions"] == ["laugh"]

    # the author's edit answers with them too (their own kinds), and a new post with none
    edited = client.patch(f"{API}/posts/{pid}", json={"body": "edited"}, headers=author.headers).json()
    assert edited["reactions"] == expected and edited["my_reactions"] == ["like"]
    created = client.post(
        f"{API}/posts", json={"body": "new", "audience": {"type": "connections"}}, headers=author.headers
    ).json()
    assert created["reactions"] == {} and created["my_reactions"] == []


def test_reactors_newest_first_by_kind_and_page_by_page(client: TestClient, api: Api) -> None:
    author = api.user("ra")
    friends = [api.user("rf") for _ in range(4)]
    for f in friends:
        api.connect(author, f)
    pid = api.post(author)
    given = [(friends[0].id, "like"), (friends[1].id, "love"), (friends[2].id, "like"), (friends[0].id, "sad")]
    for uid, kind in given:
        assert react(client, next(f for f in friends if f.id == uid), pid, kind) == 204

    assert reactors(client, author, pid) == given[::-1]
    assert reactors(client, friends[3], pid, kind="like") == [given[2], given[0]]
    pages, cursor = [], None
    while True:
        params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        r = client.get(f"{API}/posts/{pid}/reactions", params=params, headers=author.headers).json()
        pages.append([(i["user"]["id"], i["kind"]) for i in r["items"]])
        cursor = r["next_cursor"]
        if cursor is None:
            break
    assert pages == [[g] for g in given[::-1]]
    item = client.get(f"{API}/posts/{pid}/reactions", headers=author.headers).json()["items"][0]
    assert set(item) == {"user", "kind", "created_at"} and set(item["user"]) >= {"id", "username", "display_name"}
    # a cursor of the list by kind is not one of the whole list
    by_kind = client.get(f"{API}/posts/{pid}/reactions", params={"limit": 1, "kind": "like"}, headers=author.headers)
    r = client.get(
        f"{API}/posts/{pid}/reactions", params={"cursor": by_kind.json()["next_cursor"]}, headers=author.headers
    )
    assert_problem(r, 422, "invalid_cursor")


@pytest.mark.parametrize("who_blocks", ["reactor", "viewer"])
def test_reactors_blocked_either_way_are_left_out_but_counted(client: TestClient, api: Api, who_blocks: str) -> None:
    author, viewer, reactor = api.user("ra"), api.user("rv"), api.user("rr")
    api.connect(author, viewer)
    api.connect(author, reactor)
    pid = api.post(author)
    assert react(client, reactor, pid, "like") == 204
    assert react(client, viewer, pid, "like") == 204
    blocker, blocked = (reactor, viewer) if who_blocks == "reactor" else (viewer, reactor)
    api.call("POST", "/blocks", blocker, 204, json={"user_id": blocked.id})
    assert reactors(client, viewer, pid) == [(viewer.id, "like")]
    assert reactors(client, author, pid) == [(viewer.id, "like"), (reactor.id, "like")]
    assert post_as(client, viewer, pid)["reactions"] == {"like": 2}  # counts count everyone, as comment_count


@pytest.fixture
def audience(api: Api) -> dict[str, Any]:
    """An author's tags post and connections post; a member of the tag, a connection outside it, a stranger,
    and two former members: one the author blocked, one who blocked the author."""
    author = api.user("ra")
    users = {name: api.user(name[:2]) for name in ("member", "outside", "stranger", "blocked", "blocker")}
    for name in ("member", "outside", "blocked", "blocker"):
        api.connect(author, users[name])
    tag = api.tag(author, users["member"], users["blocked"], users["blocker"])
    posts = {"tags": api.post(author, [tag]), "connections": api.post(author)}
    api.call("POST", "/blocks", author, 204, json={"user_id": users["blocked"].id})
    api.call("POST", "/blocks", users["blocker"], 204, json={"user_id": author.id})
    return {"author": author, "users": users, "posts": posts}


@pytest.mark.parametrize("who", ["outside", "stranger", "blocked", "blocker"])
def test_nobody_outside_the_audience_reacts_unreacts_or_lists(
    client: TestClient, audience: dict[str, Any], who: str
) -> None:
    author, user = audience["author"], audience["users"][who]
    posts = ["tags"] if who == "outside" else ["tags", "connections"]  # outside sees the connections post
    for name in posts:
        pid = audience["posts"][name]
        missing = client.put(f"{API}/posts/999999999/reactions/like", headers=user.headers)
        for r in (
            client.put(f"{API}/posts/{pid}/reactions/like", headers=user.headers),
            client.delete(f"{API}/posts/{pid}/reactions/like", headers=user.headers),
            client.get(f"{API}/posts/{pid}/reactions", headers=user.headers),
        ):
            body = assert_problem(r, 404, "not_found")
            assert body["detail"] == missing.json()["detail"].replace("999999999", str(pid))
        assert post_as(client, author, pid)["reactions"] == {}
    # the member reacts to both
    member = audience["users"]["member"]
    for pid in audience["posts"].values():
        assert react(client, member, pid, "like") == 204
        assert reactors(client, member, pid) == [(member.id, "like")]


def test_many_users_reacting_at_once_keep_exact_counts(client: TestClient, api: Api) -> None:
    author = api.user("ra")
    friends = [api.user("rf") for _ in range(12)]
    for f in friends:
        api.connect(author, f)
    pid = api.post(author)
    kinds = ("like", "love", "laugh")
    calls = [(f, kind, method) for f in friends for kind in kinds for method in ("PUT", "PUT")]
    calls += [(f, "laugh", "DELETE") for f in friends[:4]]

    def call(c: tuple[AppUser, str, str]) -> int:
        return react(client, c[0], pid, c[1], c[2])

    with ThreadPoolExecutor(max_workers=12) as pool:
        codes = list(pool.map(call, calls))
    assert set(codes) == {204}
    # every PUT twice, some laughs taken back at the same time: whichever came first, the counts are exact
    counts = post_as(client, author, pid)["reactions"]
    listed = reactors(client, author, pid)
    assert counts["like"] == counts["love"] == 12
    assert counts.get("laugh", 0) == sum(1 for _, k in listed if k == "laugh")
    assert len(listed) == sum(counts.values())


def test_reactions_go_with_their_post(client: TestClient, api: Api, make_user: Callable[..., AppUser]) -> None:
    author, friend = api.user("ra"), make_user("rf")
    api.connect(author, friend)
    pid = api.post(author)
    assert react(client, friend, pid, "like") == 204
    assert client.delete(f"{API}/posts/{pid}", headers=author.headers).status_code == 204
    assert_problem(client.get(f"{API}/posts/{pid}/reactions", headers=friend.headers), 404, "not_found")
    assert_problem(client.put(f"{API}/posts/{pid}/reactions/like", headers=friend.headers), 404, "not_found")
