"""The notifications API (API.md, "Notifications"): the shape of a notification, newest first with keyset
pages and polling, ``unread_only``, the unread count, and marking read by ``up_to_id`` or ``ids``."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from hearth_testing import API, Api, AppUser, assert_problem


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


def _page(client: TestClient, user: AppUser, **params: Any) -> dict[str, Any]:
    r = client.get(f"{API}/notifications", params=params, headers=user.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_a_notification_says_who_did_what_to_which_post(client: TestClient, api: Api) -> None:
    me, friend = api.user("nm"), api.user("nf")
    api.connect(friend, me)  # friend asks, I accept: I am told of the request, friend of the acceptance
    post = api.post(me)
    comment = api.comment(friend, post, "nice")
    api.react(friend, post, "love")
    items = _page(client, me)["items"]
    assert [(n["type"], n["post_id"], n["comment_id"]) for n in items] == [
        ("reaction", post, None),
        ("comment", post, comment),
        ("connection_request", None, None),
    ]
    first = items[0]
    assert set(first) == {"id", "type", "actor", "post_id", "comment_id", "created_at", "read"}
    assert first["actor"]["id"] == friend.id and first["actor"]["username"] == friend.username
    assert first["read"] is False
    assert [n["type"] for n in api.notifications(friend)] == ["connection_accepted"]


def test_pages_and_marking_read(client: TestClient, api: Api) -> None:
    me = api.user("nm")
    post = api.post(me)
    friends = [api.user("nf") for _ in range(5)]
    for f in friends:
        api.connect(me, f)
        api.comment(f, post)
    everything = [n["id"] for n in api.notifications(me)]  # 5 comments, 5 acceptances
    assert len(everything) == 10 and everything == sorted(everything, reverse=True)
    pages, cursor = [], None
    while True:
        page = _page(client, me, limit=3, **({"cursor": cursor} if cursor else {}))
        pages += [n["id"] for n in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == everything
    assert api.unread_count(me) == 10

    api.call("POST", "/notifications/read", me, 204, json={"up_to_id": everything[6]})  # the 4 oldest
    assert api.unread_count(me) == 6
    api.call("POST", "/notifications/read", me, 204, json={"ids": everything[:2]})
    assert api.unread_count(me) == 4
    unread = [n["id"] for n in api.notifications(me, unread_only=True)]
    assert unread == everything[2:6]
    assert [n["read"] for n in api.notifications(me)] == [True, True] + [False] * 4 + [True] * 4
    # someone else's ids change nothing for them (and say nothing)
    other = friends[0]
    theirs = [n["id"] for n in api.notifications(other)]
    api.call("POST", "/notifications/read", me, 204, json={"ids": theirs})
    assert api.unread_count(other) == len(theirs)


@pytest.mark.parametrize(
    "body",
    [{}, {"up_to_id": 5, "ids": [5]}, {"ids": []}, {"ids": [0]}, {"up_to_id": "5"}, {"ids": list(range(1, 102))}],
)
def test_marking_read_needs_exactly_one_of_up_to_id_and_ids(client: TestClient, api: Api, body: Any) -> None:
    me = api.user("nm")
    r = client.post(f"{API}/notifications/read", json=body, headers=me.headers)
    assert_problem(r, 422, "validation_error")


def test_polling_catches_up_in_order_and_cursors_are_bound(client: TestClient, api: Api) -> None:
    me, friend = api.user("nm"), api.user("nf")
    api.connect(me, friend)
    post = api.post(me)
    first = _page(client, me, limit=10)
    assert len(first["items"]) == 1  # the acceptance
    new = [api.comment(friend, post, f"c{i}") for i in range(5)]
    poll = _page(client, me, limit=2, newer_than=first["newer_cursor"])
    assert [n["comment_id"] for n in poll["items"]] == [new[1], new[0]]  # the 2 oldest new, newest first
    poll = _page(client, me, limit=2, newer_than=poll["newer_cursor"])
    assert [n["comment_id"] for n in poll["items"]] == [new[3], new[2]]
    poll = _page(client, me, limit=2, newer_than=poll["newer_cursor"])
    assert [n["comment_id"] for n in poll["items"]] == [new[4]]
    assert _page(client, me, newer_than=poll["newer_cursor"])["items"] == []

    unread_page = _page(client, me, limit=1, unread_only=True)
    for user, params in [
        (friend, {"newer_than": first["newer_cursor"]}),  # another caller
        (me, {"cursor": first["newer_cursor"]}),  # a poll cursor is not a page cursor
        (me, {"cursor": unread_page["next_cursor"]}),  # a cursor of the unread list is not one of the whole list
    ]:
        r = client.get(f"{API}/notifications", params=params, headers=user.headers)
        assert_problem(r, 422, "invalid_cursor")


def test_the_unread_count_is_what_the_unread_list_shows(client: TestClient, api: Api) -> None:
    me, friend, other = api.user("nm"), api.user("nf"), api.user("no")
    api.connect(me, friend)
    api.connect(me, other)
    tag = api.tag(me, friend)
    post = api.post(me, [tag])
    api.comment(friend, post)
    api.call("POST", "/blocks", me, 204, json={"user_id": friend.id})  # hides the acceptance and the comment
    listed = api.notifications(me, unread_only=True)
    assert [n["actor"]["id"] for n in listed] == [other.id]
    assert api.unread_count(me) == len(listed) == 1
    api.call("DELETE", f"/blocks/{friend.id}", me, 204)  # unblocking shows what was hidden again
    assert api.unread_count(me) == 3
