"""Connections: the list (with the caller's own tags on each) and disconnecting."""

from __future__ import annotations

API = "/api/v1"


def _problem(r, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["code"] == code


def test_list_connections_newest_first_with_the_callers_own_tag_ids(client, make_user, connect, make_tag):
    me, x, y, z = make_user(), make_user(), make_user(), make_user()
    connect(me, x)
    connect(y, me)
    connect(me, z)
    family = make_tag(me, x, z)
    club = make_tag(me, x)
    make_tag(x, me)  # x's tag on me: private to x, never in my list
    r = client.get(f"{API}/connections", headers=me.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["next_cursor"] is None
    assert [i["user"]["id"] for i in body["items"]] == [z.id, y.id, x.id]
    assert set(body["items"][0]) == {"user", "connected_at", "tag_ids"}
    assert body["items"][0]["user"] == {
        "id": z.id,
        "username": z.username,
        "display_name": z.username.title(),
        "avatar_url": None,
    }
    tags = {i["user"]["id"]: i["tag_ids"] for i in body["items"]}
    assert tags == {z.id: [family], y.id: [], x.id: sorted([family, club])}
    # x sees its own tag on me, not mine on x
    x_items = client.get(f"{API}/connections", headers=x.headers).json()["items"]
    assert len(x_items) == 1
    assert x_items[0]["user"]["id"] == me.id
    assert x_items[0]["tag_ids"] != [] and not set(x_items[0]["tag_ids"]) & {family, club}


def test_list_connections_pages_without_repeats_or_gaps(client, make_user, connect):
    me = make_user()
    others = [make_user() for _ in range(5)]
    for o in others:
        connect(o, me)
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = client.get(f"{API}/connections", params=params, headers=me.headers).json()
        seen += [i["user"]["id"] for i in body["items"]]
        if len(seen) == 2:  # a connection made while paging is not part of the pages already begun
            connect(make_user(), me)
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [o.id for o in reversed(others)]


def test_connection_cursors_are_bound_to_the_caller(client, make_user, connect):
    me, other = make_user(), make_user()
    for _ in range(2):
        connect(me, make_user())
    cursor = client.get(f"{API}/connections?limit=1", headers=me.headers).json()["next_cursor"]
    r = client.get(f"{API}/connections", params={"cursor": cursor}, headers=other.headers)
    _problem(r, 422, "invalid_cursor")


def test_remove_connection_disconnects_both_and_drops_both_sides_tag_memberships(
    client, make_user, connect, make_tag, sql
):
    a, b, c = make_user(), make_user(), make_user()
    connect(a, b)
    connect(a, c)
    a_tag = make_tag(a, b, c)
    b_tag = make_tag(b, a)
    r = client.delete(f"{API}/connections/{b.id}", headers=a.headers)
    assert r.status_code == 204
    assert r.content == b""
    assert [i["user"]["id"] for i in client.get(f"{API}/connections", headers=a.headers).json()["items"]] == [c.id]
    assert client.get(f"{API}/connections", headers=b.headers).json()["items"] == []
    a_members = client.get(f"{API}/tags/{a_tag}/members", headers=a.headers).json()["items"]
    assert [m["id"] for m in a_members] == [c.id]  # c stays in a's tag
    assert client.get(f"{API}/tags/{b_tag}/members", headers=b.headers).json()["items"] == []
    rows = sql(
        "SELECT count(*) FROM user_tag_members WHERE (owner_user_id = :a AND target_user_id = :b)"
        " OR (owner_user_id = :b AND target_user_id = :a)",
        a=a.id,
        b=b.id,
    )
    assert rows[0][0] == 0
    # and they can connect again, without the old memberships coming back
    connect(b, a)
    items = client.get(f"{API}/connections", headers=a.headers).json()["items"]
    assert {i["user"]["id"]: i["tag_ids"] for i in items}[b.id] == []


def test_remove_connection_is_404_when_not_connected(client, make_user, connect, send_request):
    a, b, c = make_user(), make_user(), make_user()
    _problem(client.delete(f"{API}/connections/{b.id}", headers=a.headers), 404, "not_found")
    send_request(a, b)  # pending is not connected
    _problem(client.delete(f"{API}/connections/{b.id}", headers=a.headers), 404, "not_found")
    _problem(client.delete(f"{API}/connections/{a.id}", headers=a.headers), 404, "not_found")
    _problem(client.delete(f"{API}/connections/987654321", headers=a.headers), 404, "not_found")
    # a third user cannot remove someone else's connection
    d = make_user()
    connect(a, d)
    _problem(client.delete(f"{API}/connections/{d.id}", headers=c.headers), 404, "not_found")
    _problem(client.delete(f"{API}/connections/{a.id}", headers=c.headers), 404, "not_found")
    assert [i["user"]["id"] for i in client.get(f"{API}/connections", headers=a.headers).json()["items"]] == [d.id]


def test_remove_connection_twice_is_404_the_second_time(client, make_user, connect):
    a, b = make_user(), make_user()
    connect(a, b)
    assert client.delete(f"{API}/connections/{a.id}", headers=b.headers).status_code == 204
    _problem(client.delete(f"{API}/connections/{b.id}", headers=a.headers), 404, "not_found")
