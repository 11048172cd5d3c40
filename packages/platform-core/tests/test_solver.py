"""Dependencies solved from a plan (``hearth_platform.solver``): what FastAPI's own solver would give."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from hearth_platform.solver import plan


class Calls:
    def __init__(self) -> None:
        self.shared = 0


CALLS = Calls()


async def shared(request: Request) -> str:  # used by two dependencies and the handler: solved once
    CALLS.shared += 1
    return request.url.path


async def bounded(
    path: Annotated[str, Depends(shared)],
    size: Annotated[int, Query(ge=1, le=10)] = 5,
) -> dict[str, Any]:
    return {"path": path, "size": size}


async def labelled(path: Annotated[str, Depends(shared)], label: str | None = None) -> str:
    return f"{label}@{path}"


class Note(BaseModel):
    text: Annotated[str, Field(min_length=1, max_length=5)]
    tags: list[int] = []


async def marking(response: Response) -> str:  # a dependency that sets a header on the sub-response
    response.headers["x-marked"] = "yes"
    return "marked"


def blocking() -> str:  # a plain dependency: FastAPI's own solver for its routes
    return "sync"


@pytest.fixture(scope="module")
def served(make_app: Callable[..., FastAPI]) -> Iterator[tuple[TestClient, FastAPI, Calls]]:
    app = make_app()
    calls = CALLS

    @app.get("/planned/{item}")
    def planned(
        item: int,
        page: Annotated[dict[str, Any], Depends(bounded)],
        label: Annotated[str, Depends(labelled)],
        path: Annotated[str, Depends(shared)],
        flag: bool = False,
    ) -> dict[str, Any]:
        return {"item": item, "page": page, "label": label, "path": path, "flag": flag}

    @app.get("/needs")
    def needs(need: int, items: Annotated[list[int] | None, Query()] = None) -> dict[str, Any]:
        return {"need": need, "items": items}

    @app.post("/bodies/{item}", status_code=201)
    def with_body(
        item: int,
        note: Note,
        path: Annotated[str, Depends(shared)],
        response: Response,
        marked: Annotated[str, Depends(marking)],
        size: int = 1,
    ) -> dict[str, Any]:
        response.headers["x-item"] = str(item)
        if item == 2:
            response.status_code = 202
        return {"item": item, "note": note.model_dump(), "path": path, "size": size, "marked": marked}

    @app.get("/general")
    def general(value: Annotated[str, Depends(blocking)]) -> dict[str, str]:
        return {"value": value}

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, app, calls


def test_a_planned_route_gets_every_value_and_solves_a_shared_dependency_once(
    served: tuple[TestClient, FastAPI, Calls],
) -> None:
    client, _, calls = served
    before = calls.shared
    r = client.get("/planned/7?size=3&label=x&flag=true")
    assert r.status_code == 200, r.text
    assert r.json() == {
        "item": 7,
        "page": {"path": "/planned/7", "size": 3},
        "label": "x@/planned/7",
        "path": "/planned/7",
        "flag": True,
    }
    assert calls.shared == before + 1


@pytest.mark.parametrize(
    "target",
    [
        "/planned/x?size=0",
        "/planned/x?size=11&flag=maybe",
        "/planned/1?size=abc",
        "/planned/x?flag=maybe",
        "/needs",
        "/needs?need=&items=1&items=x",
        "/needs?need=2&items=1&items=2",
    ],
)
def test_every_answer_is_the_one_fastapis_own_solver_gives(
    served: tuple[TestClient, FastAPI, Calls], target: str
) -> None:
    client, app, _ = served
    planned = client.get(target)
    app.dependency_overrides[object] = object  # any override: the app's routes go back to FastAPI's solver
    try:
        general = client.get(target)
    finally:
        app.dependency_overrides.clear()
    assert planned.status_code == general.status_code
    body, expected = planned.json(), general.json()
    body.pop("request_id", None)
    expected.pop("request_id", None)
    assert body == expected


JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("target", "content", "headers"),
    [
        ("/bodies/1?size=2", b'{"text": "hi", "tags": [1, 2]}', JSON),
        ("/bodies/2", b'{"text": "hi"}', JSON),  # the handler sets the status on the sub-response
        ("/bodies/1", b'{"text": "", "tags": ["x"]}', JSON),  # the body's errors
        ("/bodies/x?size=y", b'{"text": 5}', JSON),  # path, query and body errors, in FastAPI's order
        ("/bodies/1", b"[1, 2]", JSON),
        ("/bodies/1", b"null", JSON),
        ("/bodies/1", b"", JSON),  # no body
        ("/bodies/1", b'{"text": ', JSON),  # not JSON
        ("/bodies/1", b"[" * 100_000, JSON),  # nested too deep to decode
        ("/bodies/1", b'{"text": "hi"}', {"content-type": "text/plain"}),
        ("/bodies/1", b'{"text": "hi"}', {"content-type": "application/merge-patch+json"}),
        ("/bodies/1", b'{"text": "hi"}', {"content-type": "application/json; charset=utf-8"}),
        ("/bodies/1", b'{"text": "hi"}', {}),
    ],
)
def test_a_json_body_is_answered_as_fastapis_own_handler_answers_it(
    served: tuple[TestClient, FastAPI, Calls], target: str, content: bytes, headers: dict[str, str]
) -> None:
    client, app, _ = served
    planned = client.post(target, content=content, headers=headers)
    app.dependency_overrides[object] = object
    try:
        general = client.post(target, content=content, headers=headers)
    finally:
        app.dependency_overrides.clear()
    assert planned.status_code == general.status_code
    for header in ("x-item", "x-marked", "content-type", "content-length"):
        assert planned.headers.get(header) == general.headers.get(header), header
    body, expected = planned.json(), general.json()
    body.pop("request_id", None)
    expected.pop("request_id", None)
    assert body == expected


def test_a_json_body_is_read_by_the_plan(
    served: tuple[TestClient, FastAPI, Calls], monkeypatch: pytest.MonkeyPatch
) -> None:
    from hearth_platform import solver

    read: list[Any] = []
    real = solver.request_body_to_args

    async def counted(fields: Any, body: Any, embed: bool) -> Any:
        read.append(body)
        return await real(fields, body, embed)

    monkeypatch.setattr(solver, "request_body_to_args", counted)
    client, _, _ = served
    r = client.post("/bodies/3", json={"text": "hi"})
    assert r.status_code == 201 and r.json()["note"] == {"text": "hi", "tags": []}
    assert r.headers["x-item"] == "3" and r.headers["x-marked"] == "yes"
    assert read == [{"text": "hi"}]


def test_dependency_overrides_still_apply(served: tuple[TestClient, FastAPI, Calls]) -> None:
    client, app, _ = served
    app.dependency_overrides[shared] = lambda: "overridden"
    try:
        r = client.get("/planned/1")
    finally:
        app.dependency_overrides.clear()
    assert r.json()["path"] == "overridden"
    assert client.get("/planned/1").json()["path"] == "/planned/1"


def test_a_route_with_a_plain_dependency_is_solved_by_fastapi(served: tuple[TestClient, FastAPI, Calls]) -> None:
    client, _, _ = served
    assert client.get("/general").json() == {"value": "sync"}


def test_which_routes_get_a_plan(served: tuple[TestClient, FastAPI, Calls]) -> None:
    _, app, _ = served
    routes = {getattr(r, "path", None): r for r in app.routes}
    assert plan(routes["/planned/{item}"].dependant) is not None  # type: ignore[attr-defined]
    assert plan(routes["/general"].dependant) is None  # type: ignore[attr-defined]
    with_body = plan(routes["/bodies/{item}"].dependant)  # type: ignore[attr-defined]
    assert with_body is not None and with_body.has_body
