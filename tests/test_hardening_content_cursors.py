"""Issue 12, item 6: every paged list refuses a cursor that is not its own with ``422 invalid_cursor``
(API.md, Conventions): one issued to another caller, one of another list, one that is validly signed but
holds values of the wrong shape, and one of 5,000 characters. Nothing of it is ever a 500 or a
``validation_error``.

The wrong-shape cursors are signed with the test apps' secret through the codec, bound exactly as the app
binds them: a right-shape cursor forged the same way is accepted, so the refusals are the shape checks.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hearth_platform.pagination import CursorCodec, cursor_kind
from hearth_testing import API, SECRET_KEY, Api, AppUser

Params = dict[str, Any]


@dataclass
class World:
    prefix: str  # every user here has a username starting with it (a search with two results and more)
    a: AppUser  # owns every list below, with at least two items in each
    b: AppUser  # connected to ``a``: sees ``a``'s posts and comments
    posts: list[int]  # a's, both commented on twice
    tags: list[int]  # a's, two members each
    b_tag: int  # b's own tag (holding a)


@pytest.fixture(scope="module")
def world(client: TestClient) -> World:
    api = Api(client)
    prefix = f"cz{uuid.uuid4().hex[:6]}"
    a, b, c, d = (api.user(prefix) for _ in range(4))
    for other in (b, c, d):
        api.connect(a, other)
    for requester in (api.user(prefix), api.user(prefix)):  # two incoming
        api.call("POST", "/connections/requests", requester, 201, json={"user_id": a.id})
    for target in (api.user(prefix), api.user(prefix)):  # two outgoing
        api.call("POST", "/connections/requests", a, 201, json={"user_id": target.id})
    for target in (api.user(prefix), api.user(prefix)):  # two blocked
        api.call("POST", "/blocks", a, 204, json={"user_id": target.id})
    posts = [api.post(a), api.post(a)]
    for post in posts:
        api.comment(a, post)
        api.comment(b, post)
    tags = [api.tag(a, c, d), api.tag(a, b, c)]
    api.post(c), api.post(d)  # the feed of tags[0]
    return World(prefix, a, b, posts, tags, api.tag(b, a))


@dataclass(frozen=True)
class List:
    """A paged list: its URL for the world and the kind its service signs cursors for."""

    name: str
    path: Callable[[World], str]
    params: Callable[[World], Params]
    kind: Callable[[World, AppUser], str]
    shape: str = "keyset"  # or "username"


def _none(w: World) -> Params:
    return {}


LISTS = [
    List("feed", lambda w: "/feed", _none, lambda w, u: f"feed:{u.id}:0"),
    List("feed by tag", lambda w: "/feed", lambda w: {"tag_id": w.tags[0]}, lambda w, u: f"feed:{u.id}:{w.tags[0]}"),
    List("user posts", lambda w: f"/users/{w.a.id}/posts", _none, lambda w, u: f"user-posts:{u.id}:{w.a.id}"),
    List("comments", lambda w: f"/posts/{w.posts[0]}/comments", _none, lambda w, u: f"comments:{u.id}:{w.posts[0]}"),
    List("connections", lambda w: "/connections", _none, lambda w, u: f"connections:{u.id}"),
    List(
        "incoming requests",
        lambda w: "/connections/requests",
        lambda w: {"direction": "incoming"},
        lambda w, u: f"connection-requests:incoming:{u.id}",
    ),
    List(
        "outgoing requests",
        lambda w: "/connections/requests",
        lambda w: {"direction": "outgoing"},
        lambda w, u: f"connection-requests:outgoing:{u.id}",
    ),
    List("tag members", lambda w: f"/tags/{w.tags[0]}/members", _none, lambda w, u: f"tag-members:{w.tags[0]}:{u.id}"),
    List("blocks", lambda w: "/blocks", _none, lambda w, u: f"blocks:{u.id}"),
    List("search", lambda w: "/users", lambda w: {"q": w.prefix}, lambda w, u: f"users:{u.id}:{w.prefix}", "username"),
]
IDS = [x.name for x in LISTS]


def _get(client: TestClient, w: World, lst: List, user: AppUser, **params: Any) -> Any:
    return client.get(f"{API}{lst.path(w)}", params={**lst.params(w), **params}, headers=user.headers)


def _first_cursor(client: TestClient, w: World, lst: List) -> str:
    r = _get(client, w, lst, w.a, limit=1)
    assert r.status_code == 200, r.text
    cursor: str = r.json()["next_cursor"]
    assert cursor, f"{lst.name}: the world should give a second page"
    return cursor


def _forged(w: World, lst: List, values: list[Any]) -> str:
    """A cursor signed with the test secret for ``a`` on ``lst``, holding ``values``."""
    return CursorCodec(SECRET_KEY).encode(cursor_kind(w.a.id, f"{API}{lst.path(w)}", lst.kind(w, w.a)), values)


@pytest.mark.parametrize("lst", LISTS, ids=IDS)
def test_a_cursor_works_for_its_caller_on_its_list(client: TestClient, world: World, lst: List) -> None:
    r = _get(client, world, lst, world.a, limit=1, cursor=_first_cursor(client, world, lst))
    assert r.status_code == 200, r.text
    assert len(r.json()["items"]) == 1


@pytest.mark.parametrize("lst", LISTS, ids=IDS)
def test_a_cursor_of_another_caller_is_refused(
    client: TestClient, world: World, lst: List, assert_problem: Callable[..., Any]
) -> None:
    cursor = _first_cursor(client, world, lst)
    r = _get(client, world, lst, world.b, cursor=cursor)
    if lst.name in ("feed by tag", "tag members") and r.status_code == 404:
        assert_problem(r, 404, "not_found")  # a's tag does not exist for b: refused before its cursor is read
    else:
        assert_problem(r, 422, "invalid_cursor")


# each list, and another list the same caller may read, where its cursor must not work
OTHER: dict[str, tuple[str, Callable[[World], Params]]] = {
    "feed": ("/blocks", _none),
    "feed by tag": ("/feed", _none),
    "user posts": ("/feed", _none),
    "comments": ("/posts/{posts[1]}/comments", _none),
    "connections": ("/blocks", _none),
    "incoming requests": ("/connections/requests", lambda w: {"direction": "outgoing"}),
    "outgoing requests": ("/connections/requests", lambda w: {"direction": "incoming"}),
    "tag members": ("/tags/{tags[1]}/members", _none),
    "blocks": ("/connections", _none),
    "search": ("/users", lambda w: {"q": w.prefix[:-1]}),
}


@pytest.mark.parametrize("lst", LISTS, ids=IDS)
def test_a_cursor_of_another_list_is_refused(
    client: TestClient, world: World, lst: List, assert_problem: Callable[..., Any]
) -> None:
    cursor = _first_cursor(client, world, lst)
    path, params = OTHER[lst.name]
    url = f"{API}{path.format(posts=world.posts, tags=world.tags)}"
    r = client.get(url, params={**params(world), "cursor": cursor}, headers=world.a.headers)
    assert_problem(r, 422, "invalid_cursor")
    # and the other list's own cursor is fine there: what is refused is the foreign one
    assert client.get(url, params=params(world), headers=world.a.headers).status_code == 200


GOOD = {"keyset": [{"t": "2999-01-01T00:00:00+00:00"}, 2**62], "username": [""]}
WRONG_SHAPES = {
    "keyset": [
        [{"t": "2999-01-01T00:00:00+00:00"}, 2**63],  # an id beyond a bigint
        [{"t": "2999-01-01T00:00:00+00:00"}, -(2**63) - 1],
        [{"t": "0001-01-01T00:00:00+05:00"}, 1],  # a time before year 1 in UTC
        [{"t": "9999-12-31T23:59:59-05:00"}, 1],  # after year 9999 in UTC
        [{"t": "2026-01-01T00:00:00"}, 1],  # no time zone
        [{"t": "2026-01-01T00:00:00+00:00"}, "1"],
        [{"t": "2026-01-01T00:00:00+00:00"}, True],
        [{"t": "2026-01-01T00:00:00+00:00"}, 1.0],
        [{"t": "2026-01-01T00:00:00+00:00"}, 1, 2],
        ["2026-01-01T00:00:00+00:00", 1],
        [1, 1],
        [],
    ],
    "username": [[5], [None], ["a", "b"], ["a\x00b"], [{"t": "2026-01-01T00:00:00+00:00"}], []],
}


@pytest.mark.parametrize("lst", LISTS, ids=IDS)
def test_a_validly_signed_cursor_of_the_wrong_shape_is_refused(
    client: TestClient, world: World, lst: List, assert_problem: Callable[..., Any]
) -> None:
    # the forgery is bound as the app binds: the right shape is taken (a page after the last item: empty)
    r = _get(client, world, lst, world.a, cursor=_forged(world, lst, GOOD[lst.shape]))
    assert r.status_code == 200, r.text
    for values in WRONG_SHAPES[lst.shape]:
        r = _get(client, world, lst, world.a, cursor=_forged(world, lst, values))
        assert_problem(r, 422, "invalid_cursor")


@pytest.mark.parametrize("length", [513, 5_000])
@pytest.mark.parametrize("lst", LISTS, ids=IDS)
def test_an_overlong_cursor_is_invalid_cursor(
    client: TestClient, world: World, lst: List, length: int, assert_problem: Callable[..., Any]
) -> None:
    real = _first_cursor(client, world, lst)
    for cursor in ("A" * length, (real * (length // len(real) + 1))[:length]):
        assert_problem(_get(client, world, lst, world.a, cursor=cursor), 422, "invalid_cursor")
