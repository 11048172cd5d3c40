"""Polling a newest-first list (API.md, Conventions): ``newer_cursor`` on every page, ``?newer_than=C``.

A client that keeps polling with the fresh ``newer_cursor`` of each answer sees every post it may see that
was written after its first page, exactly once, newest first within an answer and without a gap when more
than ``limit`` arrive between two polls.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from hearth_testing import Api, AppUser, assert_problem

API = "/api/v1"


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


def get(client: TestClient, path: str, user: AppUser, **params: Any) -> dict[str, Any]:
    r = client.get(f"{API}{path}", params=params, headers=user.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def ids(page: dict[str, Any]) -> list[int]:
    return [p["id"] for p in page["items"]]


@pytest.mark.parametrize("list_path", ["/feed", "/users/{author}/posts"])
def test_polling_catches_up_in_order_without_gaps(client: TestClient, api: Api, list_path: str) -> None:
    viewer, author = api.user("pv"), api.user("pa")
    api.connect(viewer, author)
    path = list_path.format(author=author.id)
    old = [api.post(author) for _ in range(2)]
    first = get(client, path, viewer, limit=10)
    assert ids(first) == old[::-1]
    assert first["newer_cursor"]

    # nothing new yet: an empty answer that polls from the same place
    nothing = get(client, path, viewer, limit=10, newer_than=first["newer_cursor"])
    assert nothing["items"] == [] and nothing["next_cursor"] is None and nothing["newer_cursor"]

    new = [api.post(author) for _ in range(5)]
    poll = get(client, path, viewer, limit=2, newer_than=nothing["newer_cursor"])
    assert ids(poll) == [new[1], new[0]]  # the 2 oldest of the 5 new, newest first
    poll = get(client, path, viewer, limit=2, newer_than=poll["newer_cursor"])
    assert ids(poll) == [new[3], new[2]]
    poll = get(client, path, viewer, limit=2, newer_than=poll["newer_cursor"])
    assert ids(poll) == [new[4]]
    poll = get(client, path, viewer, limit=2, newer_than=poll["newer_cursor"])
    assert poll["items"] == []


def test_a_poll_shows_only_what_the_viewer_may_see(client: TestClient, api: Api) -> None:
    viewer, author, other = api.user("pv"), api.user("pa"), api.user("po")
    api.connect(viewer, author)
    api.connect(other, author)
    only_other = api.tag(author, other)
    top = get(client, "/feed", viewer)["newer_cursor"]
    hidden = api.post(author, [only_other])
    shown = api.post(author)
    assert ids(get(client, "/feed", viewer, newer_than=top)) == [shown]
    assert ids(get(client, "/feed", other, newer_than=get(client, "/feed", other)["newer_cursor"])) == []
    assert hidden != shown


def test_an_empty_feed_polls_from_the_beginning(client: TestClient, api: Api) -> None:
    viewer, author = api.user("pv"), api.user("pa")
    empty = get(client, "/feed", viewer)
    assert empty["items"] == [] and empty["newer_cursor"]
    api.connect(viewer, author)
    post = api.post(author)
    assert ids(get(client, "/feed", viewer, newer_than=empty["newer_cursor"])) == [post]


def test_a_poll_cursor_is_bound_to_its_caller_and_its_list(client: TestClient, api: Api) -> None:
    viewer, author = api.user("pv"), api.user("pa")
    api.connect(viewer, author)
    api.post(author)
    api.post(author)
    page = get(client, "/feed", viewer, limit=1)
    newer, nxt = page["newer_cursor"], page["next_cursor"]
    for user, path, params in [
        (author, "/feed", {"newer_than": newer}),  # another caller
        (viewer, f"/users/{author.id}/posts", {"newer_than": newer}),  # another list
        (viewer, "/feed", {"newer_than": nxt}),  # a next-page cursor is not a poll cursor
        (viewer, "/feed", {"cursor": newer}),  # nor the other way round
        (viewer, "/feed", {"newer_than": newer[:-2] + "xx"}),  # tampered
    ]:
        r = client.get(f"{API}{path}", params=params, headers=user.headers)
        assert_problem(r, 422, "invalid_cursor")


def test_a_page_cursor_is_not_valid_in_a_poll(client: TestClient, api: Api) -> None:
    viewer, author = api.user("pv"), api.user("pa")
    api.connect(viewer, author)
    api.post(author)
    api.post(author)
    page = get(client, "/feed", viewer, limit=1)
    r = client.get(
        f"{API}/feed",
        params={"cursor": page["next_cursor"], "newer_than": page["newer_cursor"]},
        headers=viewer.headers,
    )
    assert_problem(r, 422, "invalid_cursor")
