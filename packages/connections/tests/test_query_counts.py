"""Every list costs the same number of database round trips whatever its page size (1, 20, 100).

One test builds one user with 101 of everything (the lists are measured as the state allows:
incoming requests, then connections and tag members, then outgoing requests, then blocks).
"""

from __future__ import annotations

API = "/api/v1"
SIZES = (1, 20, 100)
N = 101  # one more than the largest page, so every page is full and has a next cursor


def _counts(client, count_queries, user, path: str, **params) -> list[int]:
    counts = []
    for size in SIZES:
        with count_queries() as q:
            r = client.get(path, params={"limit": size, **params}, headers=user.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) == size
        assert body["next_cursor"] is not None
        counts.append(q.count)
    return counts


def test_lists_cost_a_fixed_number_of_queries(client, make_user, send_request, count_queries):
    me = make_user()
    others = [make_user() for _ in range(N)]

    # the cost of authenticating a request (identity's), measured on a list that issues one query
    with count_queries() as q:
        assert client.get(f"{API}/tags", headers=me.headers).status_code == 200
    auth = q.count - 1

    # incoming requests: 101 pending to me
    request_ids = [send_request(o, me).json()["id"] for o in others]
    incoming = _counts(client, count_queries, me, f"{API}/connections/requests", direction="incoming")
    assert incoming == [auth + 2] * 3  # the page, the users' summaries

    # connections and tag members: accept them all, tag them all
    for rid in request_ids:
        assert client.post(f"{API}/connections/requests/{rid}/accept", headers=me.headers).status_code == 200
    tag = client.post(f"{API}/tags", json={"name": "everyone"}, headers=me.headers).json()["id"]
    second = client.post(f"{API}/tags", json={"name": "some"}, headers=me.headers).json()["id"]
    for o in others:
        assert client.put(f"{API}/tags/{tag}/members/{o.id}", headers=me.headers).status_code == 204
    for o in others[::2]:
        assert client.put(f"{API}/tags/{second}/members/{o.id}", headers=me.headers).status_code == 204
    connections = _counts(client, count_queries, me, f"{API}/connections")
    assert connections == [auth + 3] * 3  # the page, the caller's tags on its users, their summaries
    members = _counts(client, count_queries, me, f"{API}/tags/{tag}/members")
    assert members == [auth + 3] * 3  # the tag (is it mine?), the page, the summaries

    # GET /tags: member counts come with the tags
    with count_queries() as q:
        body = client.get(f"{API}/tags", headers=me.headers).json()
    assert q.count == auth + 1
    assert {t["name"]: t["member_count"] for t in body["items"]} == {"everyone": N, "some": (N + 1) // 2}

    # outgoing requests: disconnect, then ask them all again
    for o in others:
        assert client.delete(f"{API}/connections/{o.id}", headers=me.headers).status_code == 204
    for o in others:
        assert send_request(me, o).status_code == 201
    outgoing = _counts(client, count_queries, me, f"{API}/connections/requests", direction="outgoing")
    assert outgoing == [auth + 2] * 3

    # blocks
    for o in others:
        assert client.post(f"{API}/blocks", json={"user_id": o.id}, headers=me.headers).status_code == 204
    blocks = _counts(client, count_queries, me, f"{API}/blocks")
    assert blocks == [auth + 2] * 3  # the page, the summaries
