"""Posts and comments routes: success and error answers as API.md says."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

API = "/api/v1"


def test_create_and_read_a_post(client: TestClient, make_user: Callable[..., Any]) -> None:
    me = make_user()
    r = client.post(
        f"{API}/posts",
        json={"body": "Hi <b>all</b> https://example.com/x", "audience": {"type": "connections"}},
        headers=me.headers,
    )
    assert r.status_code == 201, r.text
    post = r.json()
    assert post["author"]["id"] == me.id and post["author"]["username"] == me.username
    assert (
        post["body"]
        == 'Hi <b>all</b> <a href="https://example.com/x" rel="nofollow noopener">https://example.com/x</a>'
    )
    assert post["audience"] == {"type": "connections"}
    assert post["media"] == [] and post["comment_count"] == 0
    assert post["created_at"].endswith(("Z", "+00:00"))
    again = client.get(f"{API}/posts/{post['id']}", headers=me.headers)
    assert again.status_code == 200 and again.json() == post


def test_create_post_validation(client: TestClient, make_user: Callable[..., Any]) -> None:
    me, other = make_user(), make_user()
    bad = [
        {"body": "", "audience": {"type": "connections"}},
        {"body": "x" * 5001, "audience": {"type": "connections"}},
        {"body": "<p></p>  ", "audience": {"type": "connections"}},
        {"body": "x", "audience": {"type": "tags", "tag_ids": []}},
        {"body": "x", "audience": {"type": "tags", "tag_ids": list(range(1, 22))}},
        {"body": "x", "audience": {"type": "everyone"}},
        {"body": "x", "audience": {"type": "connections"}, "media_ids": [1, 2, 3, 4, 5]},
        {"body": 5, "audience": {"type": "connections"}},
    ]
    for payload in bad:
        r = client.post(f"{API}/posts", json=payload, headers=me.headers)
        assert r.status_code == 422, (payload, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    # a tag that is not the caller's is 404, and nothing is written
    r = client.post(f"{API}/tags", json={"name": "theirs"}, headers=other.headers)
    theirs = r.json()["id"]
    r = client.post(
        f"{API}/posts", json={"body": "x", "audience": {"type": "tags", "tag_ids": [theirs]}}, headers=me.headers
    )
    assert r.status_code == 404
    assert client.get(f"{API}/users/{me.id}/posts", headers=me.headers).json()["items"] == []
    # unknown media is 404
    r = client.post(
        f"{API}/posts",
        json={"body": "x", "audience": {"type": "connections"}, "media_ids": [987654321]},
        headers=me.headers,
    )
    assert r.status_code == 404


def test_edit_and_delete_are_for_the_author(
    client: TestClient,
    make_user: Callable[..., Any],
    connect: Callable[..., None],
    make_tag: Callable[..., int],
    make_post: Callable[..., dict[str, Any]],
) -> None:
    author, friend, stranger = make_user(), make_user(), make_user()
    connect(author, friend)
    post = make_post(author, "first")
    pid = post["id"]
    # visible but not theirs: 403; not visible: 404
    assert client.patch(f"{API}/posts/{pid}", json={"body": "hacked"}, headers=friend.headers).status_code == 403
    assert client.delete(f"{API}/posts/{pid}", headers=friend.headers).status_code == 403
    assert client.patch(f"{API}/posts/{pid}", json={"body": "hacked"}, headers=stranger.headers).status_code == 404
    assert client.delete(f"{API}/posts/{pid}", headers=stranger.headers).status_code == 404
    assert client.get(f"{API}/posts/{pid}", headers=author.headers).json()["body"] == "first"

    tag = make_tag(author)
    r = client.patch(
        f"{API}/posts/{pid}",
        json={"body": "second", "audience": {"type": "tags", "tag_ids": [tag]}},
        headers=author.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["body"] == "second" and r.json()["audience"] == {"type": "tags", "tag_ids": [tag]}
    assert r.json()["updated_at"] > post["updated_at"]
    # the friend is not in the tag any more: the edit narrowed the audience
    assert client.get(f"{API}/posts/{pid}", headers=friend.headers).status_code == 404

    c = client.post(f"{API}/posts/{pid}/comments", json={"body": "mine"}, headers=author.headers).json()
    assert client.delete(f"{API}/posts/{pid}", headers=author.headers).status_code == 204
    assert client.get(f"{API}/posts/{pid}", headers=author.headers).status_code == 404
    assert client.delete(f"{API}/comments/{c['id']}", headers=author.headers).status_code == 404


def test_comments_list_create_delete(
    client: TestClient,
    make_user: Callable[..., Any],
    connect: Callable[..., None],
    make_post: Callable[..., dict[str, Any]],
) -> None:
    author, a, b = make_user(), make_user(), make_user()
    connect(author, a)
    connect(author, b)
    pid = make_post(author)["id"]
    made = []
    for i, who in enumerate([a, b, a, author, b]):
        r = client.post(f"{API}/posts/{pid}/comments", json={"body": f"c{i} <script>x</script>"}, headers=who.headers)
        assert r.status_code == 201, r.text
        made.append(r.json())
    assert made[0]["body"] == "c0 &lt;script&gt;x&lt;/script&gt;"
    assert made[0]["author"]["id"] == a.id and made[0]["post_id"] == pid
    # oldest first, paged
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get(f"{API}/posts/{pid}/comments", params=params, headers=b.headers).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [c["id"] for c in made]
    # a's comment: b may not delete it (403), a may, the post author may delete b's
    assert client.delete(f"{API}/comments/{made[0]['id']}", headers=b.headers).status_code == 403
    assert client.delete(f"{API}/comments/{made[0]['id']}", headers=a.headers).status_code == 204
    assert client.delete(f"{API}/comments/{made[1]['id']}", headers=author.headers).status_code == 204
    assert client.get(f"{API}/posts/{pid}", headers=a.headers).json()["comment_count"] == 3
    # empty and oversized comments
    assert client.post(f"{API}/posts/{pid}/comments", json={"body": ""}, headers=a.headers).status_code == 422
    assert client.post(f"{API}/posts/{pid}/comments", json={"body": "x" * 2001}, headers=a.headers).status_code == 422
    # a tampered cursor, or one from another list
    assert (
        client.get(f"{API}/posts/{pid}/comments", params={"cursor": "abc.def"}, headers=a.headers).json()["code"]
        == "invalid_cursor"
    )
    other_pid = make_post(author)["id"]
    client.post(f"{API}/posts/{other_pid}/comments", json={"body": "1"}, headers=a.headers)
    client.post(f"{API}/posts/{other_pid}/comments", json={"body": "2"}, headers=a.headers)
    foreign = client.get(f"{API}/posts/{other_pid}/comments", params={"limit": 1}, headers=a.headers).json()[
        "next_cursor"
    ]
    r = client.get(f"{API}/posts/{pid}/comments", params={"cursor": foreign}, headers=a.headers)
    assert r.status_code == 422 and r.json()["code"] == "invalid_cursor"


def test_feed_pages_neither_repeat_nor_skip_while_posts_are_written(
    client: TestClient,
    make_user: Callable[..., Any],
    connect: Callable[..., None],
    make_post: Callable[..., dict[str, Any]],
) -> None:
    me, f1, f2 = make_user(), make_user(), make_user()
    connect(me, f1)
    connect(f2, me)
    existing = [make_post(who, f"p{i}")["id"] for i, who in enumerate([me, f1, f2] * 5)]
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = client.get(f"{API}/feed", params=params, headers=me.headers).json()
        seen += [p["id"] for p in page["items"]]
        make_post(f1, "written while paging")
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(existing, reverse=True)
    assert len(seen) == len(set(seen))


def test_feed_includes_own_and_connections_newest_first(
    client: TestClient,
    make_user: Callable[..., Any],
    connect: Callable[..., None],
    make_post: Callable[..., dict[str, Any]],
) -> None:
    me, friend, stranger = make_user(), make_user(), make_user()
    connect(me, friend)
    ids = [make_post(me)["id"], make_post(friend)["id"], make_post(stranger)["id"], make_post(friend)["id"]]
    items = client.get(f"{API}/feed", headers=me.headers).json()["items"]
    assert [p["id"] for p in items] == [ids[3], ids[1], ids[0]]
    assert client.get(f"{API}/feed", params={"limit": 0}, headers=me.headers).status_code == 422
    assert client.get(f"{API}/feed", params={"limit": 101}, headers=me.headers).status_code == 422
    assert client.get(f"{API}/feed", params={"tag_id": 99999999}, headers=me.headers).status_code == 404


def test_user_posts(
    client: TestClient,
    make_user: Callable[..., Any],
    connect: Callable[..., None],
    make_post: Callable[..., dict[str, Any]],
) -> None:
    author, friend, stranger = make_user(), make_user(), make_user()
    connect(author, friend)
    ids = [make_post(author, f"{i}")["id"] for i in range(3)]
    assert [
        p["id"] for p in client.get(f"{API}/users/{author.id}/posts", headers=friend.headers).json()["items"]
    ] == ids[::-1]
    hidden = client.get(f"{API}/users/{author.id}/posts", headers=stranger.headers).json()
    assert hidden["items"] == [] and hidden["next_cursor"] is None and hidden["newer_cursor"]
    assert client.get(f"{API}/users/987654321/posts", headers=friend.headers).status_code == 404
    # an unknown user is a 404 whatever else is wrong with the request; a known one's bad cursor a 422
    for query in ({"cursor": "nonsense"}, {"newer_than": "nonsense"}, {"limit": 1}):
        r = client.get(f"{API}/users/987654321/posts", params=query, headers=friend.headers)
        assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = client.get(f"{API}/users/{author.id}/posts", params={"cursor": "nonsense"}, headers=friend.headers)
    assert (r.status_code, r.json()["code"]) == (422, "invalid_cursor")
    # the author's own page, empty or not, knows its author
    assert client.get(f"{API}/users/{stranger.id}/posts", headers=stranger.headers).json()["items"] == []


def test_digest(
    client: TestClient,
    make_user: Callable[..., Any],
    connect: Callable[..., None],
    make_post: Callable[..., dict[str, Any]],
) -> None:
    me, busy, quiet, stranger = make_user(), make_user(), make_user(), make_user()
    connect(me, busy)
    connect(me, quiet)
    busy_posts = [make_post(busy, f"b{i}")["id"] for i in range(5)]
    quiet_post = make_post(quiet, "q")["id"]
    make_post(me, "mine")  # own posts are not in the digest
    make_post(stranger, "never")
    d = client.get(f"{API}/digest", headers=me.headers).json()
    assert d["post_count"] == 6
    assert [a["author"]["id"] for a in d["authors"]] == [busy.id, quiet.id]
    assert d["authors"][0]["post_count"] == 5
    assert [p["id"] for p in d["authors"][0]["latest_posts"]] == busy_posts[::-1][:3]
    assert [p["id"] for p in d["authors"][1]["latest_posts"]] == [quiet_post]
    since = (datetime.now(UTC) - timedelta(days=8)).isoformat()
    r = client.get(f"{API}/digest", params={"since": since}, headers=me.headers)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    later = client.get(f"{API}/digest", params={"since": future}, headers=me.headers)
    assert later.status_code == 422


def test_many_clients_commenting_at_once_keep_an_exact_count(
    client: TestClient,
    make_user: Callable[..., Any],
    connect: Callable[..., None],
    make_post: Callable[..., dict[str, Any]],
) -> None:
    author = make_user()
    friends = [make_user() for _ in range(6)]
    for f in friends:
        connect(author, f)
    pid = make_post(author)["id"]

    def comment(i: int) -> int:
        who = friends[i % len(friends)]
        return client.post(f"{API}/posts/{pid}/comments", json={"body": f"n{i}"}, headers=who.headers).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(comment, range(40)))
    assert codes == [201] * 40
    assert client.get(f"{API}/posts/{pid}", headers=author.headers).json()["comment_count"] == 40
    listed = client.get(f"{API}/posts/{pid}/comments", params={"limit": 100}, headers=author.headers).json()["items"]
    assert len(listed) == 40


def test_parallel_edits_and_deletes_of_one_post(
    client: TestClient, make_user: Callable[..., Any], make_post: Callable[..., dict[str, Any]]
) -> None:
    author = make_user()
    pid = make_post(author)["id"]

    def act(i: int) -> int:
        if i == 5:
            return client.delete(f"{API}/posts/{pid}", headers=author.headers).status_code
        return client.patch(f"{API}/posts/{pid}", json={"body": f"v{i}"}, headers=author.headers).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(act, range(12)))
    assert codes[5] == 204
    assert set(codes) <= {200, 204, 404}
    assert client.get(f"{API}/posts/{pid}", headers=author.headers).status_code == 404


def test_ids_that_cannot_exist_are_not_found(client: TestClient, make_user: Callable[..., Any]) -> None:
    me = make_user()
    for bad in ("0", "-3", str(2**63), str(2**80)):
        r = client.get(f"{API}/posts/{bad}", headers=me.headers)
        assert r.status_code == 404 and r.json()["code"] == "not_found", (bad, r.text)
        assert client.delete(f"{API}/comments/{bad}", headers=me.headers).status_code == 404
    r = client.get(f"{API}/posts/abc", headers=me.headers)
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
