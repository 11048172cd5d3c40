"""``CompiledRead``: a statement built once, run as driver SQL on the unit of work's connection."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Integer,
    String,
    Text,
    any_,
    bindparam,
    cast,
    column,
    event,
    func,
    literal,
    literal_column,
    select,
    text,
    values,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from hearth_platform.statements import CompiledRead, int_array


@pytest.fixture(scope="module")
def session(make_app: Callable[..., FastAPI]) -> Iterator[Session]:
    app = make_app()
    with TestClient(app), app.state.database.sessionmaker() as session:
        yield session


_ROWS = values(column("id", Integer), column("name", String), name="people").data(
    [(1, "ada"), (2, "50% off"), (3, "bob"), (4, "cy")]
)


def _by_ids_and_pattern() -> Any:
    """A parameter used twice, an array parameter, and a literal ``%`` in the statement's text."""
    ids = bindparam("ids", type_=ARRAY(BigInteger))
    low = bindparam("low", type_=Integer)
    return (
        select(_ROWS.c.id, _ROWS.c.name, _ROWS.c.name.op("LIKE")(literal_column("'%\\%%'")).label("percent"))
        .where(_ROWS.c.id == any_(ids), _ROWS.c.id >= low, _ROWS.c.id < low + literal(10))
        .order_by(_ROWS.c.id)
    )


def test_named_parameters_arrays_and_a_literal_percent(session: Session) -> None:
    read = CompiledRead(_by_ids_and_pattern)
    first = read.all(session, {"ids": [1, 2, 4], "low": 2})
    assert [(r.id, r.name, r.percent) for r in first] == [(2, "50% off", True), (4, "cy", False)]
    # run again (the driver SQL and the rows' class are reused) with other values, and with none found
    assert [r.id for r in read.all(session, {"ids": [1, 3], "low": 1})] == [1, 3]
    assert read.all(session, {"ids": [9], "low": 1}) == []
    assert [r.name for r in read.all(session, {"ids": [3], "low": 0})] == ["bob"]


def test_inline_arrays_are_written_in(session: Session) -> None:
    read = CompiledRead(
        lambda: select(_ROWS.c.id).where(_ROWS.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger)))),
        inline=("ids",),
    )
    seen: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        seen.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", grab)
    try:
        assert sorted(r.id for r in read.all(session, {"ids": [4, 2]})) == [2, 4]
        assert [r.id for r in read.all(session, {"ids": [3]})] == [3]
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    # listeners see the statement as SQLAlchemy renders it, with what was written in
    assert "'{4,2}'::bigint[]" in seen[0][0] and "'{3}'::bigint[]" in seen[1][0]
    with pytest.raises(ValueError, match="invalid literal"):
        read.all(session, {"ids": ["1}'; DROP TABLE users; --"]})


def test_a_driver_error_is_raised_as_sqlalchemys(session: Session) -> None:
    read = CompiledRead(lambda: select((literal(1) / bindparam("zero", type_=Integer)).label("x")))
    with pytest.raises(DBAPIError, match="division by zero"):
        read.all(session, {"zero": 0})
    session.rollback()


def test_rows_as_plain_tuples_and_ids_sent_as_an_array_text(session: Session) -> None:
    """``tuples``: rows as tuples; ``int_array``: a list of ids as one text the statement casts."""
    read = CompiledRead(
        lambda: select(func.unnest(cast(bindparam("ids", type_=Text), ARRAY(BigInteger))).label("id")),
        tuples=True,
    )
    rows = read.all(session, {"ids": int_array(range(5000))})
    assert type(rows[0]) is tuple and [r[0] for r in rows] == list(range(5000))
    assert read.all(session, {"ids": int_array([])}) == []
    with pytest.raises(ValueError, match="invalid literal"):
        int_array(["1}'; --"])  # type: ignore[list-item]


def test_a_write_without_returning_runs_and_gives_no_rows(session: Session) -> None:
    """A write on a hot path that returns nothing (e.g. an insert of a new post's tags) runs the same way."""
    session.execute(text("CREATE TEMP TABLE written (id bigint)"))
    write = CompiledRead(
        lambda: text("INSERT INTO written SELECT unnest(CAST(:ids AS bigint[]))").bindparams(
            bindparam("ids", type_=Text)
        )
    )
    assert write.all(session, {"ids": int_array([3, 1, 2])}) == []
    assert write.all(session, {"ids": int_array([4])}) == []  # again: the same statement
    assert sorted(session.execute(text("SELECT id FROM written")).scalars()) == [1, 2, 3, 4]
    session.rollback()
