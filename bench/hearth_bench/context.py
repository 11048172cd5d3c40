"""One benchmark run: its options, directory, database, the seeded tokens, the report being built, and the
environment every process it starts gets."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from .common import REDIS_PREFIX, SECRET, plain
from .sampling import BackendCpu


@dataclass
class Run:
    args: argparse.Namespace
    dir: Path
    db_url: str
    tokens: dict[str, Any] = field(default_factory=dict)  # the seed's report (tokens file)
    report: dict[str, Any] = field(default_factory=dict)
    backends: BackendCpu = field(init=False)
    standby: Any = None  # --replica: the replica.Standby the app reads from

    def __post_init__(self) -> None:
        self.backends = BackendCpu(plain(self.db_url), self.args.database)  # started once the database exists

    @property
    def dsn(self) -> str:
        return plain(self.db_url)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of ``hearth seed``, ``hearth serve`` and the HTTP-only app."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_") and k != "PROMETHEUS_MULTIPROC_DIR"}
        env.update(
            HEARTH_DATABASE_URL=self.db_url,
            HEARTH_REDIS_URL=self.args.redis_url,
            HEARTH_REDIS_KEY_PREFIX=REDIS_PREFIX,
            HEARTH_RATE_LIMIT_ENABLED="false",
            HEARTH_LOG_LEVEL="WARNING",
            HEARTH_SECRET_KEY=SECRET,
            HEARTH_DATA_DIR=str(self.dir / "data"),
            HEARTH_TIMELINE_DEPTH=str(self.args.timeline_depth),
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def settings(self) -> Any:
        """The same settings for the app run in this process (statement capture)."""
        from hearth_platform.settings import Settings

        values: dict[str, Any] = {
            "database_url": self.db_url,
            "redis_url": self.args.redis_url,
            "redis_key_prefix": REDIS_PREFIX,
            "rate_limit_enabled": False,
            "log_level": "WARNING",
            "secret_key": SECRET,
            "data_dir": self.dir / "data",
        }
        if "timeline_depth" in Settings.model_fields:
            values["timeline_depth"] = self.args.timeline_depth
        return Settings(_env_file=None, **values)

    def users(self) -> list[dict[str, Any]]:
        """The seeded users with a token, growth viewers excepted."""
        viewer_ids = {v["id"] for v in self.tokens["viewers"].values()}
        return [u for u in self.tokens["users"] if u["id"] not in viewer_ids]

    def sessions(self) -> int:
        """Sessions (connections) ever opened to the database (``pg_stat_database.sessions``)."""
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            row = conn.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()").fetchone()
        return int(row[0]) - 1 if row else 0  # not counting this one
