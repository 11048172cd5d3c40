"""Register, login, logout and bearer tokens, as a client sees them."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from hearth_testing import assert_problem

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/users/me"
PASSWORD = "correct horse battery"


def _name(prefix: str = "r") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def _register(client: TestClient, **overrides: Any) -> Any:
    username = overrides.pop("username", None) or _name()
    body = {
        "username": username,
        "email": f"{username.lower()}@example.com",
        "password": PASSWORD,
        "display_name": "Someone",
        **overrides,
    }
    return client.post(REGISTER, json=body)


def _assert_unauthorized(r: Any) -> None:
    assert_problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"


# --- register ------------------------------------------------------------------------------------


def test_register_answers_me_and_a_working_token(client: TestClient) -> None:
    username = _name("Mixed_")
    r = _register(client, username=username, email=f"{username}@Example.COM", display_name="Ada Lovelace")
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"user", "access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 24 * 3600
    user = body["user"]
    assert set(user) == {
        "id",
        "username",
        "display_name",
        "avatar_url",
        "bio",
        "connection_status",
        "email",
        "email_verified",
        "created_at",
    }
    assert user["email_verified"] is False  # until the mailed link is followed
    assert user["username"] == username.lower()
    assert user["email"] == f"{username.lower()}@example.com"
    assert user["display_name"] == "Ada Lovelace"
    assert user["bio"] == ""
    assert user["avatar_url"] is None
    assert user["connection_status"] == "self"
    assert user["created_at"].endswith("Z")
    assert "password" not in r.text and "hash" not in r.text

    me = client.get(ME, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == user


def test_username_is_taken_case_insensitively(client: TestClient) -> None:
    username = _name("Case")
    assert _register(client, username=username).status_code == 201
    r = _register(client, username=username.upper(), email=f"other{uuid.uuid4().hex[:6]}@example.com")
    assert_problem(r, 409, "username_taken")


def test_email_is_taken_case_insensitively(client: TestClient) -> None:
    email = f"{_name()}@example.com"
    assert _register(client, email=email).status_code == 201
    assert_problem(_register(client, email=email.upper()), 409, "email_taken")


def test_a_refused_registration_stores_nothing(client: TestClient) -> None:
    email = f"{_name()}@example.com"
    assert _register(client, email=email).status_code == 201
    username = _name()
    assert_problem(_register(client, username=username, email=email), 409, "email_taken")
    # the username of the refused registration is still free
    assert _register(client, username=username).status_code == 201


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "ab"),
        ("username", "a" * 31),
        ("username", "has space"),
        ("username", "dash-ed"),
        ("username", "ünïcode"),
        ("password", "short9char"[:9]),
        ("password", "x" * 129),
        ("email", "not-an-email"),
        ("email", "a@b"),
        ("email", "two@@example.com"),
        ("display_name", ""),
        ("display_name", "   "),
        ("display_name", "<b></b>"),
        ("display_name", "<script>alert(1)</script>"),
        ("display_name", "x" * 81),
        ("display_name", "\x00\x01"),
    ],
)
def test_register_validates_each_field(client: TestClient, field: str, value: str) -> None:
    body = assert_problem(_register(client, **{field: value}), 422, "validation_error")
    assert any(e["loc"][-1] == field for e in body["errors"]), body


def test_register_refuses_missing_and_unknown_fields(client: TestClient) -> None:
    r = client.post(REGISTER, json={"username": _name(), "password": PASSWORD})
    assert_problem(r, 422, "validation_error")
    assert_problem(_register(client, is_admin=True), 422, "validation_error")


def test_register_accepts_the_bounds(client: TestClient) -> None:
    assert _register(client, username=_name("B")[:3]).status_code == 201
    r = _register(client, username=("z" + uuid.uuid4().hex * 2)[:30], password="p" * 128, display_name="d" * 80)
    assert r.status_code == 201, r.text
    assert _register(client, password="p" * 10).status_code == 201


# --- login ---------------------------------------------------------------------------------------


def test_login_is_case_insensitive_and_issues_a_new_token(client: TestClient, make_user: Callable[..., Any]) -> None:
    u = make_user()
    r = client.post(LOGIN, json={"username": u.username.upper(), "password": u.password})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["id"] == u.id
    assert body["user"]["email"] == u.email
    assert body["access_token"] != u.token
    # both sessions work
    for token in (u.token, body["access_token"]):
        assert client.get(ME, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_unknown_user_and_wrong_password_get_the_same_answer(client: TestClient, make_user: Callable[..., Any]) -> None:
    u = make_user()
    wrong = client.post(LOGIN, json={"username": u.username, "password": "not the password"})
    unknown = client.post(LOGIN, json={"username": _name("nobody"), "password": "not the password"})
    malformed = client.post(LOGIN, json={"username": "no such user!", "password": "x"})
    bodies = []
    for r in (wrong, unknown, malformed):
        body = assert_problem(r, 401, "invalid_credentials")
        body.pop("request_id", None)
        bodies.append(body)
        assert r.headers["www-authenticate"] == "Bearer"
    assert bodies[0] == bodies[1] == bodies[2]


def test_unknown_user_takes_about_as_long_as_a_wrong_password(
    client: TestClient, make_user: Callable[..., Any]
) -> None:
    u = make_user()

    def timed(username: str) -> float:
        started = time.perf_counter()
        r = client.post(LOGIN, json={"username": username, "password": "not the password"})
        assert r.status_code == 401
        return time.perf_counter() - started

    timed(u.username)  # warm up
    wrong = statistics.median(timed(u.username) for _ in range(5))
    unknown = statistics.median(timed(_name("ghost")) for _ in range(5))
    # Without the dummy hash an unknown user answers an order of magnitude faster.
    assert unknown > wrong / 3, (unknown, wrong)


def test_login_validates_only_the_shape(client: TestClient) -> None:
    assert_problem(client.post(LOGIN, json={"username": "someone"}), 422, "validation_error")
    assert_problem(client.post(LOGIN, json={"username": "", "password": "x"}), 422, "validation_error")


# --- tokens and logout ---------------------------------------------------------------------------


def test_logout_revokes_the_token_at_once(client: TestClient, make_user: Callable[..., Any]) -> None:
    u = make_user()
    other = client.post(LOGIN, json={"username": u.username, "password": u.password}).json()["access_token"]
    r = client.post(LOGOUT, headers=u.headers)
    assert r.status_code == 204
    assert r.content == b""
    _assert_unauthorized(client.get(ME, headers=u.headers))
    _assert_unauthorized(client.post(LOGOUT, headers=u.headers))
    # only that token: the other session lives on
    assert client.get(ME, headers={"Authorization": f"Bearer {other}"}).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-token",
        "Bearer " + "A" * 43,
        "Bearer " + "x" * 300,
        "Token abc",
    ],
)
def test_missing_or_malformed_tokens_get_401(client: TestClient, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    # identity's own routes; every route of the whole app: tests/test_http_contract.py
    for method, path in (("GET", ME), ("POST", LOGOUT), ("PATCH", ME)):
        _assert_unauthorized(client.request(method, path, headers=headers))


def test_an_expired_token_gets_401(client: TestClient, app: FastAPI, make_user: Callable[..., Any]) -> None:
    u = make_user()
    assert client.get(ME, headers=u.headers).status_code == 200
    with app.state.database.engine.begin() as conn:
        conn.execute(
            text("UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE user_id = :u"), {"u": u.id}
        )
    _assert_unauthorized(client.get(ME, headers=u.headers))


def test_tokens_are_stored_hashed(client: TestClient, app: FastAPI, make_user: Callable[..., Any]) -> None:
    u = make_user()
    with app.state.database.engine.connect() as conn:
        row = conn.execute(
            text("SELECT token_hash, expires_at - created_at AS ttl FROM auth_tokens WHERE user_id = :u"), {"u": u.id}
        ).one()
        password_hash = conn.execute(text("SELECT password_hash FROM users WHERE id = :u"), {"u": u.id}).scalar_one()
    assert u.token.encode() not in bytes(row.token_hash)
    assert len(bytes(row.token_hash)) == 32
    assert row.ttl.total_seconds() == 30 * 24 * 3600
    assert password_hash.startswith("$argon2id$")


def test_login_and_register_are_rate_limited_per_address(make_app: Callable[..., FastAPI]) -> None:
    limited = make_app(rate_limit_enabled=True, rate_limit_login="2/minute", rate_limit_register="1/hour")
    with TestClient(limited) as c:
        for _ in range(2):
            assert_problem(
                c.post(LOGIN, json={"username": _name(), "password": "whatever123"}), 401, "invalid_credentials"
            )
        r = c.post(LOGIN, json={"username": _name(), "password": "whatever123"})
        assert_problem(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) >= 1
        assert _register(c).status_code == 201
        assert_problem(_register(c), 429, "rate_limited")


def test_live_token_ids_answers_which_tokens_still_work(app: FastAPI, client: TestClient) -> None:
    """The batched check long-lived answers use (the live stream): a token logged out, or expired, is not live."""
    from hearth_platform.security import TokenAuthenticator
    from hearth_platform.uow import unit_of_work

    username = _name("lv")
    assert _register(client, username=username).status_code == 201
    tokens = [
        client.post(LOGIN, json={"username": username, "password": PASSWORD}).json()["access_token"] for _ in "abc"
    ]
    state = app.state
    with unit_of_work(state.database, state.event_bus, state.container) as uow:
        check = uow.resolve(TokenAuthenticator)  # type: ignore[type-abstract]
        ids = [check.authenticate(t).token_id for t in tokens]
    assert client.post(LOGOUT, headers={"Authorization": f"Bearer {tokens[1]}"}).status_code == 204
    with unit_of_work(state.database, state.event_bus, state.container) as uow:
        uow.session.execute(
            text("UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE id = :id"), {"id": ids[2]}
        )
    with unit_of_work(state.database, state.event_bus, state.container) as uow:
        live = uow.resolve(TokenAuthenticator).live_token_ids({*ids, 0})  # type: ignore[type-abstract]
    assert live == {ids[0]}
