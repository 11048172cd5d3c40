"""Structured logs: one JSON object per line, an access line per request, the request id on every line."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from hearth_platform.logging import configure_logging
from hearth_platform.security import CurrentUser, Principal, TokenAuthenticator

handler_log = logging.getLogger("hearth.test.handler")


class _FakeAuthenticator:
    def authenticate(self, token: str) -> Principal | None:
        return Principal(user_id=4242, token_id=1) if token == "good-token" else None


def _app(make_app: Callable[..., FastAPI]) -> FastAPI:
    app = make_app()

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict[str, int]:
        handler_log.info("reading item", extra={"item_id": item_id})
        return {"id": item_id}

    @app.get("/me")
    def me(user: CurrentUser) -> dict[str, int]:
        return {"id": user.user_id}

    @app.get("/crash")
    def crash() -> None:
        raise RuntimeError("kaboom")

    inner = APIRouter(prefix="/inner")

    @inner.get("/{inner_id}")
    def inner_item(inner_id: int) -> dict[str, int]:
        return {"id": inner_id}

    outer = APIRouter(prefix="/outer")
    outer.include_router(inner)
    app.include_router(outer)
    return app


def _lines(out: str) -> list[dict[str, Any]]:
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines, "nothing was logged"
    return [json.loads(line) for line in lines]  # every line is one JSON object


@pytest.mark.usefixtures("restore_logging")
def test_json_lines_with_request_id_and_access_line(
    make_app: Callable[..., FastAPI], capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "json")
    with TestClient(_app(make_app)) as client:
        capsys.readouterr()
        r = client.get("/items/7", headers={"X-Request-ID": "trace-me-1"})
        assert r.status_code == 200
        out = capsys.readouterr().out
    records = _lines(out)
    inside = [rec for rec in records if rec.get("message") == "reading item"]
    assert len(inside) == 1
    assert inside[0]["request_id"] == "trace-me-1"
    assert inside[0]["item_id"] == 7
    assert inside[0]["level"] == "INFO" and inside[0]["logger"] == "hearth.test.handler"
    access = [rec for rec in records if rec.get("logger") == "hearth.access"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == "trace-me-1"
    assert line["method"] == "GET"
    assert line["route"] == "/items/{item_id}"
    assert line["path"] == "/items/7"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], int | float) and line["duration_ms"] >= 0
    # one complete line: what, how it ended, from whom
    assert line["message"] == f"GET /items/7 200 {line['duration_ms']}ms"
    assert line["client"] == "testclient" and line["user_agent"] == "testclient"
    # ISO 8601, UTC
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["ts"]), line["ts"]


@pytest.mark.usefixtures("restore_logging")
def test_access_line_names_the_full_route_template(
    make_app: Callable[..., FastAPI], capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "json")
    with TestClient(_app(make_app)) as client:
        capsys.readouterr()
        assert client.get("/outer/inner/5").status_code == 200
        assert client.get("/no/such/page").status_code == 404
        out = capsys.readouterr().out
    access = [rec for rec in _lines(out) if rec.get("logger") == "hearth.access"]
    assert [(a["route"], a["path"]) for a in access] == [
        ("/outer/inner/{inner_id}", "/outer/inner/5"),  # with the include prefixes, never just "/{inner_id}"
        ("unmatched", "/no/such/page"),
    ]


@pytest.mark.usefixtures("restore_logging")
def test_access_line_names_the_user_when_known(
    make_app: Callable[..., FastAPI], capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "json")
    app = _app(make_app)
    with TestClient(app) as client:
        app.state.container.register(TokenAuthenticator, instance=_FakeAuthenticator())
        capsys.readouterr()
        assert client.get("/me", headers={"Authorization": "Bearer good-token"}).json() == {"id": 4242}
        assert client.get("/me", headers={"Authorization": "Bearer bad"}).status_code == 401
        out = capsys.readouterr().out
    access = [rec for rec in _lines(out) if rec.get("logger") == "hearth.access"]
    assert [(a["status"], a["user_id"]) for a in access] == [(200, 4242), (401, None)]


@pytest.mark.usefixtures("restore_logging")
def test_unhandled_error_is_logged_with_the_request_id_the_client_got(
    make_app: Callable[..., FastAPI], capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "json")
    with TestClient(_app(make_app), raise_server_exceptions=False) as client:
        capsys.readouterr()
        r = client.get("/crash")
        out = capsys.readouterr().out
    assert r.status_code == 500
    request_id = r.json()["request_id"]
    errors = [rec for rec in _lines(out) if rec.get("level") == "ERROR"]
    assert errors, "the crash was not logged"
    assert errors[0]["request_id"] == request_id  # an operator can find the trace from the client's report
    assert "kaboom" in errors[0]["exc_info"]  # the details go to the log, not to the client
    access = [rec for rec in _lines(out) if rec.get("logger") == "hearth.access"]
    assert [(a["status"], a["request_id"]) for a in access] == [(500, request_id)]


@pytest.mark.usefixtures("restore_logging")
def test_console_format_is_readable(make_app: Callable[..., FastAPI], capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "console")
    with TestClient(_app(make_app)) as client:
        capsys.readouterr()
        client.get("/items/3", headers={"X-Request-ID": "console-1"})
        out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "hearth.access" in line)
    assert not line.startswith("{")
    assert "[console-1]" in line and "status=200" in line and "route=/items/{item_id}" in line


@pytest.mark.usefixtures("restore_logging")
def test_json_lines_leave_out_colour_escapes_and_auto_is_json_off_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "auto")  # captured output is not a terminal
    logging.getLogger("hearth.test.colour").info("Started", extra={"color_message": "\x1b[32mStarted\x1b[0m"})
    (line,) = _lines(capsys.readouterr().out)
    assert line["message"] == "Started" and "color_message" not in line


@pytest.mark.usefixtures("restore_logging")
def test_log_level_filters(make_app: Callable[..., FastAPI], capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("WARNING", "json")
    with TestClient(_app(make_app)) as client:
        capsys.readouterr()
        client.get("/items/1")
        out = capsys.readouterr().out
    assert "reading item" not in out and "hearth.access" not in out
