"""API.md, "Account lifecycle", over HTTP on the whole app, with mail through a real SMTP server started by
the test and jobs run by a real worker: password change, sessions, password reset by mail, email
verification, deletion and exports. Every route that takes an id has a second user who must not reach the
first one's sessions or exports."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from hearth_testing import API, Api, AppUser, OwnSmtp, assert_problem, bodies, link_in, request_url, run_jobs


@pytest.fixture(scope="module")
def http(make_app: Any, smtp_server: OwnSmtp) -> Iterator[TestClient]:
    with TestClient(make_app(**smtp_server.settings(), mail_link_base_url="https://app.hearth.example")) as c:
        yield c


@pytest.fixture
def api(http: TestClient) -> Api:
    return Api(http)


def _app(http: TestClient) -> FastAPI:
    assert isinstance(http.app, FastAPI)
    return http.app


def _login(api: Api, user: AppUser, password: str | None = None, agent: str = "test-agent") -> str:
    r = api.http.post(
        f"{API}/auth/login",
        json={"username": user.username, "password": password or user.password},
        headers={"User-Agent": agent},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


# -- password change ------------------------------------------------------------------------------------


def test_password_change_revokes_every_other_token(api: Api) -> None:
    user = api.user("pw")
    other_token = _login(api, user)
    r = api.http.post(
        f"{API}/users/me/password",
        json={"current_password": "not my password", "new_password": "a brand new password"},
        headers=user.headers,
    )
    assert_problem(r, 401, "invalid_credentials")
    short = {"current_password": user.password, "new_password": "short"}
    assert_problem(api.http.post(f"{API}/users/me/password", json=short, headers=user.headers), 422, "validation_error")
    assert api.http.get(f"{API}/users/me", headers=_bearer(other_token)).status_code == 200  # nothing changed yet

    good = {"current_password": user.password, "new_password": "a brand new password"}
    assert api.http.post(f"{API}/users/me/password", json=good, headers=user.headers).status_code == 204
    assert_problem(api.http.get(f"{API}/users/me", headers=_bearer(other_token)), 401, "unauthorized")
    assert api.http.get(f"{API}/users/me", headers=user.headers).status_code == 200  # the token used stays
    _login(api, user, "a brand new password")
    old = api.http.post(f"{API}/auth/login", json={"username": user.username, "password": user.password})
    assert_problem(old, 401, "invalid_credentials")


# -- sessions -------------------------------------------------------------------------------------------


def test_sessions_are_listed_and_revoked_one_by_one(api: Api) -> None:
    user, stranger = api.user("ses"), api.user("ses")
    phone = _login(api, user, agent="Hearth for Android 1.0")
    listed = api.call("GET", "/auth/sessions", user, 200)["items"]
    assert len(listed) == 2
    by_current = {s["current"]: s for s in listed}
    assert set(by_current[True]) == {"id", "created_at", "last_used_at", "expires_at", "user_agent", "current"}
    assert by_current[False]["user_agent"] == "Hearth for Android 1.0"
    phone_id = by_current[False]["id"]

    # a second user can neither see nor end them
    assert [s["id"] for s in api.call("GET", "/auth/sessions", stranger, 200)["items"]] != [phone_id]
    assert_problem(api.http.delete(f"{API}/auth/sessions/{phone_id}", headers=stranger.headers), 404, "not_found")
    assert api.http.get(f"{API}/users/me", headers=_bearer(phone)).status_code == 200

    assert api.http.delete(f"{API}/auth/sessions/{phone_id}", headers=user.headers).status_code == 204
    assert_problem(api.http.get(f"{API}/users/me", headers=_bearer(phone)), 401, "unauthorized")
    assert [s["id"] for s in api.call("GET", "/auth/sessions", user, 200)["items"]] == [by_current[True]["id"]]
    assert_problem(api.http.delete(f"{API}/auth/sessions/{phone_id}", headers=user.headers), 404, "not_found")
    assert_problem(api.http.delete(f"{API}/auth/sessions/999999999", headers=user.headers), 404, "not_found")


# -- password reset by mail -----------------------------------------------------------------------------


def test_password_reset_by_mail_is_single_use_and_revokes_every_token(
    api: Api, http: TestClient, smtp_server: OwnSmtp
) -> None:
    user = api.user("reset")
    second = _login(api, user)
    known = http.post(f"{API}/auth/password-reset", json={"email": user.email})
    unknown = http.post(f"{API}/auth/password-reset", json={"email": "nobody-here@example.com"})
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content) == (202, b"")
    run_jobs(_app(http))
    assert smtp_server.received("nobody-here@example.com") == []
    mail = [m for m in smtp_server.wait_for(user.email, 2) if "password" in str(m["Subject"]).lower()][-1]
    _, html_body = bodies(mail)
    link = link_in(mail)
    assert link.startswith("https://app.hearth.example/reset-password?token=")
    assert link in html_body.replace("&amp;", "&")
    token = _token_of(link)

    weak = http.post(f"{API}/auth/password-reset/confirm", json={"token": token, "new_password": "short"})
    assert_problem(weak, 422, "validation_error")
    confirm = {"token": token, "new_password": "reset to something new"}
    assert http.post(f"{API}/auth/password-reset/confirm", json=confirm).status_code == 204
    for token_held in (user.token, second):
        assert_problem(http.get(f"{API}/users/me", headers=_bearer(token_held)), 401, "unauthorized")
    _login(api, user, "reset to something new")
    again = http.post(f"{API}/auth/password-reset/confirm", json={**confirm, "new_password": "yet another one!"})
    assert_problem(again, 422, "invalid_token")  # single use
    bogus = {"token": "x" * 43, "new_password": "yet another one!"}
    assert_problem(http.post(f"{API}/auth/password-reset/confirm", json=bogus), 422, "invalid_token")


def test_a_reset_link_expires_after_an_hour(api: Api, http: TestClient, smtp_server: OwnSmtp) -> None:
    user = api.user("expire")
    http.post(f"{API}/auth/password-reset", json={"email": user.email})
    run_jobs(_app(http))
    token = _token_of(
        link_in([m for m in smtp_server.wait_for(user.email, 2) if "password" in str(m["Subject"]).lower()][-1])
    )
    with _app(http).state.database.transaction() as session:
        session.execute(
            text("UPDATE one_time_tokens SET expires_at = created_at + interval '1 hour' - interval '1 day' "
                 "WHERE user_id = :u AND kind = 'password_reset'"),
            {"u": user.id},
        )  # fmt: skip
        ttl = session.execute(
            text("SELECT min(expires_at - created_at) FROM one_time_tokens WHERE user_id = :u"), {"u": user.id}
        ).scalar_one()
    assert ttl.total_seconds() <= 3600
    r = http.post(f"{API}/auth/password-reset/confirm", json={"token": token, "new_password": "too late for this"})
    assert_problem(r, 422, "invalid_token")


def test_password_reset_requests_have_their_own_rate_limit(make_app: Any) -> None:
    with TestClient(make_app(rate_limit_enabled=True, rate_limit_password_reset="2/hour")) as c:
        for _ in range(2):
            assert c.post(f"{API}/auth/password-reset", json={"email": "a@example.com"}).status_code == 202
        r = c.post(f"{API}/auth/password-reset", json={"email": "b@example.com"})
        assert_problem(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) >= 1


# -- email verification ---------------------------------------------------------------------------------


def test_the_address_is_verified_by_following_the_mailed_link(api: Api, http: TestClient, smtp_server: OwnSmtp) -> None:
    user = api.user("verify")
    assert api.call("GET", "/users/me", user, 200)["email_verified"] is False
    run_jobs(_app(http))
    [first] = smtp_server.wait_for(user.email)
    assert "confirm" in str(first["Subject"]).lower()
    first_token = _token_of(link_in(first))

    assert api.http.post(f"{API}/users/me/verification-email", headers=user.headers).status_code == 202
    run_jobs(_app(http))
    second = smtp_server.wait_for(user.email, 2)[-1]
    link = link_in(second)
    assert link.startswith("https://app.hearth.example/verify-email?token=")
    # the newest link is the one that works
    assert_problem(http.post(f"{API}/auth/verify-email", json={"token": first_token}), 422, "invalid_token")
    assert http.post(f"{API}/auth/verify-email", json={"token": _token_of(link)}).status_code == 204
    assert api.call("GET", "/users/me", user, 200)["email_verified"] is True
    r = api.http.post(f"{API}/users/me/verification-email", headers=user.headers)
    assert_problem(r, 409, "already_verified")
    assert_problem(http.post(f"{API}/auth/verify-email", json={"token": _token_of(link)}), 422, "invalid_token")


# -- deletion -------------------------------------------------------------------------------------------


def test_deleting_an_account_hides_it_at_once_and_a_job_erases_it(api: Api, http: TestClient) -> None:
    leaving, friend = api.user("leave"), api.user("leave")
    api.connect(leaving, friend)
    post = api.post(leaving)
    friends_post = api.post(friend)
    api.comment(leaving, friends_post)
    assert api.call("GET", f"/posts/{friends_post}", friend, 200)["comment_count"] == 1

    wrong = api.http.request("DELETE", f"{API}/users/me", json={"password": "not it at all"}, headers=leaving.headers)
    assert_problem(wrong, 401, "invalid_credentials")
    gone = api.http.request("DELETE", f"{API}/users/me", json={"password": leaving.password}, headers=leaving.headers)
    assert gone.status_code == 202

    # at once: the account is nobody to everyone, its token is dead, its posts and comments are hidden
    assert_problem(api.http.get(f"{API}/users/{leaving.id}", headers=friend.headers), 404, "not_found")
    assert_problem(api.http.get(f"{API}/users/me", headers=leaving.headers), 401, "unauthorized")
    assert_problem(api.http.get(f"{API}/posts/{post}", headers=friend.headers), 404, "not_found")
    assert api.call("GET", f"/posts/{friends_post}/comments", friend, 200)["items"] == []
    again = api.http.request("DELETE", f"{API}/users/me", json={"password": leaving.password}, headers=leaving.headers)
    assert_problem(again, 401, "unauthorized")  # a second request is harmless
    login = api.http.post(f"{API}/auth/login", json={"username": leaving.username, "password": leaving.password})
    assert_problem(login, 401, "invalid_credentials")

    run_jobs(_app(http))
    assert api.call("GET", f"/posts/{friends_post}", friend, 200)["comment_count"] == 0
    with _app(http).state.database.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM users WHERE id = :u"), {"u": leaving.id}) == 0
    assert api.call("GET", "/connections", friend, 200)["items"] == []


# -- exports --------------------------------------------------------------------------------------------


def test_an_export_is_built_by_a_job_and_downloaded_through_a_time_limited_url(api: Api, http: TestClient) -> None:
    user, friend, stranger = api.user("exp"), api.user("exp"), api.user("exp")
    api.connect(user, friend)
    tag = api.tag(user, friend, name="climbing club")
    media = api.media(user, content=b"\x89PNG\r\n\x1a\nexported")
    post = api.post(user, tags=[tag], media=[media], body="to the club")
    api.comment(user, post, "my own comment")

    started = api.call("POST", "/users/me/exports", user, 202)
    assert started["status"] == "pending"
    assert started["url"] is None and started["url_expires_at"] is None
    assert_problem(api.http.post(f"{API}/users/me/exports", headers=user.headers), 409, "export_running")
    assert_problem(api.http.get(f"{API}/users/me/exports/{started['id']}", headers=stranger.headers), 404, "not_found")

    run_jobs(_app(http))
    ready = api.call("GET", f"/users/me/exports/{started['id']}", user, 200)
    assert ready["status"] == "ready"
    assert ready["url"] and ready["url_expires_at"]
    assert_problem(api.http.get(f"{API}/users/me/exports/{started['id']}", headers=stranger.headers), 404, "not_found")
    download = request_url(http, "GET", ready["url"])
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    names = set(archive.namelist())
    assert {"profile.json", "connections.json", "tags.json", "posts.json", "comments.json", "media.json"} <= names
    assert json.loads(archive.read("profile.json"))["username"] == user.username
    assert [c["user_id"] for c in json.loads(archive.read("connections.json"))] == [friend.id]
    assert json.loads(archive.read("tags.json"))[0]["member_ids"] == [friend.id]
    [exported_post] = json.loads(archive.read("posts.json"))
    assert exported_post["body"] == "to the club" and exported_post["audience"] == {"type": "tags", "tag_ids": [tag]}
    assert [c["body"] for c in json.loads(archive.read("comments.json"))] == ["my own comment"]
    [listed] = json.loads(archive.read("media.json"))
    assert archive.read(listed["file"]) == b"\x89PNG\r\n\x1a\nexported"
    assert api.call("POST", "/users/me/exports", user, 202)["id"] != started["id"]  # a new one, once done
