"""Hot statements compiled once: reads, and writes on a hot path (``INSERT``/``UPDATE``, their ``RETURNING`` rows
or none, run the same way, on the unit of work's connection, in its transaction).

A statement built with SQLAlchemy's expression language (so it follows the models) is rendered to the
driver's SQL on its first run and executed as driver SQL from then on: no cache key, no parameter
expansion, no ORM execute path per request. Parameters are bound by name (``bindparam``); a list of ids
is one array parameter (``column == any_(int_array_param("ids"))`` given ``int_array(ids)``: text the driver
sends as it is, where a list is dumped element by element), so the SQL text is the same whatever the number
of ids. Rows come back as the driver returns them, as named tuples (no type processing: use it for columns
psycopg already returns as Python values).

It runs on the session's connection with the driver's cursor directly: SQLAlchemy's execution context and
result objects cost more than the statement's own round trip on the hot path (5-6 % of a feed request's
CPU, profiled). What they would have done still happens: the engine's ``before_cursor_execute`` listeners
run (statement counts, metrics, tests; they get the statement as SQLAlchemy renders it, with named
parameters), and a driver error goes through SQLAlchemy's handling (wrapped as ``sqlalchemy.exc.DBAPIError``,
a lost connection invalidated in the pool).

The driver is handed the statement with PostgreSQL's own placeholders (``$1``), made once, on a raw cursor,
and the rows' named-tuple class is made once per statement: psycopg would otherwise rewrite the named
placeholders and read the result's column names on every run (together about 6 % of a feed request's CPU).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from psycopg import RawCursor
from psycopg.pq import ExecStatus
from psycopg.rows import RowMaker, namedtuple_row
from sqlalchemy import BigInteger, ColumnElement, Row, Text, bindparam, cast
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

_TUPLES_OK = ExecStatus.TUPLES_OK


def _has_rows(cursor: Any) -> bool:
    """Whether the cursor's result has rows to fetch: asked of the result's status, not of
    ``cursor.description``, which builds a column object per column on every call (5.7 % of a feed request)."""
    result = cursor.pgresult
    return result is not None and result.status == _TUPLES_OK


class CompiledRead:
    """One statement: built by ``build`` and compiled on first use, then run as driver SQL.

    ``inline``: array parameters (of integers) whose values are written into the statement as a constant
    (``'{1,2,3}'::bigint[]``, what PostgreSQL makes of an ``IN`` list) instead of being sent as a parameter:
    the planner sees how many there are, as it does an ``IN`` list (a prepared statement's generic plan for
    ``= ANY($1)`` cannot; see ``PostsRepository.visible_by_a_connected_author``), while the statement is still
    compiled once.
    """

    __slots__ = ("_build", "_constants", "_inline", "_maker", "_names", "_raw", "_sql")

    def __init__(self, build: Callable[[], Executable], *, inline: tuple[str, ...] = (), tuples: bool = False) -> None:
        self._build = build
        self._sql: str | None = None  # as SQLAlchemy renders it (named parameters): what listeners see
        self._raw = ""  # the same with $1, $2, ... (inline parameters left named, written in per run)
        self._names: tuple[str, ...] = ()  # the parameter of each $n
        self._constants: dict[str, Any] = {}
        self._inline = inline
        # ``tuples``: rows as plain tuples (a statement that may return thousands: a named tuple each costs)
        self._maker: RowMaker[Any] | None = tuple if tuples else None

    def _rows(self, cursor: Any) -> RowMaker[Any]:
        """The row factory: the named-tuple class of this statement's columns, made at its first result."""
        maker = self._maker
        if maker is None:
            maker = namedtuple_row(cursor)
            if _has_rows(cursor):  # a result with columns (not a write without RETURNING)
                self._maker = maker
        return maker

    def all(self, session: Session, params: Mapping[str, Any]) -> Sequence[Row[*tuple[Any, ...]]]:
        connection = session.connection()
        if self._sql is None:
            compiled = self._build().compile(dialect=connection.dialect)  # type: ignore[attr-defined]
            if "POSTCOMPILE" in compiled.string:
                raise ValueError("a compiled read takes a list as one array parameter, not an expanding IN")
            # the values written into the statement (e.g. ``status == "ready"``) are parameters too
            self._constants = {k: v for k, v in compiled.params.items() if v is not None}
            self._raw, self._names = _positional(compiled.string, self._inline)
            self._sql = compiled.string
        sql, raw = self._sql, self._raw
        values = {**self._constants, **params} if self._constants else params
        if self._inline:
            values = dict(values)
            for name in self._inline:
                # integers only (int_array: int() of each): nothing but digits, commas and signs enters the text
                constant = f"'{int_array(values.pop(name))}'::bigint[]"
                sql = sql.replace(f"%({name})s", constant)
                raw = raw.replace(f"%({name})s", constant)
        dbapi_connection: Any = connection.connection.dbapi_connection
        cursor: Any = RawCursor(dbapi_connection, row_factory=self._rows)
        try:
            if connection._has_events or connection.engine._has_events:
                connection.dispatch.before_cursor_execute(connection, cursor, sql, values, None, False)
            cursor.execute(raw, [values[name] for name in self._names])
            # a write without RETURNING has no rows to fetch (psycopg would raise)
            rows: Sequence[Row[*tuple[Any, ...]]] = cursor.fetchall() if _has_rows(cursor) else []
            return rows
        except Exception as error:
            connection._handle_dbapi_exception(error, sql, values, cursor, None)  # raises it, wrapped
            raise
        finally:
            cursor.close()


_PLACEHOLDER = re.compile(r"%%|%\((\w+)\)s")


def _positional(sql: str, inline: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """``sql`` with PostgreSQL's placeholders (``$1`` per distinct named parameter, in order of first use; a
    literal ``%%`` back to ``%``), and the parameter of each; ``inline`` parameters are left as they are."""
    names: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "%"
        if name in inline:
            return match.group(0)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _PLACEHOLDER.sub(replace, sql), tuple(names)


def int_array_param(name: str) -> ColumnElement[Any]:
    """A parameter of integers, given as :func:`int_array`'s text and cast to ``bigint[]`` by the statement."""
    return cast(bindparam(name, type_=Text), ARRAY(BigInteger))


def int_array(values: Iterable[int]) -> str:
    """``values`` as the text of a PostgreSQL array (``'{1,2,3}'``), for a parameter the statement casts
    (:func:`int_array_param`): the driver dumps a list element by element in Python, and the list of a post's
    thousands of readers cost more to send than the statement to run (profiled); the text is made at C speed.
    Integers only (``int()`` of each)."""
    return "{" + ",".join(map(str, map(int, values))) + "}"
