"""One transaction per request: committed before the response is sent, rolled back on any error."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from hearth_platform.errors import Conflict
from hearth_platform.uow import UnitOfWork, provide

_HOP: ContextVar[int] = ContextVar("hop")


class Writer:
    """A service as the container builds it: constructed per request with that request's session."""

    def __init__(self, session: Session) -> None:
        self.session = session


class Auditor:
    def __init__(self, session: Session) -> None:
        self.session = session


class Harness:
    def __init__(self, client: TestClient, app: FastAPI, table: str) -> None:
        self.client, self.app, self.table = client, app, table

    def stored(self) -> list[int]:
        """What another connection sees in the table right now."""
        with self.app.state.database.engine.connect() as conn:
            return [int(v) for v in conn.execute(text(f"SELECT value FROM {self.table} ORDER BY value")).scalars()]  # noqa: S608


@pytest.fixture(scope="module")
def harness(make_app: Callable[..., FastAPI]) -> Iterator[Harness]:
    table = f"scratch_uow_{uuid.uuid4().hex[:10]}"
    insert = text(f"INSERT INTO {table} (value) VALUES (:v)")  # noqa: S608 - a generated test table name
    app = make_app()

    @app.post("/rows/{value}", status_code=201)
    def create(value: int, uow: UnitOfWork) -> dict[str, int]:
        uow.session.execute(insert, {"v": value})
        return {"value": value}

    @app.post("/rows/{value}/then-conflict")
    def create_then_conflict(value: int, uow: UnitOfWork) -> None:
        uow.session.execute(insert, {"v": value})
        raise Conflict("Something else changed.")

    @app.post("/rows/{value}/then-crash")
    def create_then_crash(value: int, uow: UnitOfWork) -> None:
        uow.session.execute(insert, {"v": value})
        raise RuntimeError("crash after the write")

    @app.post("/rows/{value}/twice", status_code=201)
    def create_twice(value: int, uow: UnitOfWork) -> dict[str, int]:
        # the unique constraint is deferred: the duplicate is only refused by COMMIT
        uow.session.execute(insert, {"v": value})
        uow.session.execute(insert, {"v": value})
        return {"value": value}

    @app.post("/rows/{value}/two-services")
    def two_services(
        value: int,
        writer: Annotated[Writer, Depends(provide(Writer))],
        auditor: Annotated[Auditor, Depends(provide(Auditor))],
    ) -> dict[str, bool]:
        writer.session.execute(insert, {"v": value})
        auditor.session.execute(insert, {"v": value + 1})
        if value < 0:
            raise Conflict("The second step failed.")
        return {"same_session": writer.session is auditor.session}

    threads: dict[str, int] = {}

    async def loop_thread() -> None:
        threads["loop"] = threading.get_ident()

    def committed(_: Session) -> None:
        threads["commit"] = threading.get_ident()
        threads["same_hop"] = int(_HOP.get(None) is not None)  # each hop runs in a copy of the loop's context

    @app.post("/rows/{value}/threads", status_code=201, dependencies=[Depends(loop_thread)])
    def create_noting_threads(value: int, uow: UnitOfWork) -> dict[str, int]:
        threads["handler"] = threading.get_ident()
        _HOP.set(value)
        uow.session.execute(insert, {"v": value})
        event.listen(uow.session, "after_commit", committed)
        return {"value": value}

    app.state.threads = threads

    with TestClient(app, raise_server_exceptions=False) as client:
        app.state.container.register(Writer)
        app.state.container.register(Auditor)
        with app.state.database.engine.begin() as conn:
            conn.execute(
                text(
                    f"CREATE TABLE {table} (value integer NOT NULL, "
                    f"CONSTRAINT {table}_uq UNIQUE (value) DEFERRABLE INITIALLY DEFERRED)"
                )
            )
        try:
            yield Harness(client, app, table)
        finally:
            with app.state.database.engine.begin() as conn:
                conn.execute(text(f"DROP TABLE IF EXISTS {table}"))


def test_successful_write_is_committed_before_the_response(harness: Harness) -> None:
    r = harness.client.post("/rows/1")
    assert r.status_code == 201
    assert 1 in harness.stored()  # visible to another connection the moment the client has its answer


def test_domain_error_after_a_write_stores_nothing(harness: Harness, assert_problem: Any) -> None:
    assert_problem(harness.client.post("/rows/2/then-conflict"), 409, "conflict")
    assert 2 not in harness.stored()


def test_crash_after_a_write_stores_nothing(harness: Harness, assert_problem: Any) -> None:
    assert_problem(harness.client.post("/rows/3/then-crash"), 500, "internal_error")
    assert 3 not in harness.stored()


def test_failed_commit_is_never_reported_as_success(harness: Harness) -> None:
    r = harness.client.post("/rows/4/twice")
    assert r.status_code >= 400, "the client was told the write succeeded although COMMIT failed"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert 4 not in harness.stored()


def test_services_of_one_request_share_one_transaction(harness: Harness) -> None:
    r = harness.client.post("/rows/10/two-services")
    assert r.status_code == 200, r.text
    assert r.json() == {"same_session": True}
    assert {10, 11} <= set(harness.stored())


def test_multi_step_write_is_all_or_nothing(harness: Harness, assert_problem: Any) -> None:
    assert_problem(harness.client.post("/rows/-20/two-services"), 409, "conflict")
    assert not {-20, -19} & set(harness.stored())


def test_a_failed_request_leaves_the_connection_usable(harness: Harness) -> None:
    for _ in range(3):
        harness.client.post("/rows/30/then-crash")
    assert harness.client.post("/rows/31").status_code == 201
    assert 31 in harness.stored()


def test_a_write_is_handled_and_committed_in_one_hop_off_the_event_loop(harness: Harness) -> None:
    assert harness.client.post("/rows/40/threads").status_code == 201
    threads = harness.app.state.threads
    assert threads["same_hop"] == 1, "the commit took a thread hop of its own"
    assert threads["handler"] == threads["commit"]
    assert threads["handler"] != threads["loop"], "the handler blocked the event loop"
    assert 40 in harness.stored()


def test_an_app_refuses_a_route_that_would_leave_its_unit_of_work_open() -> None:
    from fastapi import APIRouter

    from hearth_platform.gate import require_units_of_work_ended
    from hearth_platform.routing import Router

    def write(uow: UnitOfWork) -> None:
        uow.session.execute(text("SELECT 1"))

    ours, plain = FastAPI(), FastAPI()
    ours_router, plain_router = Router(), APIRouter()
    ours_router.post("/w")(write)
    plain_router.post("/w")(write)
    ours.include_router(ours_router, prefix="/api/v1")
    plain.include_router(plain_router, prefix="/api/v1")
    require_units_of_work_ended(ours)
    with pytest.raises(TypeError, match="/api/v1/w"):
        require_units_of_work_ended(plain)
