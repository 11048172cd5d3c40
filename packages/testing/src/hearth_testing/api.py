"""Users of the API and the calls tests set their worlds up with, over any HTTP client: a ``TestClient``
on an app in this process, or an ``httpx.Client`` on a served one. Each user is registered through the
API (unique per call: tests share no data) and carries its bearer token."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi.testclient import TestClient

API = "/api/v1"
PASSWORD = "correct horse battery"  # noqa: S105 - every test user's
PNG = b"\x89PNG\r\n\x1a\n"


@dataclass
class AppUser:
    """A registered user: who they are and the token they call the API with."""

    id: int
    username: str
    token: str
    email: str = ""
    password: str = PASSWORD

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


Caller = AppUser | Mapping[str, str] | None  # a user, the headers to send, or nobody (anonymous)


def _headers(caller: Caller) -> dict[str, str]:
    if caller is None:
        return {}
    return caller.headers if isinstance(caller, AppUser) else dict(caller)


def register(http: httpx.Client, prefix: str = "u", *, display_name: str | None = None) -> AppUser:
    """Register a fresh user (``<prefix><random>``, shown as its username title-cased unless named)."""
    username = f"{prefix}{uuid.uuid4().hex[:12]}"[:30].lower()
    email = f"{username}@example.com"
    r = http.post(
        f"{API}/auth/register",
        json={
            "username": username,
            "email": email,
            "password": PASSWORD,
            "display_name": display_name or username.title(),
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    return AppUser(int(body["user"]["id"]), username, body["access_token"], email, PASSWORD)


def connect(http: httpx.Client, a: AppUser, b: AppUser) -> None:
    """Make ``a`` and ``b`` connected: ``a`` requests, ``b`` accepts."""
    r = http.post(f"{API}/connections/requests", json={"user_id": b.id}, headers=a.headers)
    assert r.status_code == 201, r.text
    r2 = http.post(f"{API}/connections/requests/{r.json()['id']}/accept", headers=b.headers)
    assert r2.status_code == 200, r2.text


def create_tag(http: httpx.Client, owner: AppUser, *members: AppUser, name: str | None = None) -> int:
    """A tag of ``owner`` with ``members`` (who must be connected to them); its id."""
    r = http.post(f"{API}/tags", json={"name": name or f"tag {uuid.uuid4().hex[:6]}"}, headers=owner.headers)
    assert r.status_code == 201, r.text
    tag_id = int(r.json()["id"])
    for m in members:
        r2 = http.put(f"{API}/tags/{tag_id}/members/{m.id}", headers=owner.headers)
        assert r2.status_code == 204, r2.text
    return tag_id


def new_post(http: httpx.Client, author: AppUser, body: str, **extra: Any) -> httpx.Response:
    """Post ``body`` to all of ``author``'s connections (``extra`` joins the payload); the raw answer."""
    return http.post(
        f"{API}/posts", json={"body": body, "audience": {"type": "connections"}, **extra}, headers=author.headers
    )


def request_url(http: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """Follow a URL the API handed out (a presigned upload or download): the app's own ``/files/`` routes
    through ``http`` when it is a ``TestClient`` (no socket there), anything else over the network."""
    parts = urlsplit(url)
    if isinstance(http, TestClient) and parts.path.startswith("/files/"):
        r: httpx.Response = http.request(method, f"{parts.path}?{parts.query}", **kwargs)
        return r
    return httpx.request(method, url, timeout=30, **kwargs)


def answered_within(seconds: float, call: Callable[[], httpx.Response]) -> httpx.Response:
    """The answer of ``call()``, which must come within ``seconds`` (a dependency that is down must not
    make a request hang)."""
    started = time.monotonic()
    r = call()
    took = time.monotonic() - started
    assert took < seconds, f"{r.request.method} {r.request.url.path} took {took:.2f} s"
    return r


def all_pages(http: httpx.Client, path: str, user: AppUser, limit: int = 100) -> list[dict[str, Any]]:
    """Every item of a paged list, following ``next_cursor`` (a query in ``path`` is kept)."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    url = httpx.URL(path)
    base_params = dict(url.params)  # httpx would replace a query in the URL with ``params``
    while True:
        params: dict[str, Any] = {**base_params, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        r = http.get(url.copy_with(query=None), params=params, headers=user.headers)
        assert r.status_code == 200, r.text
        page = r.json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return items


class Api:
    """Set-up calls over one HTTP client, each as a given caller and checked for the status it expects.
    Paths are relative to ``/api/v1``."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def user(self, prefix: str = "u", *, display_name: str | None = None) -> AppUser:
        return register(self.http, prefix, display_name=display_name)

    def call(self, method: str, path: str, caller: Caller, expect: int, **kwargs: Any) -> Any:
        """The JSON answer (None when empty) of a call that must answer ``expect``."""
        r = self.http.request(method, f"{API}{path}", headers=_headers(caller), **kwargs)
        assert r.status_code == expect, f"setup {method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    def connect(self, a: AppUser, b: AppUser) -> None:
        connect(self.http, a, b)

    def tag(self, owner: AppUser, *members: AppUser, name: str | None = None) -> int:
        return create_tag(self.http, owner, *members, name=name)

    def post(
        self, author: Caller, tags: list[int] | None = None, media: list[int] | None = None, *, body: str | None = None
    ) -> int:
        """A post to ``tags``, or to all connections without; its id."""
        audience: dict[str, Any] = {"type": "tags", "tag_ids": tags} if tags else {"type": "connections"}
        payload = {"body": body or f"post {uuid.uuid4().hex[:6]}", "audience": audience, "media_ids": media or []}
        return int(self.call("POST", "/posts", author, 201, json=payload)["id"])

    def comment(self, author: Caller, post_id: int, body: str = "a comment") -> int:
        return int(self.call("POST", f"/posts/{post_id}/comments", author, 201, json={"body": body})["id"])

    def react(self, user: Caller, post_id: int, kind: str = "like", *, method: str = "PUT") -> None:
        """``user`` reacts ``kind`` to the post (``method="DELETE"``: takes it back)."""
        self.call(method, f"/posts/{post_id}/reactions/{kind}", user, 204)

    def notifications(self, user: Caller, **params: Any) -> list[dict[str, Any]]:
        """The first page (up to 100) of ``user``'s notifications."""
        return list(self.call("GET", "/notifications", user, 200, params={"limit": 100, **params})["items"])

    def unread_count(self, user: Caller) -> int:
        return int(self.call("GET", "/notifications/unread-count", user, 200)["count"])

    def read_all(self, user: Caller) -> None:
        """Mark every notification of ``user`` read."""
        self.call("POST", "/notifications/read", user, 204, json={"up_to_id": 2**63 - 1})

    def media(self, owner: Caller, *, upload: bool = True, content: bytes = PNG) -> int:
        """A PNG media object of ``owner``: uploaded (ready), or only announced (pending); its id."""
        size = len(content)
        created = self.call("POST", "/media", owner, 201, json={"content_type": "image/png", "size_bytes": size})
        if upload:
            up = created["upload"]
            r = request_url(self.http, up["method"], up["url"], content=content, headers=up["headers"])
            assert r.status_code == 200, r.text
        return int(created["media"]["id"])
