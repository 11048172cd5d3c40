"""Blocks: what a block ends, what it stops, and unblocking."""

from __future__ import annotations

API = "/api/v1"


def _problem(r, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["code"] == code


def _block(client, who, whom):
    return client.post(f"{API}/blocks", json={"user_id": whom.id}, headers=who.headers)


def _pair_rows(sql, a, b) -> dict[str, int]:
    params = {"a": a.id, "b": b.id}
    return {
        "connections": sql(
            "SELECT count(*) FROM connections WHERE user_a_id = least(:a, :b) AND user_b_id = greatest(:a, :b)",
            **params,
        )[0][0],
        "pending": sql(
            "SELECT count(*) FROM connection_requests WHERE status = 'pending'"
            " AND least(from_user_id, to_user_id) = least(:a, :b)"
            " AND greatest(from_user_id, to_user_id) = greatest(:a, :b)",
            **params,
        )[0][0],
        "memberships": sql(
            "SELECT count(*) FROM user_tag_members WHERE (owner_user_id = :a AND target_user_id = :b)"
            " OR (owner_user_id = :b AND target_user_id = :a)",
            **params,
        )[0][0],
    }


def test_block_ends_the_connection_and_both_sides_memberships(client, make_user, connect, make_tag, sql):
    a, b, c = make_user(), make_user(), make_user()
    connect(a, b)
    connect(a, c)
    a_tag = make_tag(a, b, c)
    b_tag = make_tag(b, a)
    assert _pair_rows(sql, a, b) == {"connections": 1, "pending": 0, "memberships": 2}
    r = _block(client, b, a)  # the one tagged blocks: both directions go all the same
    assert r.status_code == 204
    assert r.content == b""
    assert _pair_rows(sql, a, b) == {"connections": 0, "pending": 0, "memberships": 0}
    assert [i["user"]["id"] for i in client.get(f"{API}/connections", headers=a.headers).json()["items"]] == [c.id]
    assert client.get(f"{API}/connections", headers=b.headers).json()["items"] == []
    assert [m["id"] for m in client.get(f"{API}/tags/{a_tag}/members", headers=a.headers).json()["items"]] == [c.id]
    assert client.get(f"{API}/tags/{b_tag}/members", headers=b.headers).json()["items"] == []


def test_block_ends_pending_requests_both_ways(client, make_user, send_request, sql):
    a, b, c, d = make_user(), make_user(), make_user(), make_user()
    send_request(a, b)
    send_request(d, c)
    assert _block(client, a, b).status_code == 204  # the sender blocks
    assert _block(client, c, d).status_code == 204  # the recipient blocks
    assert _pair_rows(sql, a, b)["pending"] == 0
    assert _pair_rows(sql, c, d)["pending"] == 0
    for u in (a, b, c, d):
        for direction in ("incoming", "outgoing"):
            r = client.get(f"{API}/connections/requests?direction={direction}", headers=u.headers)
            assert r.json()["items"] == []


def test_after_a_block_requests_are_403_both_ways_and_tagging_is_409(
    client, make_user, connect, make_tag, send_request
):
    a, b = make_user(), make_user()
    connect(a, b)
    tag = make_tag(a)
    assert _block(client, a, b).status_code == 204
    _problem(send_request(a, b), 403, "blocked")
    _problem(send_request(b, a), 403, "blocked")
    _problem(client.put(f"{API}/tags/{tag}/members/{b.id}", headers=a.headers), 409, "not_connected")
    _problem(client.delete(f"{API}/connections/{b.id}", headers=a.headers), 404, "not_found")


def test_block_is_idempotent(client, make_user):
    a, b = make_user(), make_user()
    assert _block(client, a, b).status_code == 204
    assert _block(client, a, b).status_code == 204
    assert [u["id"] for u in client.get(f"{API}/blocks", headers=a.headers).json()["items"]] == [b.id]


def test_both_can_block_each_other(client, make_user, send_request):
    a, b = make_user(), make_user()
    assert _block(client, a, b).status_code == 204
    assert _block(client, b, a).status_code == 204
    assert client.delete(f"{API}/blocks/{b.id}", headers=a.headers).status_code == 204
    _problem(send_request(a, b), 403, "blocked")  # b still blocks a
    assert client.delete(f"{API}/blocks/{a.id}", headers=b.headers).status_code == 204
    assert send_request(a, b).status_code == 201


def test_block_yourself_is_422_self_block(client, make_user):
    a = make_user()
    _problem(_block(client, a, a), 422, "self_block")


def test_block_an_unknown_user_is_404(client, make_user):
    a = make_user()
    for user_id in (987_654_321, 0, 2**64):
        _problem(client.post(f"{API}/blocks", json={"user_id": user_id}, headers=a.headers), 404, "not_found")
    _problem(client.post(f"{API}/blocks", json={}, headers=a.headers), 422, "validation_error")


def test_unblock_answers_204_and_requests_work_again(client, make_user, send_request):
    a, b = make_user(), make_user()
    _block(client, a, b)
    r = client.delete(f"{API}/blocks/{b.id}", headers=a.headers)
    assert r.status_code == 204
    assert client.get(f"{API}/blocks", headers=a.headers).json() == {"items": [], "next_cursor": None}
    assert send_request(b, a).status_code == 201


def test_unblock_is_404_when_not_blocked(client, make_user):
    a, b, c = make_user(), make_user(), make_user()
    _problem(client.delete(f"{API}/blocks/{b.id}", headers=a.headers), 404, "not_found")
    _block(client, a, b)
    # neither the blocked user nor a third user can lift a's block
    _problem(client.delete(f"{API}/blocks/{a.id}", headers=b.headers), 404, "not_found")
    _problem(client.delete(f"{API}/blocks/{b.id}", headers=c.headers), 404, "not_found")
    _problem(client.delete(f"{API}/blocks/987654321", headers=a.headers), 404, "not_found")
    assert [u["id"] for u in client.get(f"{API}/blocks", headers=a.headers).json()["items"]] == [b.id]


def test_list_blocks_newest_first_and_paged(client, make_user):
    me = make_user()
    blocked = [make_user() for _ in range(3)]
    for u in blocked:
        _block(client, me, u)
    _block(client, make_user(), me)  # being blocked is not in my list
    first = client.get(f"{API}/blocks?limit=2", headers=me.headers).json()
    assert first["items"][0] == {
        "id": blocked[2].id,
        "username": blocked[2].username,
        "display_name": blocked[2].username.title(),
        "avatar_url": None,
    }
    assert [u["id"] for u in first["items"]] == [blocked[2].id, blocked[1].id]
    second = client.get(f"{API}/blocks", params={"limit": 2, "cursor": first["next_cursor"]}, headers=me.headers)
    assert [u["id"] for u in second.json()["items"]] == [blocked[0].id]
    assert second.json()["next_cursor"] is None
    other = make_user()
    r = client.get(f"{API}/blocks", params={"cursor": first["next_cursor"]}, headers=other.headers)
    _problem(r, 422, "invalid_cursor")
