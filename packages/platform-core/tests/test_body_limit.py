"""Request bodies over the limit get 413 problem+json before they are read, with or without Content-Length."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel

LIMIT = 4096


class Note(BaseModel):
    text: str


@pytest.fixture(scope="module")
def limited(make_app: Callable[..., FastAPI]) -> Iterator[tuple[TestClient, list[str]]]:
    app = make_app(max_body_bytes=LIMIT)
    calls: list[str] = []

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, Any]:
        calls.append("entered")
        body = await request.body()
        calls.append("read")
        return {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}

    @app.post("/notes")
    def notes(note: Note) -> dict[str, int]:
        calls.append("notes")
        return {"length": len(note.text)}

    @app.post("/no-body")
    def no_body() -> dict[str, bool]:
        calls.append("no-body")
        return {"ok": True}

    with TestClient(app) as c:
        yield c, calls


def _chunks(total: int, size: int = 1000) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        sent += n
        yield b"a" * n


def test_declared_oversize_body_is_refused_before_the_handler(limited: Any, assert_problem: Any) -> None:
    client, calls = limited
    calls.clear()
    r = client.post("/upload", content=b"x" * (LIMIT + 1))
    body = assert_problem(r, 413, "payload_too_large")
    assert str(LIMIT) in body["detail"]
    assert calls == []  # the handler never ran


def test_chunked_oversize_body_is_refused(limited: Any, assert_problem: Any) -> None:
    client, calls = limited
    calls.clear()
    r = client.post("/upload", content=_chunks(LIMIT * 3))
    assert "content-length" not in r.request.headers
    assert_problem(r, 413, "payload_too_large")
    assert "read" not in calls  # the handler never got the body


def test_chunked_oversize_body_is_refused_even_where_nobody_reads_it(limited: Any, assert_problem: Any) -> None:
    client, calls = limited
    calls.clear()
    for path in ("/no-body", "/no/such/route"):
        assert_problem(client.post(path, content=_chunks(LIMIT * 2)), 413, "payload_too_large")
    assert calls == []


def test_oversize_json_body_is_413_not_422(limited: Any, assert_problem: Any) -> None:
    client, calls = limited
    calls.clear()
    assert_problem(client.post("/notes", json={"text": "y" * LIMIT}), 413, "payload_too_large")
    assert calls == []


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("size", [0, 1, LIMIT - 1, LIMIT])
def test_body_within_the_limit_arrives_intact(limited: Any, size: int, chunked: bool) -> None:
    client, _ = limited
    data = bytes(i % 251 for i in range(size))
    content: Any = (data[i : i + 700] for i in range(0, size, 700)) if chunked else data
    r = client.post("/upload", content=content)
    assert r.status_code == 200, r.text
    assert r.json() == {"size": size, "sha256": hashlib.sha256(data).hexdigest()}


def test_json_body_within_the_limit_works(limited: Any) -> None:
    client, _ = limited
    r = client.post("/notes", json={"text": "z" * (LIMIT - 100)})
    assert r.status_code == 200, r.text
    assert r.json() == {"length": LIMIT - 100}


def test_413_carries_request_id_and_security_headers(limited: Any) -> None:
    client, _ = limited
    r = client.post("/upload", content=b"x" * (LIMIT + 1), headers={"X-Request-ID": "too-big-1"})
    assert r.status_code == 413
    assert r.headers["x-request-id"] == r.json()["request_id"] == "too-big-1"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_default_limit_is_one_mebibyte(make_app: Callable[..., FastAPI], assert_problem: Any) -> None:
    app = make_app()

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    with TestClient(app) as client:
        assert client.post("/upload", content=b"m" * 1_048_576).json() == {"size": 1_048_576}
        assert_problem(client.post("/upload", content=b"m" * (2 * 1_048_576)), 413, "payload_too_large")
        assert_problem(client.post("/upload", content=_chunks(2 * 1_048_576, 65536)), 413, "payload_too_large")


def test_a_streamed_body_is_not_read_past_the_limit(make_app: Callable[..., FastAPI]) -> None:
    """Drive the ASGI app directly with a 1 MiB chunked body in 1 KiB pieces and count what it pulls."""
    app = make_app(max_body_bytes=LIMIT)
    handled: list[int] = []

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, int]:
        handled.append(len(await request.body()))
        return {"size": handled[-1]}

    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"c" * 1024, "more_body": pulled < 1024}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/upload",
        "raw_path": b"/upload",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {},
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert handled == []
    assert pulled <= LIMIT // 1024 + 1  # stopped right after passing the limit, not at 1 MiB
