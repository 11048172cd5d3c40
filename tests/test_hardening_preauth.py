"""Issue 12, item 4: an API route's token is checked before a byte of its body is read.

FastAPI reads a body before it solves a route's dependencies, so a client with no token could make the
server hold a 1 MiB body per connection before its 401. Now the platform middleware refuses a body sent
to a route that needs a token before reading it: without a well-formed bearer token always; with one
that is not live when the body is over 64 KiB or of unknown length (``hearth_platform.gate``).

Each refusal here is shown by announcing a body and sending none of it: the answer can only come from a
server that did not wait for the body.
"""

from __future__ import annotations

import http.client
import json
import socket
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from hearth_platform.gate import OpenRoutes
from hearth_testing import API, INTERNALS, PASSWORD, AppUser, Serve, register

pytestmark = pytest.mark.slow

FORGED = "x" * 43  # shaped like a token we issue, issued to nobody
BIG = 512 * 1024  # under the 1 MiB body limit, over the 64 KiB read before a token is checked


@pytest.fixture(scope="module")
def server(served: Serve) -> Serve:
    return served


@pytest.fixture(scope="module")
def user(server: Serve) -> AppUser:
    with server.client() as http:
        return register(http, "pre")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


def _announce(server: Serve, method: str, path: str, headers: dict[str, str]) -> Answer:
    """Send a request head that announces a body, send none of it, and read the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}", "Content-Type: application/json"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        response = http.client.HTTPResponse(sock)
        response.begin()
        raw = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(raw or b"{}"))


def _assert_unauthorized(answer: Answer, path: str) -> None:
    assert answer.status == 401, answer
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-request-id"] == answer.body["request_id"]
    assert (answer.body["status"], answer.body["code"], answer.body["instance"]) == (401, "unauthorized", path)
    assert INTERNALS.search(json.dumps(answer.body)) is None


@pytest.mark.parametrize(
    ("framing", "authorization"),
    [
        ({"Transfer-Encoding": "chunked"}, None),
        ({"Content-Length": str(BIG)}, None),
        ({"Content-Length": "200"}, None),
        ({"Content-Length": str(BIG)}, "Basic dXNlcjpwYXNz"),
        ({"Transfer-Encoding": "chunked"}, "Bearer"),
        ({"Content-Length": str(BIG)}, f"Bearer {FORGED}"),
        ({"Transfer-Encoding": "chunked"}, f"Bearer {FORGED}"),
    ],
    ids=[
        "chunked-no-token",
        "big-no-token",
        "small-no-token",
        "big-basic",
        "chunked-empty-bearer",
        "big-forged",
        "chunked-forged",
    ],
)
def test_a_body_without_a_live_token_is_refused_before_it_is_read(
    server: Serve, framing: dict[str, str], authorization: str | None
) -> None:
    headers = dict(framing)
    if authorization is not None:
        headers["Authorization"] = authorization
    for path in (f"{API}/posts", f"{API}/users/me", f"{API}/connections/requests"):
        method = "PATCH" if path.endswith("/me") else "POST"
        _assert_unauthorized(_announce(server, method, path, headers), path)


def test_a_revoked_token_is_refused_before_a_big_body_is_read(server: Serve) -> None:
    with server.client() as http:
        gone = register(http, "gone")
        assert http.post(f"{API}/auth/logout", headers=gone.headers).status_code == 204
    path = f"{API}/posts"
    _assert_unauthorized(_announce(server, "POST", path, {"Content-Length": str(BIG), **gone.headers}), path)


def test_a_live_token_sends_big_and_chunked_bodies_as_before(server: Serve, user: AppUser) -> None:
    with server.client() as http:
        big = http.post(
            f"{API}/posts", json={"body": "x" * BIG, "audience": {"type": "connections"}}, headers=user.headers
        )
        assert big.status_code == 422, big.text  # read and judged by the route: too long for a post
        chunked = http.post(
            f"{API}/tags",
            content=iter([b'{"name": "', uuid.uuid4().hex[:8].encode(), b'"}']),
            headers={**user.headers, "Content-Type": "application/json"},
        )
        assert "content-length" not in chunked.request.headers
        assert chunked.status_code == 201, chunked.text


def test_routes_without_a_token_still_take_bodies(server: Serve, user: AppUser) -> None:
    with server.client() as http:
        login = http.post(
            f"{API}/auth/login",
            content=iter([json.dumps({"username": user.username, "password": PASSWORD}).encode()]),
            headers={"Content-Type": "application/json"},
        )
        assert login.status_code == 200, login.text
        # a small body with a forged token is read and refused by the route, as every request was before
        forged = http.post(f"{API}/tags", json={"name": "t"}, headers={"Authorization": f"Bearer {FORGED}"})
        assert forged.status_code == 401 and forged.headers["www-authenticate"] == "Bearer"
        # and a path that serves nothing still says so to anyone
        assert httpx.delete(f"{server.base}{API}/nothing-here/7").status_code == 404


def test_only_register_and_login_take_a_body_without_a_token(app: FastAPI) -> None:
    """The open routes are read from the app (no ``CurrentUser`` among their dependencies)."""
    routes = OpenRoutes(app)
    assert routes.match("POST", f"{API}/auth/login") and routes.match("POST", f"{API}/auth/register")
    assert not routes.match("PATCH", f"{API}/users/me") and not routes.match("POST", f"{API}/posts")
    # and those of a forgotten password and a mailed link (API.md, "Account lifecycle")
    for path in ("/auth/password-reset", "/auth/password-reset/confirm", "/auth/verify-email"):
        assert routes.match("POST", f"{API}{path}"), path
    assert len(routes.routes) == 5
