"""API.md, "Registration modes and invites", over HTTP on the whole app: the modes, invites with their quota,
`connect` invites, and a second user who must not reach the first one's invites."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from hearth_identity.service import InviteService
from hearth_testing import API, PASSWORD, Api, assert_problem, resolved


def _register(http: TestClient, code: str | None = None) -> Any:
    name = f"inv{uuid.uuid4().hex[:12]}"
    body: dict[str, Any] = {
        "username": name,
        "email": f"{name}@example.com",
        "password": PASSWORD,
        "display_name": name,
    }
    if code is not None:
        body["invite_code"] = code
    return http.post(f"{API}/auth/register", json=body)


@pytest.fixture(scope="module")
def invite_only(make_app: Any) -> Iterator[TestClient]:
    with TestClient(make_app(registration_mode="invite", invite_quota=3)) as c:
        yield c


def test_in_invite_mode_registering_needs_a_valid_code(invite_only: TestClient) -> None:
    assert_problem(_register(invite_only), 403, "invite_required")
    assert_problem(_register(invite_only, "not-a-code"), 403, "invite_required")
    app = invite_only.app
    assert isinstance(app, FastAPI)
    with resolved(app, InviteService) as invites:
        code = invites.create(None).code  # an operator's invite
    first = _register(invite_only, code)
    assert first.status_code == 201, first.text
    assert_problem(_register(invite_only, code), 403, "invite_required")  # used


def test_invites_are_listed_withdrawn_and_limited_per_user(invite_only: TestClient) -> None:
    app = invite_only.app
    assert isinstance(app, FastAPI)
    api = Api(invite_only)
    with resolved(app, InviteService) as invites:
        owner_code, other_code = invites.create(None).code, invites.create(None).code
    owner_body, other_body = _register(invite_only, owner_code).json(), _register(invite_only, other_code).json()
    owner = {"Authorization": f"Bearer {owner_body['access_token']}"}
    other = {"Authorization": f"Bearer {other_body['access_token']}"}

    made = [api.call("POST", "/invites", owner, 201, json={}) for _ in range(3)]
    assert set(made[0]) == {"id", "code", "connect", "created_at", "expires_at", "used_by"}
    assert made[0]["used_by"] is None and made[0]["connect"] is False
    over = invite_only.post(f"{API}/invites", json={}, headers=owner)
    assert_problem(over, 429, "rate_limited")
    assert int(over.headers["retry-after"]) >= 1
    assert invite_only.post(f"{API}/invites", json={}, headers=other).status_code == 201  # per user

    listed = api.call("GET", "/invites", owner, 200)
    assert [i["id"] for i in listed["items"]] == [i["id"] for i in reversed(made)]
    assert {i["id"] for i in api.call("GET", "/invites", other, 200)["items"]}.isdisjoint({i["id"] for i in made})

    # the second user can neither see nor withdraw them
    assert_problem(invite_only.delete(f"{API}/invites/{made[0]['id']}", headers=other), 404, "not_found")
    assert invite_only.delete(f"{API}/invites/{made[0]['id']}", headers=owner).status_code == 204
    assert_problem(_register(invite_only, made[0]["code"]), 403, "invite_required")  # withdrawn
    assert invite_only.post(f"{API}/invites", json={}, headers=owner).status_code == 201  # room again

    invitee = _register(invite_only, made[1]["code"])
    assert invitee.status_code == 201
    used = next(i for i in api.call("GET", "/invites", owner, 200)["items"] if i["id"] == made[1]["id"])
    assert used["used_by"]["id"] == invitee.json()["user"]["id"]
    assert_problem(invite_only.delete(f"{API}/invites/{made[1]['id']}", headers=owner), 409, "invite_used")
    assert_problem(invite_only.delete(f"{API}/invites/999999999", headers=owner), 404, "not_found")


def test_an_expired_invite_does_not_let_anyone_in(invite_only: TestClient) -> None:
    app = invite_only.app
    assert isinstance(app, FastAPI)
    with resolved(app, InviteService) as invites:
        code = invites.create(None).code
    with app.state.database.transaction() as session:
        session.execute(
            text("UPDATE invites SET expires_at = now() - interval '1 second' WHERE code = :c"), {"c": code}
        )
    assert_problem(_register(invite_only, code), 403, "invite_required")


def test_a_connect_invite_connects_inviter_and_invitee(client: TestClient) -> None:
    api = Api(client)
    inviter = api.user("host")
    invite = api.call("POST", "/invites", inviter, 201, json={"connect": True})
    assert invite["connect"] is True
    guest = _register(client, invite["code"])  # the app is open: the code still connects them
    assert guest.status_code == 201
    guest_headers = {"Authorization": f"Bearer {guest.json()['access_token']}"}
    guest_id = guest.json()["user"]["id"]
    assert [c["user"]["id"] for c in api.call("GET", "/connections", inviter, 200)["items"]] == [guest_id]
    assert api.call("GET", f"/users/{inviter.id}", guest_headers, 200)["connection_status"] == "connected"
    post = api.post(inviter)  # and the guest's feed has the inviter's posts from now on
    assert post in [p["id"] for p in api.call("GET", "/feed", guest_headers, 200)["items"]]


def test_in_closed_mode_nobody_registers_and_the_mode_changes_at_run_time(make_app: Any) -> None:
    with TestClient(make_app(registration_mode="closed")) as http:
        app = http.app
        assert isinstance(app, FastAPI)
        with resolved(app, InviteService) as invites:
            code = invites.create(None).code
        assert_problem(_register(http), 403, "invite_required")
        assert_problem(_register(http, code), 403, "invite_required")
        with resolved(app, InviteService) as invites:
            invites.set_mode("open")
        assert _register(http).status_code == 201
        with resolved(app, InviteService) as invites:
            invites.set_mode("closed")  # (the database is shared by the test run: leave it as the setting was)
            assert invites.mode() == "closed"
        with app.state.database.transaction() as session:
            session.execute(text("DELETE FROM site_settings WHERE name = 'registration_mode'"))
