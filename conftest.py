"""Shared test fixtures for every package's tests and the cross-package suite.

The test database is real PostgreSQL: ``HEARTH_TEST_DATABASE_URL`` when set (a fresh database is made on
that server for the run and dropped after), otherwise an embedded PostgreSQL in a temporary directory.
It is migrated once with Alembic. Tests make their own fresh data (unique users per test), so nothing
is shared between tests and concurrent requests see real transactions.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import make_url

from hearth_api import create_app
from hearth_api import migrate as hearth_migrate
from hearth_platform.database import EmbeddedPostgres
from hearth_platform.settings import Settings

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty PostgreSQL database for this test run."""
    base = os.environ.get("HEARTH_TEST_DATABASE_URL")
    if base:
        name = f"hearth_test_{uuid.uuid4().hex[:10]}"
        admin = make_url(base).set(drivername="postgresql")
        admin_dsn = admin.render_as_string(hide_password=False)
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = admin.set(database=name).render_as_string(hide_password=False)
        try:
            hearth_migrate.upgrade(url)
            yield url
        finally:
            with psycopg.connect(admin_dsn, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        # not under pytest's tmp dir: another pytest run on the machine resets its permissions, and the
        # server runs as its own system user
        embedded = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="hearth-test-pg-")), cleanup="delete")
        url = embedded.start()
        try:
            hearth_migrate.upgrade(url)
            yield url
        finally:
            embedded.stop()


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("HEARTH_TEST_REDIS_URL")
    if not url:
        pytest.skip("HEARTH_TEST_REDIS_URL is not set: the Redis paths need a real Redis")
    return url


@pytest.fixture(scope="session")
def base_settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("hearth-data")
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        data_dir=data_dir,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        rate_limit_enabled=False,
        redis_key_prefix=f"hearth-test-{uuid.uuid4().hex[:8]}:",
        log_level="WARNING",
        log_format="console",
    )


@pytest.fixture(scope="session")
def make_app(base_settings: Settings) -> Callable[..., FastAPI]:
    """Build an app with settings overrides (e.g. ``rate_limit_enabled=True``)."""

    def _make(**overrides: Any) -> FastAPI:
        settings = base_settings.model_copy(update=overrides)
        return create_app(settings, configure_logs=False)

    return _make


@pytest.fixture(scope="session")
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app()


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@dataclass
class QueryCounter:
    count: int = 0
    statements: list[str] = field(default_factory=list)


@pytest.fixture
def count_queries(app: FastAPI, client: TestClient) -> Callable[[], Any]:
    """``with count_queries() as q: client.get(...)`` then ``q.count`` is the statements the request issued.

    Counts every statement on the app's engine while the block runs; tests issue requests one at a
    time, so the count is exactly the request's (authentication included).
    """
    from contextlib import contextmanager

    @contextmanager
    def _count() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def _on(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            counter.count += 1
            counter.statements.append(statement)

        engine = app.state.database.engine
        event.listen(engine, "before_cursor_execute", _on)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", _on)

    return _count


_seq = itertools.count(1)


@dataclass
class AppUser:
    id: int
    username: str
    token: str
    email: str
    password: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_user(client: TestClient) -> Callable[..., AppUser]:
    """Register a fresh user through the API (unique per call)."""

    def _make(prefix: str = "u", display_name: str | None = None) -> AppUser:
        n = next(_seq)
        username = f"{prefix}{uuid.uuid4().hex[:8]}{n}"[:30].lower()
        password = "correct horse battery"
        email = f"{username}@example.com"
        r = client.post(
            "/api/v1/auth/register",
            json={
                "username": username,
                "email": email,
                "password": password,
                "display_name": display_name or username.title(),
            },
        )
        assert r.status_code == 201, r.text
        body = r.json()
        return AppUser(body["user"]["id"], username, body["access_token"], email, password)

    return _make


@pytest.fixture
def connect(client: TestClient) -> Callable[[AppUser, AppUser], None]:
    """Make ``a`` and ``b`` connected (a requests, b accepts)."""

    def _connect(a: AppUser, b: AppUser) -> None:
        r = client.post("/api/v1/connections/requests", json={"user_id": b.id}, headers=a.headers)
        assert r.status_code == 201, r.text
        r2 = client.post(f"/api/v1/connections/requests/{r.json()['id']}/accept", headers=b.headers)
        assert r2.status_code == 200, r2.text

    return _connect


@pytest.fixture
def make_tag(client: TestClient) -> Callable[..., int]:
    """Create a tag for ``owner`` with the given members (who must be connected); returns its id."""

    def _make(owner: AppUser, *members: AppUser, name: str | None = None) -> int:
        r = client.post("/api/v1/tags", json={"name": name or f"tag {uuid.uuid4().hex[:6]}"}, headers=owner.headers)
        assert r.status_code == 201, r.text
        tag_id = int(r.json()["id"])
        for m in members:
            r2 = client.put(f"/api/v1/tags/{tag_id}/members/{m.id}", headers=owner.headers)
            assert r2.status_code == 204, r2.text
        return tag_id

    return _make


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent
