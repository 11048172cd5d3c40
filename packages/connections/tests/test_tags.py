"""Audience tags and their members (API.md, "Audience tags"). Tags are private: another's tag is 404."""

from __future__ import annotations

import pytest

API = "/api/v1"


def _problem(r, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["code"] == code


def _create(client, owner, name):
    return client.post(f"{API}/tags", json={"name": name}, headers=owner.headers)


# -- tags ----------------------------------------------------------------------------------------------


def test_create_tag_answers_201_tag(client, make_user):
    me = make_user()
    r = _create(client, me, "Family")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body == {"id": body["id"], "name": "Family", "member_count": 0}
    assert isinstance(body["id"], int)


def test_list_tags_all_by_name_with_member_counts(client, make_user, connect, make_tag):
    me, x, y = make_user(), make_user(), make_user()
    connect(me, x)
    connect(me, y)
    zoo = make_tag(me, x, name="zoo")
    climbing = make_tag(me, x, y, name="Climbing club")
    family = make_tag(me, name="family")
    make_tag(x, me, name="x's own")  # not mine
    r = client.get(f"{API}/tags", headers=me.headers)
    assert r.status_code == 200
    assert r.json() == {
        "items": [
            {"id": climbing, "name": "Climbing club", "member_count": 2},
            {"id": family, "name": "family", "member_count": 0},
            {"id": zoo, "name": "zoo", "member_count": 1},
        ]
    }
    assert client.get(f"{API}/tags", headers=make_user().headers).json() == {"items": []}


def test_tag_names_are_unique_per_owner_case_insensitively(client, make_user):
    me, other = make_user(), make_user()
    assert _create(client, me, "Family").status_code == 201
    _problem(_create(client, me, "family"), 409, "tag_exists")
    _problem(_create(client, me, "  FAMILY "), 409, "tag_exists")
    _problem(_create(client, me, "<b>Family</b>"), 409, "tag_exists")
    assert _create(client, other, "family").status_code == 201  # per owner


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  climbing   club ", "climbing club"),
        ("<b>Family</b>", "Family"),
        ("<script>alert(1)</script>Work", "Work"),
        ("Tom & Jerry", "Tom & Jerry"),
        ("a\x00b\tc\nd\u202ee", "a b c de"),
        ("é" * 50, "é" * 50),
        ("x" * 43 + "<i></i>", "x" * 43),  # 50 as typed: the limit counts what is sent (the schema's maxLength)
    ],
)
def test_tag_names_are_plain_text(client, make_user, raw, stored):
    me = make_user()
    r = _create(client, me, raw)
    assert r.status_code == 201, r.text
    assert r.json()["name"] == stored


@pytest.mark.parametrize(
    "name", ["", "   ", "<b></b>", "\x00\x01", "\u200b", "x" * 51, "x" * 48 + "<i></i>", "x" * 600]
)
def test_tag_names_must_be_1_to_50_characters(client, make_user, name):
    me = make_user()
    _problem(_create(client, me, name), 422, "validation_error")


def test_create_tag_body_is_checked(client, make_user):
    me = make_user()
    for body in ({}, {"name": None}, {"name": 5}, {"name": "ok", "extra": True}):
        _problem(client.post(f"{API}/tags", json=body, headers=me.headers), 422, "validation_error")


def test_rename_tag(client, make_user, connect, make_tag):
    me, x = make_user(), make_user()
    connect(me, x)
    tag = make_tag(me, x, name="family")
    other = make_tag(me, name="work")
    r = client.patch(f"{API}/tags/{tag}", json={"name": " Family <i>!</i>"}, headers=me.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"id": tag, "name": "Family !", "member_count": 1}
    # its own name in another case is fine; another tag's name is not
    assert client.patch(f"{API}/tags/{tag}", json={"name": "FAMILY !"}, headers=me.headers).status_code == 200
    _problem(client.patch(f"{API}/tags/{tag}", json={"name": "Work"}, headers=me.headers), 409, "tag_exists")
    _problem(client.patch(f"{API}/tags/{tag}", json={"name": ""}, headers=me.headers), 422, "validation_error")
    names = [t["name"] for t in client.get(f"{API}/tags", headers=me.headers).json()["items"]]
    assert names == ["FAMILY !", "work"]
    assert other


def test_rename_another_users_tag_is_404(client, make_user, make_tag):
    me, other = make_user(), make_user()
    theirs = make_tag(other, name="theirs")
    _problem(client.patch(f"{API}/tags/{theirs}", json={"name": "mine"}, headers=me.headers), 404, "not_found")
    _problem(client.patch(f"{API}/tags/987654321", json={"name": "mine"}, headers=me.headers), 404, "not_found")
    assert [t["name"] for t in client.get(f"{API}/tags", headers=other.headers).json()["items"]] == ["theirs"]


def test_delete_tag_takes_its_members_with_it(client, make_user, connect, make_tag, sql):
    me, x = make_user(), make_user()
    connect(me, x)
    tag = make_tag(me, x)
    kept = make_tag(me, x)
    r = client.delete(f"{API}/tags/{tag}", headers=me.headers)
    assert r.status_code == 204
    assert r.content == b""
    assert [t["id"] for t in client.get(f"{API}/tags", headers=me.headers).json()["items"]] == [kept]
    _problem(client.get(f"{API}/tags/{tag}/members", headers=me.headers), 404, "not_found")
    assert sql("SELECT count(*) FROM user_tag_members WHERE tag_id = :t", t=tag)[0][0] == 0
    items = client.get(f"{API}/connections", headers=me.headers).json()["items"]
    assert items[0]["tag_ids"] == [kept]
    _problem(client.delete(f"{API}/tags/{tag}", headers=me.headers), 404, "not_found")


def test_delete_another_users_tag_is_404(client, make_user, connect, make_tag):
    me, other, x = make_user(), make_user(), make_user()
    connect(other, x)
    theirs = make_tag(other, x)
    _problem(client.delete(f"{API}/tags/{theirs}", headers=me.headers), 404, "not_found")
    _problem(client.delete(f"{API}/tags/{theirs}", headers=x.headers), 404, "not_found")  # even its member
    assert client.get(f"{API}/tags", headers=other.headers).json()["items"][0]["member_count"] == 1


# -- members -------------------------------------------------------------------------------------------


def test_put_member_is_idempotent_and_listed(client, make_user, connect):
    me, x, y = make_user(), make_user(), make_user()
    connect(me, x)
    connect(y, me)
    tag = _create(client, me, "family").json()["id"]
    for _ in range(2):
        r = client.put(f"{API}/tags/{tag}/members/{x.id}", headers=me.headers)
        assert r.status_code == 204
        assert r.content == b""
    assert client.put(f"{API}/tags/{tag}/members/{y.id}", headers=me.headers).status_code == 204
    r = client.get(f"{API}/tags/{tag}/members", headers=me.headers)
    assert r.status_code == 200
    body = r.json()
    assert body["next_cursor"] is None
    assert [m["id"] for m in body["items"]] == [y.id, x.id]  # most recently added first
    assert body["items"][1] == {
        "id": x.id,
        "username": x.username,
        "display_name": x.username.title(),
        "avatar_url": None,
    }
    assert client.get(f"{API}/tags", headers=me.headers).json()["items"][0]["member_count"] == 2


def test_members_page_with_cursors(client, make_user, connect, make_tag):
    me = make_user()
    members = [make_user() for _ in range(3)]
    for m in members:
        connect(me, m)
    tag = make_tag(me, *members)
    first = client.get(f"{API}/tags/{tag}/members?limit=2", headers=me.headers).json()
    assert [m["id"] for m in first["items"]] == [members[2].id, members[1].id]
    second = client.get(
        f"{API}/tags/{tag}/members", params={"limit": 2, "cursor": first["next_cursor"]}, headers=me.headers
    ).json()
    assert [m["id"] for m in second["items"]] == [members[0].id]
    assert second["next_cursor"] is None
    other_tag = make_tag(me, *members)
    r = client.get(f"{API}/tags/{other_tag}/members", params={"cursor": first["next_cursor"]}, headers=me.headers)
    _problem(r, 422, "invalid_cursor")


def test_put_member_who_is_not_a_connection_is_409_not_connected(client, make_user, send_request):
    me, stranger, asked = make_user(), make_user(), make_user()
    send_request(me, asked)  # pending is not connected
    tag = _create(client, me, "family").json()["id"]
    for user_id in (stranger.id, asked.id, me.id, 987_654_321):
        _problem(client.put(f"{API}/tags/{tag}/members/{user_id}", headers=me.headers), 409, "not_connected")
    assert client.get(f"{API}/tags/{tag}/members", headers=me.headers).json()["items"] == []


def test_delete_member_is_idempotent(client, make_user, connect, make_tag):
    me, x, y = make_user(), make_user(), make_user()
    connect(me, x)
    connect(me, y)
    tag = make_tag(me, x, y)
    for _ in range(2):
        r = client.delete(f"{API}/tags/{tag}/members/{x.id}", headers=me.headers)
        assert r.status_code == 204
    assert client.delete(f"{API}/tags/{tag}/members/987654321", headers=me.headers).status_code == 204
    assert [m["id"] for m in client.get(f"{API}/tags/{tag}/members", headers=me.headers).json()["items"]] == [y.id]
    # x is still connected: only the membership went
    assert {i["user"]["id"] for i in client.get(f"{API}/connections", headers=me.headers).json()["items"]} == {
        x.id,
        y.id,
    }


def test_every_tag_route_answers_404_for_another_users_tag(client, make_user, connect, make_tag):
    owner, member, intruder = make_user(), make_user(), make_user()
    connect(owner, member)
    connect(intruder, member)  # the intruder is connected to the member too: still not their tag
    tag = make_tag(owner, member, name="secret")
    for who in (intruder, member):
        h = who.headers
        _problem(client.patch(f"{API}/tags/{tag}", json={"name": "mine"}, headers=h), 404, "not_found")
        _problem(client.delete(f"{API}/tags/{tag}", headers=h), 404, "not_found")
        _problem(client.get(f"{API}/tags/{tag}/members", headers=h), 404, "not_found")
        _problem(client.put(f"{API}/tags/{tag}/members/{member.id}", headers=h), 404, "not_found")
        _problem(client.delete(f"{API}/tags/{tag}/members/{member.id}", headers=h), 404, "not_found")
        assert tag not in [t["id"] for t in client.get(f"{API}/tags", headers=h).json()["items"]]
    # nothing changed for the owner
    assert client.get(f"{API}/tags", headers=owner.headers).json()["items"] == [
        {"id": tag, "name": "secret", "member_count": 1}
    ]


def test_unknown_tag_is_404_on_every_route(client, make_user, connect):
    me, x = make_user(), make_user()
    connect(me, x)
    missing = 987_654_321
    _problem(client.patch(f"{API}/tags/{missing}", json={"name": "n"}, headers=me.headers), 404, "not_found")
    _problem(client.delete(f"{API}/tags/{missing}", headers=me.headers), 404, "not_found")
    _problem(client.get(f"{API}/tags/{missing}/members", headers=me.headers), 404, "not_found")
    _problem(client.put(f"{API}/tags/{missing}/members/{x.id}", headers=me.headers), 404, "not_found")
    _problem(client.delete(f"{API}/tags/{missing}/members/{x.id}", headers=me.headers), 404, "not_found")
