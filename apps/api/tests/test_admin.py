"""``hearth admin``: create a user, suspend and unsuspend one (a suspended user cannot log in, their tokens
stop working and their content is hidden from everyone else), create invites, change the registration mode
at run time. Run as an operator runs it, against the test database; checked over HTTP on the app."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from hearth_api.cli import main
from hearth_testing import API, PASSWORD, SECRET_KEY, Api, assert_problem

Admin = Callable[..., tuple[int, str, str]]


@pytest.fixture
def admin(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Admin]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HEARTH_DATABASE_URL", database_url)
    monkeypatch.setenv("HEARTH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HEARTH_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("HEARTH_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("HEARTH_ADMIN_PASSWORD", PASSWORD)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["admin", *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    yield run
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    root.setLevel(level)


def _login(client: TestClient, username: str) -> httpx.Response:
    return client.post(f"{API}/auth/login", json={"username": username, "password": PASSWORD})


def test_create_user_makes_an_account_that_logs_in(admin: Admin, client: TestClient) -> None:
    name = f"adm{uuid.uuid4().hex[:10]}"
    code, out, _ = admin("create-user", name, "--email", f"{name}@example.com", "--display-name", "Operator Made")
    assert code == 0, out
    assert name in out
    r = _login(client, name)
    assert r.status_code == 200, r.text
    assert r.json()["user"]["display_name"] == "Operator Made"
    again, _, err = admin("create-user", name, "--email", f"other{name}@example.com")
    assert again == 1 and "taken" in err
    bad, _, err = admin("create-user", "x", "--email", "x@example.com")
    assert bad == 2 and "username" in err


def test_a_suspended_user_cannot_log_in_and_their_content_is_hidden(admin: Admin, client: TestClient) -> None:
    api = Api(client)
    user, friend = api.user("susp"), api.user("susp")
    api.connect(user, friend)
    post = api.post(user)
    friends_post = api.post(friend)
    api.comment(user, friends_post, "a comment of the suspended user")
    api.call("PUT", f"/posts/{friends_post}/reactions/like", user, 204)  # told to friend
    api.post(user, body=f"hi @{friend.username}")  # a mention, told to friend
    told = api.call("GET", "/notifications", friend, 200)["items"]
    assert {n["type"] for n in told} >= {"comment", "reaction", "mention"}

    code, out, _ = admin("suspend", user.username)
    assert code == 0 and "suspended" in out
    assert_problem(client.get(f"{API}/users/me", headers=user.headers), 401, "unauthorized")  # tokens stopped
    assert_problem(_login(client, user.username), 403, "forbidden")
    # hidden from everyone else: the profile, the posts, the comments, the feed
    assert_problem(client.get(f"{API}/users/{user.id}", headers=friend.headers), 404, "not_found")
    assert_problem(client.get(f"{API}/posts/{post}", headers=friend.headers), 404, "not_found")
    assert_problem(client.get(f"{API}/users/{user.id}/posts", headers=friend.headers), 404, "not_found")
    assert post not in [p["id"] for p in api.call("GET", "/feed", friend, 200)["items"]]
    assert api.call("GET", f"/posts/{friends_post}/comments", friend, 200)["items"] == []
    # and in the reactors, the notifications it caused (listed and counted) and as a name to mention
    assert api.call("GET", f"/posts/{friends_post}/reactions", friend, 200)["items"] == []
    assert api.call("GET", "/notifications", friend, 200)["items"] == []
    assert api.call("GET", "/notifications/unread-count", friend, 200)["count"] == 0
    body = api.call(
        "POST", "/posts", friend, 201, json={"body": f"@{user.username}", "audience": {"type": "connections"}}
    )
    assert "<a" not in body["body"]

    code, out, _ = admin("unsuspend", user.username)
    assert code == 0 and "unsuspended" in out
    assert _login(client, user.username).status_code == 200
    assert api.call("GET", f"/posts/{post}", friend, 200)["id"] == post
    assert post in [p["id"] for p in api.call("GET", "/feed", friend, 200)["items"]]
    assert len(api.call("GET", f"/posts/{friends_post}/comments", friend, 200)["items"]) == 1
    assert len(api.call("GET", f"/posts/{friends_post}/reactions", friend, 200)["items"]) == 1
    assert len(api.call("GET", "/notifications", friend, 200)["items"]) == len(told)
    assert admin("suspend", "nobody_by_this_name")[0] == 1


def test_invites_and_the_registration_mode_at_run_time(admin: Admin, client: TestClient) -> None:
    code, out, _ = admin("create-invite", "--count", "2")
    assert code == 0
    codes = [line.split("\t")[0] for line in out.splitlines()]
    assert len(codes) == 2
    try:
        assert admin("registration-mode", "invite")[1].strip() == "invite"
        assert admin("registration-mode")[1].strip() == "invite"

        def register(invite: str | None) -> httpx.Response:
            name = f"rm{uuid.uuid4().hex[:12]}"
            body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD, "display_name": name}
            return client.post(f"{API}/auth/register", json={**body, **({"invite_code": invite} if invite else {})})

        assert_problem(register(None), 403, "invite_required")
        assert register(codes[0]).status_code == 201
        assert admin("registration-mode", "closed")[1].strip() == "closed"
        assert_problem(register(codes[1]), 403, "invite_required")
    finally:  # the test run shares one database: back to the setting's mode (no stored one)
        with client.app.state.database.transaction() as session:  # type: ignore[attr-defined]
            session.execute(text("DELETE FROM site_settings WHERE name = 'registration_mode'"))
