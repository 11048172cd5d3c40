"""The pytest plugin (entry point ``pytest11``): the fixtures every package's tests share, and the layer guard.

A package's ``tests/conftest.py`` overrides ``app_factory`` (how to build an app of that package and the
layers below it from ``Settings``) and names its layer (``TESTED_LAYER``); ``make_app``, ``app``,
``client``, ``make_user``, ``connect``, ``make_tag`` and ``count_queries`` then work on that app.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from hearth_platform.settings import Settings

from . import layers
from .api import AppUser, connect, create_tag, register
from .database import find_repo_root, migrated_database
from .jobs import run_jobs
from .problems import assert_problem
from .queries import QueryCounter, statements_on
from .seaweed import OwnSeaweed
from .serve import SECRET_KEY, Serve, serve
from .smtp import OwnSmtp

AppFactory = Callable[[Settings], FastAPI]

layers.install()  # before any conftest is imported, to say where a higher layer came from
_LAYER_PROBLEM = pytest.StashKey[str]()


# -- the database, Redis and settings -------------------------------------------------------------------


@pytest.fixture(scope="session")
def repo_root(pytestconfig: pytest.Config) -> Path:
    """The checkout: the folder at or above pytest's rootdir with ``alembic.ini`` and ``migrations/``."""
    return find_repo_root(pytestconfig.rootpath)


@pytest.fixture(scope="session")
def database_url(repo_root: Path) -> Iterator[str]:
    """A migrated, empty PostgreSQL database for this test run (``HEARTH_TEST_DATABASE_URL`` or embedded)."""
    with migrated_database(repo_root) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("HEARTH_TEST_REDIS_URL")
    if not url:
        pytest.skip("HEARTH_TEST_REDIS_URL is not set: the Redis paths need a real Redis")
    return url


@pytest.fixture(scope="session")
def base_settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a test app: the test database, a data dir of its own, no rate limits, quiet logs."""
    return Settings(
        _env_file=None,
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("hearth-data"),
        secret_key=SecretStr(SECRET_KEY),
        rate_limit_enabled=False,
        redis_key_prefix=f"hearth-test-{uuid.uuid4().hex[:8]}:",
        log_level="WARNING",
        log_format="console",
        # a test runs the jobs it enqueued (``run_jobs``), with retries at once, not an in-process worker
        jobs_in_process=False,
        job_retry_base_seconds=0,
        # a live stream read through the in-process TestClient (which reads an answer to its end) ends at
        # once; the served tests (hearth_testing.sse) hold streams open
        stream_idle_seconds=0.05,
    )


# -- the app under test ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def app_factory() -> AppFactory:
    """How this package's tests build an app from ``Settings``: overridden by each package's conftest."""
    pytest.fail(
        "no app_factory for these tests: define a session-scoped fixture `app_factory` returning "
        "Callable[[Settings], FastAPI] in the package's tests/conftest.py (an app of that package and the "
        "layers below it)",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def make_app(base_settings: Settings, app_factory: AppFactory) -> Callable[..., FastAPI]:
    """Build an app with settings overrides (e.g. ``make_app(rate_limit_enabled=True)``)."""

    def _make(**overrides: Any) -> FastAPI:
        return app_factory(base_settings.model_copy(update=overrides))

    return _make


@pytest.fixture(scope="session")
def _started_clients() -> Iterator[dict[AppFactory, TestClient]]:
    """One started app per factory for the whole run: one run may hold several packages' tests, each with
    the app of its own layers (module-scoped fixtures below pick theirs)."""
    started: dict[AppFactory, TestClient] = {}
    yield started
    for c in started.values():
        c.__exit__(None, None, None)


@pytest.fixture(scope="module")
def client(
    base_settings: Settings, app_factory: AppFactory, _started_clients: dict[AppFactory, TestClient]
) -> TestClient:
    if app_factory not in _started_clients:
        c = TestClient(app_factory(base_settings))
        c.__enter__()
        _started_clients[app_factory] = c
    return _started_clients[app_factory]


@pytest.fixture(scope="module")
def app(client: TestClient) -> FastAPI:
    assert isinstance(client.app, FastAPI)
    return client.app


@pytest.fixture
def count_queries(app: FastAPI, client: TestClient) -> Callable[[], AbstractContextManager[QueryCounter]]:
    """``with count_queries() as q: client.get(...)`` then ``q.count`` is the statements the request issued.

    Counts every statement on the app's engine while the block runs; tests issue requests one at a
    time, so the count is exactly the request's (authentication included).
    """
    return lambda: statements_on(*app.state.database.engines)


# -- users (the app needs the identity routes; connect and make_tag the connections routes) --------------


@pytest.fixture
def make_user(client: TestClient) -> Callable[..., AppUser]:
    """``make_user(prefix="u", display_name=None)``: a fresh user registered through the API."""

    def _make(prefix: str = "u", display_name: str | None = None) -> AppUser:
        return register(client, prefix, display_name=display_name)

    return _make


@pytest.fixture(name="connect")
def connect_fixture(client: TestClient) -> Callable[[AppUser, AppUser], None]:
    """``connect(a, b)``: ``a`` and ``b`` connected (a requests, b accepts)."""
    return lambda a, b: connect(client, a, b)


@pytest.fixture
def make_tag(client: TestClient) -> Callable[..., int]:
    """``make_tag(owner, *members, name=None)``: a tag of ``owner`` with members (connected to them); its id."""

    def _make(owner: AppUser, *members: AppUser, name: str | None = None) -> int:
        return create_tag(client, owner, *members, name=name)

    return _make


@pytest.fixture(name="run_jobs")
def run_jobs_fixture(app: FastAPI) -> Callable[..., None]:
    """``run_jobs()``: a real worker runs the due jobs of the app's queues until none is left."""
    return lambda **kwargs: run_jobs(app, **kwargs)


@pytest.fixture(name="assert_problem")
def assert_problem_fixture() -> Callable[..., dict[str, Any]]:
    """``assert_problem(response, status, code)``: see ``hearth_testing.assert_problem``."""
    return assert_problem


# -- a real S3-compatible server for the session --------------------------------------------------------


@pytest.fixture(scope="session")
def s3_server() -> Iterator[OwnSeaweed]:
    """SeaweedFS on loopback for the session (skips when the ``weed`` binary is missing)."""
    server = OwnSeaweed()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def media_client(request: pytest.FixtureRequest, make_app: Callable[..., FastAPI]) -> Iterator[TestClient]:
    """The module's app (media on local disk), then one with media on SeaweedFS: a media test runs on both."""
    if request.param == "local":
        yield request.getfixturevalue("client")
        return
    s3 = request.getfixturevalue("s3_server")
    with TestClient(make_app(**s3.settings_overrides())) as c:
        yield c


@pytest.fixture(scope="module")
def served(database_url: str) -> Iterator[Serve]:
    """A real ``hearth serve`` on the test database, for the module (tests of what only a socket shows)."""
    running = serve(database_url)
    try:
        yield running
    finally:
        running.close()


# -- a real SMTP server for a module's tests ------------------------------------------------------------


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[OwnSmtp]:
    """An aiosmtpd server on loopback; ``smtp_server.settings()`` points an app's mail at it."""
    server = OwnSmtp()
    try:
        yield server
    finally:
        server.close()


# -- the layer guard ------------------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    items = getattr(session, "items", None)
    if not items:
        return
    declared = layers.declared_layers(session.config.pluginmanager.get_plugins())
    layer = layers.tested_layer((item.path for item in items), declared)
    if layer is None:
        return
    offending = layers.violations(layer)
    if not offending:
        return
    session.config.stash[_LAYER_PROBLEM] = layers.message(layer, offending)
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    problem = config.stash.get(_LAYER_PROBLEM, None)
    if problem is not None:
        terminalreporter.section("layer guard", red=True, bold=True)
        terminalreporter.write_line(problem, red=True)
