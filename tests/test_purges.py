"""The periodic purges, run by a real worker: expired and revoked tokens go, live ones stay; media never
attached go (rows and bytes) after a day, attached and young ones stay. And the schedules they run on."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from hearth_identity.jobs import PURGE_TOKENS
from hearth_platform.jobs import Job, JobQueue
from hearth_posts.jobs import ERASE_UNATTACHED_MEDIA
from hearth_testing import API, Api, assert_problem, request_url, resolved, run_jobs


def _enqueue(app: FastAPI, job: Job) -> None:
    with resolved(app, JobQueue) as jobs:
        jobs.enqueue(job)


def _tokens(app: FastAPI, *user_ids: int) -> dict[int, int]:
    with app.state.database.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT user_id, count(*) FROM auth_tokens WHERE user_id = ANY(:ids) GROUP BY user_id"),
            {"ids": list(user_ids)},
        )
        return {int(u): int(n) for u, n in rows}


def test_the_purges_run_on_a_schedule(app: FastAPI) -> None:
    schedules = app.state.job_engine.schedules()
    assert schedules[PURGE_TOKENS.name] == "7 * * * *"
    assert schedules[ERASE_UNATTACHED_MEDIA.name] == "37 * * * *"


def test_the_token_purge_removes_expired_and_revoked_tokens_only(client: TestClient, app: FastAPI) -> None:
    api = Api(client)
    owner, other = api.user("purge"), api.user("purge")
    revoked = api.call("POST", "/auth/login", None, 200, json={"username": owner.username, "password": owner.password})
    expired = api.call("POST", "/auth/login", None, 200, json={"username": owner.username, "password": owner.password})
    api.call("POST", "/auth/logout", {"Authorization": f"Bearer {revoked['access_token']}"}, 204)
    with app.state.database.transaction() as session:
        session.execute(
            text("UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE user_id = :u AND id = ("
                 "SELECT max(id) FROM auth_tokens WHERE user_id = :u)"),
            {"u": owner.id},
        )  # fmt: skip
    assert _tokens(app, owner.id, other.id) == {owner.id: 3, other.id: 1}
    assert_problem(
        client.get(f"{API}/users/me", headers={"Authorization": f"Bearer {expired['access_token']}"}),
        401,
        "unauthorized",
    )

    _enqueue(app, PURGE_TOKENS)
    run_jobs(app)

    assert _tokens(app, owner.id, other.id) == {owner.id: 1, other.id: 1}  # the live ones, each user's first
    for user in (owner, other):
        assert client.get(f"{API}/users/me", headers=user.headers).status_code == 200


def _media(http: TestClient, viewer: Any, media_id: int) -> dict[str, Any]:
    r = http.get(f"{API}/media/{media_id}", headers=viewer.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_the_media_purge_erases_media_never_attached_after_a_day(client: TestClient, app: FastAPI) -> None:
    api = Api(client)
    owner, friend = api.user("mpurge"), api.user("mpurge")
    api.connect(owner, friend)
    content = secrets.token_bytes(16)
    on_post, avatar, unused, young = (api.media(owner, content=content) for _ in range(4))
    api.post(owner, media=[on_post])
    api.call("PATCH", "/users/me", owner, 200, json={"avatar_media_id": avatar})
    unused_url = _media(client, owner, unused)["url"]
    with app.state.database.transaction() as session:
        session.execute(
            text("UPDATE media SET created_at = now() - interval '2 days' WHERE id = ANY(:ids)"),
            {"ids": [on_post, avatar, unused]},
        )

    _enqueue(app, ERASE_UNATTACHED_MEDIA)
    run_jobs(app)

    assert_problem(client.get(f"{API}/media/{unused}", headers=owner.headers), 404, "not_found")
    assert_problem(request_url(client, "GET", unused_url), 404, "not_found")  # its bytes went with it
    for kept, viewer in ((on_post, friend), (avatar, friend), (young, owner)):
        assert request_url(client, "GET", _media(client, viewer, kept)["url"]).content == content
