"""Connection requests: send, list, accept, reject, cancel (API.md, "Connections and blocks")."""

from __future__ import annotations

from datetime import datetime

API = "/api/v1"


def _problem(r, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code


def _summary(u) -> dict:
    return {"id": u.id, "username": u.username, "display_name": u.username.title(), "avatar_url": None}


# -- sending -------------------------------------------------------------------------------------------


def test_send_request_answers_201_with_both_users(client, make_user, send_request):
    a, b = make_user(), make_user()
    r = send_request(a, b)
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"id", "from_user", "to_user", "status", "created_at"}
    assert isinstance(body["id"], int)
    assert body["from_user"] == _summary(a)
    assert body["to_user"] == _summary(b)
    assert body["status"] == "pending"
    assert body["created_at"].endswith("Z")
    datetime.fromisoformat(body["created_at"])


def test_send_request_to_yourself_is_422_self_request(make_user, send_request):
    a = make_user()
    _problem(send_request(a, a), 422, "self_request")


def test_send_request_to_unknown_user_is_404(client, make_user):
    a = make_user()
    for user_id in (987_654_321, 2**63 - 1, 2**70, 0, -5):
        r = client.post(f"{API}/connections/requests", json={"user_id": user_id}, headers=a.headers)
        _problem(r, 404, "not_found")


def test_send_request_needs_a_user_id(client, make_user):
    a = make_user()
    for body in ({}, {"user_id": "12"}, {"user_id": None}, {"user_id": 1.5}, {"user_id": 1, "extra": 1}):
        r = client.post(f"{API}/connections/requests", json=body, headers=a.headers)
        _problem(r, 422, "validation_error")


def test_send_request_needs_a_token(client, make_user):
    b = make_user()
    r = client.post(f"{API}/connections/requests", json={"user_id": b.id})
    _problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"


def test_send_request_when_connected_is_409_already_connected(make_user, connect, send_request):
    a, b = make_user(), make_user()
    connect(a, b)
    _problem(send_request(a, b), 409, "already_connected")
    _problem(send_request(b, a), 409, "already_connected")


def test_send_request_when_pending_either_way_is_409_request_pending(make_user, send_request):
    a, b = make_user(), make_user()
    assert send_request(a, b).status_code == 201
    _problem(send_request(a, b), 409, "request_pending")
    _problem(send_request(b, a), 409, "request_pending")


def test_send_request_when_blocked_either_way_is_403_blocked(client, make_user, send_request):
    a, b = make_user(), make_user()
    assert client.post(f"{API}/blocks", json={"user_id": b.id}, headers=a.headers).status_code == 204
    _problem(send_request(a, b), 403, "blocked")
    _problem(send_request(b, a), 403, "blocked")


def test_a_new_request_can_follow_a_rejected_or_cancelled_one(client, make_user, send_request):
    a, b = make_user(), make_user()
    first = send_request(a, b).json()["id"]
    assert client.post(f"{API}/connections/requests/{first}/reject", headers=b.headers).status_code == 204
    second = send_request(a, b)
    assert second.status_code == 201
    assert client.delete(f"{API}/connections/requests/{second.json()['id']}", headers=a.headers).status_code == 204
    assert send_request(b, a).status_code == 201


# -- listing -------------------------------------------------------------------------------------------


def test_list_incoming_and_outgoing_pending_newest_first(client, make_user, send_request):
    me, x, y, z = make_user(), make_user(), make_user(), make_user()
    r1 = send_request(x, me).json()
    r2 = send_request(y, me).json()
    r3 = send_request(me, z).json()
    incoming = client.get(f"{API}/connections/requests", params={"direction": "incoming"}, headers=me.headers)
    assert incoming.status_code == 200, incoming.text
    assert incoming.json() == {"items": [r2, r1], "next_cursor": None}
    outgoing = client.get(f"{API}/connections/requests", params={"direction": "outgoing"}, headers=me.headers)
    assert outgoing.json() == {"items": [r3], "next_cursor": None}
    # z sees it as incoming, x and y as outgoing
    z_in = client.get(f"{API}/connections/requests?direction=incoming", headers=z.headers).json()
    assert [i["id"] for i in z_in["items"]] == [r3["id"]]
    x_out = client.get(f"{API}/connections/requests?direction=outgoing", headers=x.headers).json()
    assert [i["id"] for i in x_out["items"]] == [r1["id"]]


def test_lists_hold_pending_requests_only(client, make_user, send_request, connect):
    me, x, y, z = make_user(), make_user(), make_user(), make_user()
    connect(x, me)  # accepted
    rejected = send_request(y, me).json()["id"]
    client.post(f"{API}/connections/requests/{rejected}/reject", headers=me.headers)
    pending = send_request(z, me).json()["id"]
    items = client.get(f"{API}/connections/requests?direction=incoming", headers=me.headers).json()["items"]
    assert [i["id"] for i in items] == [pending]


def test_direction_is_required_and_checked(client, make_user):
    me = make_user()
    _problem(client.get(f"{API}/connections/requests", headers=me.headers), 422, "validation_error")
    _problem(client.get(f"{API}/connections/requests?direction=both", headers=me.headers), 422, "validation_error")


def test_list_requests_pages_with_cursors_without_repeats_or_gaps(client, make_user, send_request):
    me = make_user()
    senders = [make_user() for _ in range(5)]
    ids = [send_request(s, me).json()["id"] for s in senders]
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"direction": "incoming", "limit": 2} | ({"cursor": cursor} if cursor else {})
        body = client.get(f"{API}/connections/requests", params=params, headers=me.headers).json()
        seen += [i["id"] for i in body["items"]]
        pages += 1
        if pages == 1:  # a request written while paging is not part of the pages already begun
            send_request(make_user(), me)
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    assert pages == 3


def test_request_cursors_are_bound_to_their_list(client, make_user, send_request):
    me, other = make_user(), make_user()
    for _ in range(3):
        send_request(make_user(), me)
        send_request(make_user(), other)
    first = client.get(f"{API}/connections/requests?direction=incoming&limit=1", headers=me.headers).json()
    cursor = first["next_cursor"]
    assert cursor
    # another user's list, the other direction, a tampered cursor: all refused
    for headers, direction, c in (
        (other.headers, "incoming", cursor),
        (me.headers, "outgoing", cursor),
        (me.headers, "incoming", cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")),
        (me.headers, "incoming", "garbage"),
    ):
        r = client.get(f"{API}/connections/requests", params={"direction": direction, "cursor": c}, headers=headers)
        _problem(r, 422, "invalid_cursor")


def test_list_limit_is_1_to_100(client, make_user):
    me = make_user()
    for limit in (0, 101, -1):
        r = client.get(f"{API}/connections/requests?direction=incoming&limit={limit}", headers=me.headers)
        _problem(r, 422, "validation_error")


# -- accepting -----------------------------------------------------------------------------------------


def test_accept_answers_the_new_connection(client, make_user, send_request):
    a, b = make_user(), make_user()
    request_id = send_request(a, b).json()["id"]
    r = client.post(f"{API}/connections/requests/{request_id}/accept", headers=b.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"user", "connected_at"}
    assert body["user"] == _summary(a) | {"bio": "", "connection_status": "connected"}
    assert body["connected_at"].endswith("Z")
    # both see each other as connections now, and the request is no longer pending
    for me, other in ((a, b), (b, a)):
        items = client.get(f"{API}/connections", headers=me.headers).json()["items"]
        assert [(i["user"]["id"], i["connected_at"]) for i in items] == [(other.id, body["connected_at"])]
    assert client.get(f"{API}/connections/requests?direction=incoming", headers=b.headers).json()["items"] == []


def test_accept_is_404_for_anyone_but_the_recipient(client, make_user, send_request):
    a, b, c = make_user(), make_user(), make_user()
    request_id = send_request(a, b).json()["id"]
    _problem(client.post(f"{API}/connections/requests/{request_id}/accept", headers=a.headers), 404, "not_found")
    _problem(client.post(f"{API}/connections/requests/{request_id}/accept", headers=c.headers), 404, "not_found")
    # still pending for b
    assert client.post(f"{API}/connections/requests/{request_id}/accept", headers=b.headers).status_code == 200


def test_accept_is_404_unless_pending(client, make_user, send_request):
    a, b = make_user(), make_user()
    request_id = send_request(a, b).json()["id"]
    assert client.post(f"{API}/connections/requests/{request_id}/accept", headers=b.headers).status_code == 200
    _problem(client.post(f"{API}/connections/requests/{request_id}/accept", headers=b.headers), 404, "not_found")
    _problem(client.post(f"{API}/connections/requests/{request_id}/reject", headers=b.headers), 404, "not_found")
    _problem(client.delete(f"{API}/connections/requests/{request_id}", headers=a.headers), 404, "not_found")


def test_accept_of_an_unknown_request_is_404(client, make_user):
    b = make_user()
    _problem(client.post(f"{API}/connections/requests/987654321/accept", headers=b.headers), 404, "not_found")
    r = client.post(f"{API}/connections/requests/not-a-number/accept", headers=b.headers)
    _problem(r, 422, "validation_error")


# -- rejecting and cancelling --------------------------------------------------------------------------


def test_reject_answers_204_and_nobody_is_connected(client, make_user, send_request):
    a, b = make_user(), make_user()
    request_id = send_request(a, b).json()["id"]
    r = client.post(f"{API}/connections/requests/{request_id}/reject", headers=b.headers)
    assert r.status_code == 204
    assert r.content == b""
    assert client.get(f"{API}/connections", headers=a.headers).json()["items"] == []
    assert client.get(f"{API}/connections/requests?direction=outgoing", headers=a.headers).json()["items"] == []
    _problem(client.post(f"{API}/connections/requests/{request_id}/reject", headers=b.headers), 404, "not_found")


def test_reject_is_404_for_anyone_but_the_recipient(client, make_user, send_request):
    a, b, c = make_user(), make_user(), make_user()
    request_id = send_request(a, b).json()["id"]
    _problem(client.post(f"{API}/connections/requests/{request_id}/reject", headers=a.headers), 404, "not_found")
    _problem(client.post(f"{API}/connections/requests/{request_id}/reject", headers=c.headers), 404, "not_found")
    _problem(client.post(f"{API}/connections/requests/987654321/reject", headers=b.headers), 404, "not_found")
    assert client.post(f"{API}/connections/requests/{request_id}/reject", headers=b.headers).status_code == 204


def test_cancel_answers_204_for_the_sender(client, make_user, send_request):
    a, b = make_user(), make_user()
    request_id = send_request(a, b).json()["id"]
    r = client.delete(f"{API}/connections/requests/{request_id}", headers=a.headers)
    assert r.status_code == 204
    assert client.get(f"{API}/connections/requests?direction=incoming", headers=b.headers).json()["items"] == []
    _problem(client.post(f"{API}/connections/requests/{request_id}/accept", headers=b.headers), 404, "not_found")
    _problem(client.delete(f"{API}/connections/requests/{request_id}", headers=a.headers), 404, "not_found")


def test_cancel_is_404_for_anyone_but_the_sender(client, make_user, send_request):
    a, b, c = make_user(), make_user(), make_user()
    request_id = send_request(a, b).json()["id"]
    _problem(client.delete(f"{API}/connections/requests/{request_id}", headers=b.headers), 404, "not_found")
    _problem(client.delete(f"{API}/connections/requests/{request_id}", headers=c.headers), 404, "not_found")
    _problem(client.delete(f"{API}/connections/requests/987654321", headers=a.headers), 404, "not_found")
    assert client.delete(f"{API}/connections/requests/{request_id}", headers=a.headers).status_code == 204


# -- limits --------------------------------------------------------------------------------------------


def test_request_writes_count_against_the_write_limit(make_app, make_user):
    from fastapi.testclient import TestClient

    a, b, c, d = make_user(), make_user(), make_user(), make_user()
    limited = make_app(rate_limit_enabled=True, rate_limit_write="2/minute", rate_limit_default="100/minute")
    with TestClient(limited) as http:
        for other in (b, c):
            r = http.post(f"{API}/connections/requests", json={"user_id": other.id}, headers=a.headers)
            assert r.status_code == 201, r.text
        r = http.post(f"{API}/connections/requests", json={"user_id": d.id}, headers=a.headers)
        _problem(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) >= 1
        # reads are not writes
        r = http.get(f"{API}/connections/requests?direction=outgoing", headers=a.headers)
        assert r.status_code == 200
        assert len(r.json()["items"]) == 2
