"""Hot statements compiled once: reads, and writes on a hot path (``INSERT``/``UPDATE ... RETURNING`` rows run
the same way, on the unit of work's connection, in its transaction).

A statement built with SQLAlchemy's expression language (so it follows the models) is rendered to the
driver's SQL on its first run and executed as driver SQL from then on: no cache key, no parameter
expansion, no ORM execute path per request. Parameters are bound by name (``bindparam``); a list of ids
is one array parameter (``column == any_(bindparam("ids", type_=ARRAY(BigInteger)))``), so the SQL text
is the same whatever the number of ids. Rows come back as the driver returns them, as named tuples (no
type processing: use it for columns psycopg already returns as Python values).

It runs on the session's connection with the driver's cursor directly: SQLAlchemy's execution context and
result objects cost more than the statement's own round trip on the hot path (5-6 % of a feed request's
CPU, profiled). What they would have done still happens: the engine's ``before_cursor_execute`` listeners
run (statement counts, metrics, tests), and a driver error goes through SQLAlchemy's handling (wrapped as
``sqlalchemy.exc.DBAPIError``, a lost connection invalidated in the pool).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from psycopg.rows import namedtuple_row
from sqlalchemy import Row
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable


class CompiledRead:
    """One statement: built by ``build`` and compiled on first use, then run as driver SQL.

    ``inline``: array parameters (of integers) whose values are written into the statement as a constant
    (``'{1,2,3}'::bigint[]``, what PostgreSQL makes of an ``IN`` list) instead of being sent as a parameter:
    the planner sees how many there are, as it does an ``IN`` list (a prepared statement's generic plan for
    ``= ANY($1)`` cannot; see ``PostsRepository.visible_by_a_connected_author``), while the statement is still
    compiled once.
    """

    __slots__ = ("_build", "_constants", "_inline", "_sql")

    def __init__(self, build: Callable[[], Executable], *, inline: tuple[str, ...] = ()) -> None:
        self._build = build
        self._sql: str | None = None
        self._constants: dict[str, Any] = {}
        self._inline = inline

    def all(self, session: Session, params: Mapping[str, Any]) -> Sequence[Row[*tuple[Any, ...]]]:
        connection = session.connection()
        if self._sql is None:
            compiled = self._build().compile(dialect=connection.dialect)  # type: ignore[attr-defined]
            if "POSTCOMPILE" in compiled.string:
                raise ValueError("a compiled read takes a list as one array parameter, not an expanding IN")
            # the values written into the statement (e.g. ``status == "ready"``) are parameters too
            self._constants = {k: v for k, v in compiled.params.items() if v is not None}
            self._sql = compiled.string
        sql = self._sql
        values = {**self._constants, **params} if self._constants else params
        if self._inline:
            values = dict(values)
            for name in self._inline:
                # integers only (int() of each): nothing but digits, commas and signs enters the text
                constant = "'{" + ",".join(str(int(v)) for v in values.pop(name)) + "}'::bigint[]"
                sql = sql.replace(f"%({name})s", constant)
        dbapi_connection = connection.connection.dbapi_connection
        cursor = dbapi_connection.cursor(row_factory=namedtuple_row)  # type: ignore[union-attr]
        try:
            if connection._has_events or connection.engine._has_events:
                connection.dispatch.before_cursor_execute(connection, cursor, sql, values, None, False)
            cursor.execute(sql, values)
            return cursor.fetchall()
        except Exception as error:
            connection._handle_dbapi_exception(error, sql, values, cursor, None)  # raises it, wrapped
            raise
        finally:
            cursor.close()
