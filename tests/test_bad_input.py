"""Bad input, end to end on the real routes: every case gets a problem+json 4xx and changes nothing.

Oversized and malformed JSON, wrong types, huge strings and numbers, deep nesting, invalid UTF-8, NUL
bytes, very long query strings, tampered cursors and tokens. Each case is sent by (or on behalf of) a
user whose data is read before and after (profile, posts, comments, tags, connections, blocks,
requests): nothing may change. The platform's own tests check each mechanism on a toy app; these check
that every layer of the assembled app keeps to it.

NUL and other control characters in *plain-text* fields (names, bios, tag names) and in rich-text bodies
are removed by design (``API.md``: "control chars removed"), so a text that is only NULs is refused;
fields that are not free text (usernames, emails, enums, dates, cursors, ids) refuse them.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from hearth_testing import register, report

API = "/api/v1"
JSON = {"content-type": "application/json"}
MiB = 1024 * 1024


@dataclass
class Me:
    id: int
    username: str
    token: str
    friend_id: int
    tag_id: int
    post_ids: list[int]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _register(client: TestClient, prefix: str) -> tuple[int, str, str]:
    user = register(client, prefix)
    return user.id, user.username, user.token


@pytest.fixture(scope="module")
def me(client: TestClient) -> Me:
    my_id, name, token = _register(client, "bad")
    friend_id, _, friend_token = _register(client, "fr")
    h = {"Authorization": f"Bearer {token}"}
    req = client.post(f"{API}/connections/requests", json={"user_id": friend_id}, headers=h).json()
    assert (
        client.post(
            f"{API}/connections/requests/{req['id']}/accept", headers={"Authorization": f"Bearer {friend_token}"}
        ).status_code
        == 200
    )
    tag_id = client.post(f"{API}/tags", json={"name": "family"}, headers=h).json()["id"]
    assert client.put(f"{API}/tags/{tag_id}/members/{friend_id}", headers=h).status_code == 204
    posts = []
    for i in range(3):
        r = client.post(f"{API}/posts", json={"body": f"post {i}", "audience": {"type": "connections"}}, headers=h)
        assert r.status_code == 201, r.text
        posts.append(r.json()["id"])
    assert client.post(f"{API}/posts/{posts[0]}/comments", json={"body": "first"}, headers=h).status_code == 201
    return Me(my_id, name, token, friend_id, tag_id, posts)


def snapshot(client: TestClient, me: Me) -> dict[str, Any]:
    """Everything the cases could touch, as the user sees it."""
    h = me.headers

    def get(path: str, **params: Any) -> Any:
        return client.get(f"{API}{path}", params={"limit": 100, **params}, headers=h).json()

    return {
        "me": client.get(f"{API}/users/me", headers=h).json(),
        "posts": get(f"/users/{me.id}/posts"),
        "comments": get(f"/posts/{me.post_ids[0]}/comments"),
        "tags": client.get(f"{API}/tags", headers=h).json(),
        "members": get(f"/tags/{me.tag_id}/members"),
        "connections": get("/connections"),
        "blocks": get("/blocks"),
        "outgoing": get("/connections/requests", direction="outgoing"),
        "incoming": get("/connections/requests", direction="incoming"),
    }


# -- the cases -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    send: Callable[[TestClient, Me], httpx.Response]
    status: int
    code: str | None = None  # None: any code the status allows


def raw(
    method: str, path: str, body: bytes, headers: dict[str, str] | None = None
) -> Callable[[TestClient, Me], httpx.Response]:
    return lambda c, me: c.request(
        method, f"{API}{path.format(me=me)}", content=body, headers={**me.headers, **JSON, **(headers or {})}
    )


def js(method: str, path: str, body: Any) -> Callable[[TestClient, Me], httpx.Response]:
    return lambda c, me: c.request(method, f"{API}{path.format(me=me)}", json=body, headers=me.headers)


def query(path: str, params: dict[str, Any] | str) -> Callable[[TestClient, Me], httpx.Response]:
    if isinstance(params, str):
        return lambda c, me: c.get(f"{API}{path.format(me=me)}?{params}", headers=me.headers)
    return lambda c, me: c.get(f"{API}{path.format(me=me)}", params=params, headers=me.headers)


def nested(depth: int, open_: bytes = b"[", close: bytes = b"]") -> bytes:
    return open_ * depth + close * depth


def chunked(body: bytes) -> Iterator[bytes]:
    for i in range(0, len(body), 64 * 1024):
        yield body[i : i + 64 * 1024]


POST = {"body": "hello", "audience": {"type": "connections"}}
BIG = "x" * (MiB + 10)

CASES = [
    # oversized: refused before the body is read, with or without Content-Length
    Case("post over 1 MiB", js("POST", "/posts", {**POST, "body": BIG}), 413, "payload_too_large"),
    Case(
        "comment over 1 MiB, chunked",
        lambda c, me: c.post(
            f"{API}/posts/{me.post_ids[0]}/comments",
            content=chunked(f'{{"body": "{BIG}"}}'.encode()),
            headers={**me.headers, **JSON},
        ),
        413,
        "payload_too_large",
    ),
    Case("profile over 1 MiB", js("PATCH", "/users/me", {"bio": BIG}), 413, "payload_too_large"),
    Case(
        "register over 1 MiB",
        lambda c, me: c.post(f"{API}/auth/register", json={"username": "x", "password": BIG}),
        413,
        "payload_too_large",
    ),
    Case(
        "over 1 MiB on a route without a body",
        lambda c, me: c.request(
            "DELETE", f"{API}/tags/{me.tag_id}", content=b"0" * (MiB + 1), headers={**me.headers, **JSON}
        ),
        413,
        "payload_too_large",
    ),
    # malformed JSON
    Case("truncated JSON", raw("POST", "/posts", b'{"body": "x", "audience": {"type": '), 422, "validation_error"),
    Case("trailing comma", raw("POST", "/tags", b'{"name": "x",}'), 422, "validation_error"),
    Case("single quotes", raw("PATCH", "/tags/{me.tag_id}", b"{'name': 'x'}"), 422, "validation_error"),
    Case("two documents", raw("POST", "/blocks", b'{"user_id": 1}{"user_id": 2}'), 422, "validation_error"),
    Case("empty body", raw("POST", "/posts", b""), 422, "validation_error"),
    Case(
        "NaN for a number",
        raw("POST", "/media", b'{"content_type": "image/png", "size_bytes": NaN}'),
        422,
        "validation_error",
    ),
    Case("Infinity for an id", raw("POST", "/connections/requests", b'{"user_id": Infinity}'), 422, "validation_error"),
    Case(
        "a 5000-digit number",
        raw("POST", "/media", b'{"content_type": "image/png", "size_bytes": 1' + b"0" * 5000 + b"}"),
        422,
        "validation_error",
    ),
    Case(
        "JSON as text/plain",
        raw("POST", "/posts", b'{"body": "x", "audience": {"type": "connections"}}', {"content-type": "text/plain"}),
        422,
        "validation_error",
    ),
    # wrong types
    Case("body is a list", js("POST", "/posts", [POST]), 422, "validation_error"),
    Case("body is a string", js("PATCH", "/users/me", "display_name"), 422, "validation_error"),
    Case("number for text", js("POST", "/posts", {**POST, "body": 12}), 422, "validation_error"),
    Case(
        "string for an id", js("POST", "/connections/requests", {"user_id": "{me.friend_id}"}), 422, "validation_error"
    ),
    Case("float for an id", js("POST", "/blocks", {"user_id": 1.5}), 422, "validation_error"),
    Case("bool for an id", js("POST", "/blocks", {"user_id": True}), 422, "validation_error"),
    Case("null for a required field", js("POST", "/tags", {"name": None}), 422, "validation_error"),
    Case("null display name", js("PATCH", "/users/me", {"display_name": None}), 422, "validation_error"),
    Case(
        "object for a list",
        js("POST", "/posts", {"body": "x", "audience": {"type": "tags", "tag_ids": {"0": 1}}}),
        422,
        "validation_error",
    ),
    Case(
        "strings in an id list",
        js("POST", "/posts", {"body": "x", "audience": {"type": "tags", "tag_ids": ["1"]}}),
        422,
        "validation_error",
    ),
    Case(
        "bool in an id list",
        js("POST", "/posts", {"body": "x", "audience": {"type": "tags", "tag_ids": [True]}}),
        422,
        "validation_error",
    ),
    Case(
        "fraction in an id list",
        js("POST", "/posts", {"body": "x", "audience": {"type": "connections"}, "media_ids": [1.5]}),
        422,
        "validation_error",
    ),
    Case("string for the avatar id", js("PATCH", "/users/me", {"avatar_media_id": "1"}), 422, "validation_error"),
    Case(
        "string for a size",
        js("POST", "/media", {"content_type": "image/png", "size_bytes": "10"}),
        422,
        "validation_error",
    ),
    Case(
        "float for a size",
        js("POST", "/media", {"content_type": "image/png", "size_bytes": 10.5}),
        422,
        "validation_error",
    ),
    Case(
        "unknown audience",
        js("POST", "/posts", {"body": "x", "audience": {"type": "everyone"}}),
        422,
        "validation_error",
    ),
    Case(
        "unknown field",
        js("PATCH", "/posts/{me.post_ids[1]}", {"body": "changed", "author_id": 1}),
        422,
        "validation_error",
    ),
    Case(
        "id past bigint in a body",
        js("POST", "/posts", {"body": "x", "audience": {"type": "tags", "tag_ids": [2**64]}}),
        422,
        "validation_error",
    ),
    Case(
        "wrong media type",
        js("POST", "/media", {"content_type": "text/html", "size_bytes": 10}),
        422,
        "validation_error",
    ),
    # huge strings and collections (under the body limit)
    Case("900 KB post body", js("POST", "/posts", {**POST, "body": "y" * 900_000}), 422, "validation_error"),
    Case(
        "900 KB comment",
        js("POST", "/posts/{me.post_ids[0]}/comments", {"body": "<b>" * 300_000}),
        422,
        "validation_error",
    ),
    Case("900 KB display name", js("PATCH", "/users/me", {"display_name": "z" * 900_000}), 422, "validation_error"),
    Case("900 KB tag name", js("PATCH", "/tags/{me.tag_id}", {"name": "t" * 900_000}), 422, "validation_error"),
    Case(
        "900 KB password",
        lambda c, me: c.post(f"{API}/auth/login", json={"username": me.username, "password": "p" * 900_000}),
        422,
        "validation_error",
    ),
    Case(
        "100,000 tag ids",
        js("POST", "/posts", {"body": "x", "audience": {"type": "tags", "tag_ids": [1] * 100_000}}),
        422,
        "validation_error",
    ),
    Case(
        "50,000 unknown fields", js("PATCH", "/users/me", {f"k{i}": i for i in range(50_000)}), 422, "validation_error"
    ),
    # deep nesting (json.loads gives up past ~1000 levels; pydantic refuses what it cannot take)
    Case("10,000 nested arrays", raw("POST", "/posts", nested(10_000)), 422, "validation_error"),
    Case(
        "10,000 nested objects",
        raw("PATCH", "/users/me", b'{"a":' * 10_000 + b"1" + b"}" * 10_000),
        422,
        "validation_error",
    ),
    Case(
        "deep nesting in a field",
        raw("POST", "/posts", b'{"body": "x", "audience": ' + nested(10_000) + b"}"),
        422,
        "validation_error",
    ),
    Case("500 nested arrays", raw("POST", "/tags", nested(500)), 422, "validation_error"),
    # invalid UTF-8 and Unicode that is not text
    Case(
        "invalid UTF-8 bytes",
        raw("POST", "/posts", b'{"body": "\xff\xfe\xfd", "audience": {"type": "connections"}}'),
        422,
        "validation_error",
    ),
    Case("overlong UTF-8", raw("POST", "/tags", b'{"name": "\xc0\xaf"}'), 422, "validation_error"),
    Case("truncated UTF-8", raw("PATCH", "/users/me", b'{"bio": "caf\xc3"}'), 422, "validation_error"),
    Case(
        "lone surrogate in a post",
        raw("POST", "/posts", b'{"body": "a\\ud800b", "audience": {"type": "connections"}}'),
        422,
        "validation_error",
    ),
    Case("lone surrogate in a tag", raw("POST", "/tags", b'{"name": "\\udc00"}'), 422, "validation_error"),
    Case(
        "lone surrogate in a login",
        lambda c, me: c.post(
            f"{API}/auth/login", content=b'{"username": "\\ud800", "password": "\\udfff"}', headers=JSON
        ),
        422,
        "validation_error",
    ),
    # NUL bytes: removed from free text (a text of NULs is empty), refused everywhere else
    Case("NUL-only post", js("POST", "/posts", {**POST, "body": "\x00\x00"}), 422, "validation_error"),
    Case("NUL-only comment", js("POST", "/posts/{me.post_ids[0]}/comments", {"body": "\x00"}), 422, "validation_error"),
    Case("NUL-only tag name", js("POST", "/tags", {"name": "\x00"}), 422, "validation_error"),
    Case("NUL-only display name", js("PATCH", "/users/me", {"display_name": "\x00\x00"}), 422, "validation_error"),
    Case(
        "NUL in a username",
        lambda c, me: c.post(
            f"{API}/auth/register",
            json={
                "username": "nul\x00user",
                "email": "nul@example.com",
                "password": "correct horse battery",
                "display_name": "n",
            },
        ),
        422,
        "validation_error",
    ),
    Case(
        "NUL in an email",
        lambda c, me: c.post(
            f"{API}/auth/register",
            json={
                "username": f"nul{uuid.uuid4().hex[:8]}",
                "email": "a\x00@example.com",
                "password": "correct horse battery",
                "display_name": "n",
            },
        ),
        422,
        "validation_error",
    ),
    Case(
        "NUL in a media type",
        js("POST", "/media", {"content_type": "image/png\x00", "size_bytes": 4}),
        422,
        "validation_error",
    ),
    Case("NUL in a query enum", query("/connections/requests", {"direction": "incoming\x00"}), 422, "validation_error"),
    Case("NUL in a query date", query("/digest", {"since": "2026-01-01T00:00:00Z\x00"}), 422, "validation_error"),
    Case("NUL in a cursor", query("/users/{me.id}/posts", {"cursor": "\x00"}), 422, "invalid_cursor"),
    Case("NUL in a query id", query("/feed", {"tag_id": "1\x00"}), 422, "validation_error"),
    Case("NUL in a path id", lambda c, me: c.get(f"{API}/posts/1%00", headers=me.headers), 422, "validation_error"),
    # very long query strings
    Case("30,000-char search", query("/users", {"q": "a" * 30_000}), 422, "validation_error"),
    Case("30,000-char cursor", query("/feed", {"cursor": "c" * 30_000}), 422, "invalid_cursor"),
    Case("5,000-digit limit", query("/feed", {"limit": "9" * 5_000}), 422, "validation_error"),
    Case(
        "a 60,000-char query of junk params",
        query("/users", "q=a&limit=0&" + "junk=1&" * 8_000),
        422,
        "validation_error",
    ),
    Case("limit 0", query("/connections", {"limit": 0}), 422, "validation_error"),
    Case("limit 101", query("/blocks", {"limit": 101}), 422, "validation_error"),
    Case("digest 30 days back", query("/digest", {"since": "2000-01-01T00:00:00Z"}), 422, "validation_error"),
]


def _cursor(client: TestClient, me: Me) -> str:
    r = client.get(f"{API}/users/{me.id}/posts", params={"limit": 1}, headers=me.headers)
    cursor: str = r.json()["next_cursor"]
    assert cursor, r.text
    return cursor


def _flip(text: str, index: int) -> str:
    ch = text[index]
    return text[:index] + ("B" if ch != "B" else "C") + text[index + 1 :]


def _cursor_case(name: str, tamper: Callable[[str, Me], str], path: str = "/users/{me.id}/posts") -> Case:
    def send(c: TestClient, me: Me) -> httpx.Response:
        params = {"cursor": tamper(_cursor(c, me), me), "limit": 1}
        r: httpx.Response = c.get(f"{API}{path.format(me=me)}", params=params, headers=me.headers)
        return r

    return Case(name, send, 422, "invalid_cursor")


def _forge(cursor: str, me: Me) -> str:
    """Same signature, another keyset position (the payload edited)."""
    body, mac = cursor.split(".", 1)
    payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).replace(b"[", b"[0,", 1)
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + mac


CURSOR_CASES = [
    _cursor_case("cursor: one char of the signature changed", lambda cur, me: _flip(cur, len(cur) - 2)),
    _cursor_case("cursor: one char of the payload changed", lambda cur, me: _flip(cur, 2)),
    _cursor_case("cursor: payload forged, signature kept", _forge),
    _cursor_case("cursor: signature cut off", lambda cur, me: cur.split(".")[0]),
    _cursor_case("cursor: signature doubled", lambda cur, me: cur + "." + cur.split(".")[1]),
    _cursor_case("cursor: garbage", lambda cur, me: "not-a-cursor"),
    _cursor_case("cursor: non-ASCII", lambda cur, me: cur[:-1] + "é"),
    _cursor_case("cursor: of another list (the feed)", lambda cur, me: cur, path="/feed"),
    _cursor_case("cursor: of another list (comments)", lambda cur, me: cur, path="/posts/{me.post_ids[0]}/comments"),
]


def _token_case(name: str, authorization: Callable[[Me, TestClient], str | bytes], write: bool = False) -> Case:
    def send(c: TestClient, me: Me) -> httpx.Response:
        headers = {"Authorization": authorization(me, c)}
        r: httpx.Response
        if write:  # a write that, with a good token, would succeed
            body = {"body": "should not exist", "audience": {"type": "connections"}}
            r = c.post(f"{API}/posts", json=body, headers=headers)
        else:
            r = c.get(f"{API}/users/me", headers=headers)
        return r

    return Case(name, send, 401, "unauthorized")


def _revoked(me: Me, c: TestClient) -> str:
    r = c.post(f"{API}/auth/login", json={"username": me.username, "password": "correct horse battery"})
    token = r.json()["access_token"]
    assert c.post(f"{API}/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    return f"Bearer {token}"


TOKEN_CASES = [
    _token_case("token: garbage", lambda me, c: "Bearer garbage"),
    _token_case("token: one char changed", lambda me, c: "Bearer " + _flip(me.token, 10)),
    _token_case("token: one char changed, on a write", lambda me, c: "Bearer " + _flip(me.token, 20), write=True),
    _token_case("token: one char dropped", lambda me, c: "Bearer " + me.token[:-1]),
    _token_case("token: one char added", lambda me, c: "Bearer " + me.token + "A"),
    _token_case("token: revoked by logout", _revoked),
    _token_case("token: revoked, on a write", _revoked, write=True),
    _token_case("token: 10,000 chars", lambda me, c: "Bearer " + "a" * 10_000),
    _token_case("token: right shape, never issued", lambda me, c: "Bearer " + "A" * 43),
    _token_case("token: wrong scheme", lambda me, c: "Basic " + me.token),
    _token_case("token: no scheme", lambda me, c: me.token),
    _token_case("token: two tokens", lambda me, c: f"Bearer {me.token} {me.token}"),
    _token_case("token: SQL", lambda me, c: "Bearer ' OR '1'='1"),
    _token_case("token: control characters", lambda me, c: "Bearer \x01\x02\x7f"),
    _token_case("token: latin-1 bytes", lambda me, c: b"Bearer caf\xe9"),
]

ALL = CASES + CURSOR_CASES + TOKEN_CASES


@pytest.mark.parametrize("case", ALL, ids=[c.name for c in ALL])
def test_bad_input_is_a_problem_and_changes_nothing(client: TestClient, me: Me, case: Case) -> None:
    before = snapshot(client, me)
    r = case.send(client, me)
    assert r.status_code == case.status, f"{case.name}: {r.status_code} {r.text[:300]}"
    assert r.headers["content-type"] == "application/problem+json", r.headers
    body = r.json()
    assert body["status"] == case.status
    if case.code is not None:
        assert body["code"] == case.code, body
    assert body.get("request_id") == r.headers["x-request-id"]
    if case.status == 422:
        assert isinstance(body.get("errors"), list), body
    if case.status == 401:
        assert r.headers["www-authenticate"] == "Bearer"
    assert snapshot(client, me) == before, f"{case.name} changed the data"


def test_nothing_reached_the_database_for_the_names_tried(client: TestClient, me: Me) -> None:
    """The refused registrations stored no user (the usernames are not found)."""
    for q in ("nul", "nul\x00user"):
        r = client.get(f"{API}/users", params={"q": q}, headers=me.headers)
        assert r.status_code == 200 and not [u for u in r.json()["items"] if u["username"].startswith("nul")]


def test_free_text_loses_its_nul_bytes_and_keeps_the_rest(client: TestClient, me: Me) -> None:
    """Where API.md says control characters are removed, a NUL inside a text is removed, not stored."""
    h = me.headers
    r = client.post(f"{API}/posts", json={"body": "be\x00fore", "audience": {"type": "connections"}}, headers=h)
    assert r.status_code == 201 and r.json()["body"] == "before"
    assert client.delete(f"{API}/posts/{r.json()['id']}", headers=h).status_code == 204
    r = client.post(f"{API}/tags", json={"name": "ta\x00g"}, headers=h)
    assert r.status_code == 201 and "\x00" not in r.json()["name"]
    assert client.delete(f"{API}/tags/{r.json()['id']}", headers=h).status_code == 204


def test_the_count_of_cases(request: pytest.FixtureRequest) -> None:
    message = (
        f"bad input: {len(ALL)} cases ({len(CASES)} payload and query, {len(CURSOR_CASES)} cursor, "
        f"{len(TOKEN_CASES)} token)"
    )
    report(request.config, message)
    assert len(ALL) >= 80, message
