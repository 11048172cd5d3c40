"""The caller's own account, other users' profiles, sanitising, and the directory neighbours use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hearth_identity import UserDirectory, UserProfile, UserSummary
from hearth_platform.security import TokenAuthenticator
from hearth_testing import assert_problem

ME = "/api/v1/users/me"


# --- GET/PATCH /users/me -------------------------------------------------------------------------


def test_me_is_the_callers_account(client: TestClient, make_user: Callable[..., Any]) -> None:
    u = make_user(display_name="Grace Hopper")
    r = client.get(ME, headers=u.headers)
    assert r.status_code == 200
    me = r.json()
    assert me["id"] == u.id
    assert me["username"] == u.username
    assert me["email"] == u.email
    assert me["display_name"] == "Grace Hopper"
    assert me["connection_status"] == "self"
    assert "password_hash" not in me


def test_patch_me_changes_only_what_is_sent(client: TestClient, make_user: Callable[..., Any]) -> None:
    u = make_user(display_name="Before")
    r = client.patch(ME, json={"bio": "Line one\nLine two"}, headers=u.headers)
    assert r.status_code == 200, r.text
    assert r.json()["bio"] == "Line one\nLine two"
    assert r.json()["display_name"] == "Before"
    r = client.patch(ME, json={"display_name": "  After  "}, headers=u.headers)
    assert r.json()["display_name"] == "After"
    assert r.json()["bio"] == "Line one\nLine two"
    assert client.patch(ME, json={}, headers=u.headers).json() == r.json()
    # stored, not just echoed
    assert client.get(ME, headers=u.headers).json() == r.json()


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("<script>alert('x')</script>Alice", "Alice"),
        ("<b>Bold</b> <i>move</i>", "Bold move"),
        ('<img src=x onerror="alert(1)">Eve', "Eve"),
        ("<<b>b>Trick", "b>Trick"),
        ("Tom & Jerry", "Tom & Jerry"),
        ("&lt;script&gt;", "&lt;script&gt;"),
        ("I <3 tea", "I <3 tea"),
        ("Null\x00Byte\x07\u202eName", "Null Byte Name"),
        ("<!-- hidden -->Shown", "Shown"),
    ],
)
def test_display_name_and_bio_are_stored_as_plain_text(
    client: TestClient, make_user: Callable[..., Any], sent: str, stored: str
) -> None:
    u = make_user()
    r = client.patch(ME, json={"display_name": sent, "bio": sent}, headers=u.headers)
    assert r.status_code == 200, r.text
    assert r.json()["display_name"] == stored
    assert r.json()["bio"] == stored
    viewer = make_user()
    seen = client.get(f"/api/v1/users/{u.id}", headers=viewer.headers).json()
    assert seen["display_name"] == stored
    assert seen["bio"] == stored


def test_register_sanitises_the_display_name(client: TestClient, make_user: Callable[..., Any]) -> None:
    u = make_user(display_name="<script>x()</script><b>Real</b> Name")
    assert client.get(ME, headers=u.headers).json()["display_name"] == "Real Name"


@pytest.mark.parametrize(
    "body",
    [
        {"bio": "b" * 501},
        {"display_name": "d" * 81},
        {"display_name": ""},
        {"display_name": "<p></p>"},
        {"display_name": None},
        {"bio": None},
        {"email": "new@example.com"},
        {"username": "renamed"},
        {"avatar_media_id": "not a number"},
    ],
)
def test_patch_me_refuses_bad_fields(client: TestClient, make_user: Callable[..., Any], body: dict[str, Any]) -> None:
    u = make_user(display_name="Unchanged")
    assert_problem(client.patch(ME, json=body, headers=u.headers), 422, "validation_error")
    assert client.get(ME, headers=u.headers).json()["display_name"] == "Unchanged"


def test_bio_length_is_counted_as_typed(client: TestClient, make_user: Callable[..., Any]) -> None:
    """As the schema's ``maxLength`` says: 500 characters sent, markup included (cleaning only shortens)."""
    u = make_user()
    r = client.patch(ME, json={"bio": "<b>" + "x" * 493 + "</b>"}, headers=u.headers)
    assert r.status_code == 200, r.text
    assert r.json()["bio"] == "x" * 493
    r = client.patch(ME, json={"bio": "<b>" + "x" * 494 + "</b>"}, headers=u.headers)
    assert_problem(r, 422, "validation_error")
    assert client.get(ME, headers=u.headers).json()["bio"] == "x" * 493


def test_avatar_must_be_the_callers_ready_media(client: TestClient, make_user: Callable[..., Any]) -> None:
    u = make_user()
    for media_id in (1, 987654321, 0, -5, 2**63):
        r = client.patch(ME, json={"avatar_media_id": media_id, "bio": "kept?"}, headers=u.headers)
        assert_problem(r, 404, "not_found")
    me = client.get(ME, headers=u.headers).json()
    assert me["avatar_url"] is None
    assert me["bio"] == ""  # the failed request changed nothing
    r = client.patch(ME, json={"avatar_media_id": None}, headers=u.headers)
    assert r.status_code == 200
    assert r.json()["avatar_url"] is None


def test_another_users_media_cannot_be_my_avatar(
    app: FastAPI, client: TestClient, make_user: Callable[..., Any]
) -> None:
    """A's upload is never B's avatar (404); a ready one of A's is A's."""
    owner, other = make_user(), make_user()
    created = client.post("/api/v1/media", json={"content_type": "image/png", "size_bytes": 4}, headers=owner.headers)
    assert created.status_code == 201, created.text
    media_id = created.json()["media"]["id"]
    assert_problem(client.patch(ME, json={"avatar_media_id": media_id}, headers=other.headers), 404, "not_found")
    assert_problem(
        client.patch(ME, json={"avatar_media_id": media_id}, headers=owner.headers), 404, "not_found"
    )  # pending

    upload = created.json()["upload"]
    client.request(upload["method"], upload["url"], headers=upload["headers"], content=b"\x89PNG")
    assert client.get(f"/api/v1/media/{media_id}", headers=owner.headers).json()["status"] == "ready"
    assert_problem(client.patch(ME, json={"avatar_media_id": media_id}, headers=other.headers), 404, "not_found")
    r = client.patch(ME, json={"avatar_media_id": media_id}, headers=owner.headers)
    assert r.status_code == 200, r.text
    assert r.json()["avatar_url"]
    assert client.get(f"/api/v1/users/{owner.id}", headers=other.headers).json()["avatar_url"]
    assert client.patch(ME, json={"avatar_media_id": None}, headers=owner.headers).json()["avatar_url"] is None


# --- GET /users/{id} -----------------------------------------------------------------------------


def test_another_user_sees_the_public_profile_without_email(client: TestClient, make_user: Callable[..., Any]) -> None:
    a, b = make_user(display_name="Alice"), make_user()
    client.patch(ME, json={"bio": "hello"}, headers=a.headers)
    r = client.get(f"/api/v1/users/{a.id}", headers=b.headers)
    assert r.status_code == 200
    body = r.json()
    assert body == {
        "id": a.id,
        "username": a.username,
        "display_name": "Alice",
        "avatar_url": None,
        "bio": "hello",
        "connection_status": "none",
    }
    assert a.email not in r.text
    mine = client.get(f"/api/v1/users/{a.id}", headers=a.headers).json()
    assert mine["connection_status"] == "self"
    assert "email" not in mine


@pytest.mark.parametrize("user_id", ["0", "-1", "999999999999", str(2**63), str(2**70)])
def test_unknown_users_are_404(client: TestClient, make_user: Callable[..., Any], user_id: str) -> None:
    u = make_user()
    body = assert_problem(client.get(f"/api/v1/users/{user_id}", headers=u.headers), 404, "not_found")
    assert body["instance"] == f"/api/v1/users/{user_id}"


def test_non_numeric_user_id_is_422(client: TestClient, make_user: Callable[..., Any]) -> None:
    u = make_user()
    assert_problem(client.get("/api/v1/users/abc", headers=u.headers), 422, "validation_error")


def test_connection_status_follows_connections(
    app: FastAPI, client: TestClient, make_user: Callable[..., Any], connect: Callable[..., None]
) -> None:
    a, b, c = make_user(), make_user(), make_user()
    connect(a, b)
    assert client.get(f"/api/v1/users/{b.id}", headers=a.headers).json()["connection_status"] == "connected"
    assert client.get(f"/api/v1/users/{a.id}", headers=b.headers).json()["connection_status"] == "connected"
    r = client.post("/api/v1/connections/requests", json={"user_id": c.id}, headers=a.headers)
    assert r.status_code == 201, r.text
    assert client.get(f"/api/v1/users/{c.id}", headers=a.headers).json()["connection_status"] == "pending_outgoing"
    assert client.get(f"/api/v1/users/{a.id}", headers=c.headers).json()["connection_status"] == "pending_incoming"


def test_a_user_who_blocked_me_is_404(app: FastAPI, client: TestClient, make_user: Callable[..., Any]) -> None:
    a, b = make_user(), make_user()
    assert client.post("/api/v1/blocks", json={"user_id": b.id}, headers=a.headers).status_code == 204
    body = assert_problem(client.get(f"/api/v1/users/{a.id}", headers=b.headers), 404, "not_found")
    unknown = assert_problem(client.get("/api/v1/users/999999999998", headers=b.headers), 404, "not_found")
    assert body["detail"].replace(str(a.id), "N") == unknown["detail"].replace("999999999998", "N")
    # the blocker still sees the one they blocked
    assert client.get(f"/api/v1/users/{b.id}", headers=a.headers).status_code == 200
    found = client.get("/api/v1/users", params={"q": a.username}, headers=b.headers).json()["items"]
    assert found == []


# --- query counts --------------------------------------------------------------------------------


def test_me_costs_a_fixed_number_of_statements(
    client: TestClient, make_user: Callable[..., Any], count_queries: Callable[..., Any]
) -> None:
    u = make_user()
    with count_queries() as q:
        assert client.get(ME, headers=u.headers).status_code == 200
    assert q.count == 2, q.statements  # the token check + the user


# --- the directory neighbours use ----------------------------------------------------------------


def test_directory_reads_in_batches(
    app: FastAPI, client: TestClient, make_user: Callable[..., Any], count_queries: Callable[..., Any]
) -> None:
    users = [make_user(display_name=f"Dir {i}") for i in range(3)]
    ids = [u.id for u in users]
    with app.state.database.transaction() as session:
        directory = app.state.container.resolve(UserDirectory, session=session)
        with count_queries() as q:
            summaries = directory.summaries([*ids, 999999999997, 0, 2**64])
        assert q.count == 1
        assert set(summaries) == set(ids)
        assert all(isinstance(s, UserSummary) for s in summaries.values())
        assert summaries[ids[1]].display_name == "Dir 1"
        assert summaries[ids[1]].avatar_url is None
        assert not hasattr(summaries[ids[1]], "email")

        with count_queries() as q:
            profiles = directory.profiles(ids)
        assert q.count == 1
        assert isinstance(profiles[ids[0]], UserProfile)
        assert profiles[ids[0]].bio == ""

        with count_queries() as q:
            assert directory.existing_ids([*ids, 999999999997]) == set(ids)
            assert directory.summaries([]) == {}
            assert directory.existing_ids([]) == set()
        assert q.count == 1


def test_the_authenticator_is_one_statement(
    app: FastAPI, make_user: Callable[..., Any], count_queries: Callable[..., Any]
) -> None:
    u = make_user()
    with app.state.database.transaction() as session:
        authenticator = app.state.container.resolve(TokenAuthenticator, session=session)
        with count_queries() as q:
            principal = authenticator.authenticate(u.token)
        assert q.count == 1
        assert principal is not None
        assert principal.user_id == u.id
        with count_queries() as q:
            assert authenticator.authenticate("not a token") is None
        assert q.count == 0
