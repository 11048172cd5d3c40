"""``Location`` on every 201 that creates an addressable object (API.md, Conventions: a user on register, a
connection request, tag, post, comment or media): the object's path under ``/api/v1``, relative (never
built from the request's ``Host``), where its own routes answer for it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from hearth_testing import PASSWORD, Api

API = "/api/v1"


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


def _created(r: httpx.Response, path: str) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    assert r.headers["location"] == f"{API}{path}"
    return body


def test_each_created_object_is_where_location_says(client: TestClient, api: Api) -> None:
    me, friend = api.user("lo"), api.user("lf")
    forged = {"Host": "evil.example.net"}  # a Location is never built from it

    r = client.post(f"{API}/connections/requests", json={"user_id": friend.id}, headers={**me.headers, **forged})
    request = r.json()
    _created(r, f"/connections/requests/{request['id']}")
    assert client.post(f"{API}/connections/requests/{request['id']}/accept", headers=friend.headers).status_code == 200

    r = client.post(f"{API}/tags", json={"name": "close"}, headers=me.headers)
    tag = _created(r, f"/tags/{r.json()['id']}")
    assert client.patch(r.headers["location"], json={"name": "closer"}, headers=me.headers).json()["id"] == tag["id"]

    r = client.post(f"{API}/posts", json={"body": "hello", "audience": {"type": "connections"}}, headers=me.headers)
    post = _created(r, f"/posts/{r.json()['id']}")
    assert client.get(r.headers["location"], headers=friend.headers).json()["id"] == post["id"]

    r = client.post(f"{API}/posts/{post['id']}/comments", json={"body": "hi"}, headers=friend.headers)
    comment = _created(r, f"/comments/{r.json()['id']}")
    assert client.delete(r.headers["location"], headers=friend.headers).status_code == 204
    assert comment["post_id"] == post["id"]

    r = client.post(f"{API}/media", json={"content_type": "image/png", "size_bytes": 10}, headers=me.headers)
    media = _created(r, f"/media/{r.json()['media']['id']}")
    assert client.get(r.headers["location"], headers=me.headers).json()["id"] == media["media"]["id"]

    r = client.post(f"{API}/invites", json={}, headers=me.headers)
    _created(r, f"/invites/{r.json()['id']}")
    assert client.delete(r.headers["location"], headers=me.headers).status_code == 204


def test_register_locates_the_new_user(client: TestClient) -> None:
    name = f"loc{uuid.uuid4().hex[:10]}"
    r = client.post(
        f"{API}/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": PASSWORD, "display_name": "Lo"},
        headers={"Host": "evil.example.net"},
    )
    session = _created(r, f"/users/{r.json()['user']['id']}")
    me = client.get(r.headers["location"], headers={"Authorization": f"Bearer {session['access_token']}"})
    assert me.status_code == 200
    assert (me.json()["username"], me.json()["connection_status"]) == (name, "self")
    # logging in creates nothing: no Location
    r = client.post(f"{API}/auth/login", json={"username": name, "password": PASSWORD})
    assert r.status_code == 200 and "location" not in r.headers
