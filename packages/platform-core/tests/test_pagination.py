"""Keyset pagination: signed, kind-bound cursors and the ``limit``/``cursor`` query contract."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from hearth_platform.errors import InvalidCursor
from hearth_platform.pagination import CursorCodec, Page, Pagination, split_page

SECRET = "pagination-test-secret-0123456789abcdef"
NUMBERS = list(range(1, 26))


def test_cursor_round_trips_keyset_values() -> None:
    codec = CursorCodec(SECRET)
    when = datetime(2026, 11, 28, 17, 0, 0, 123456, tzinfo=UTC)
    cursor = codec.encode("feed:42", [when, 9001, "abc"])
    assert codec.decode("feed:42", cursor) == [when, 9001, "abc"]
    # opaque for URLs: nothing a client has to escape
    assert all(c.isalnum() or c in "-_." for c in cursor)


def test_cursor_of_another_kind_is_refused() -> None:
    codec = CursorCodec(SECRET)
    cursor = codec.encode("feed:42", [1, 2])
    with pytest.raises(InvalidCursor):
        codec.decode("feed:43", cursor)
    with pytest.raises(InvalidCursor):
        codec.decode("comments:42", cursor)


def test_cursor_signed_with_another_secret_is_refused() -> None:
    cursor = CursorCodec("another-secret-entirely-0123456789").encode("feed:1", [5])
    with pytest.raises(InvalidCursor):
        CursorCodec(SECRET).decode("feed:1", cursor)


def test_tampered_cursor_is_refused() -> None:
    codec = CursorCodec(SECRET)
    cursor = codec.encode("feed:1", [100, 7])
    body, mac = cursor.split(".")
    forged_body = CursorCodec(SECRET).encode("x", [1, 7]).split(".")[0]  # a valid payload, someone else's mac
    for bad in (f"{forged_body}.{mac}", f"{body}.{mac[:-1]}", f"{body}.{mac}A", f"{body}x.{mac}"):
        with pytest.raises(InvalidCursor):
            codec.decode("feed:1", bad)


@pytest.mark.parametrize(
    "garbage",
    ["", ".", "abc", "a.b.c", "!!!.???", "é.abc", "YQ.é", "WzFd.\x00", "%%%%", "x" * 512],
)
def test_garbage_cursor_is_refused(garbage: str) -> None:
    with pytest.raises(InvalidCursor):
        CursorCodec(SECRET).decode("feed:1", garbage)


# ---- through HTTP -------------------------------------------------------------------------------


def _numbers_app(make_app: Callable[..., FastAPI], **overrides: Any) -> FastAPI:
    app = make_app(**overrides)

    def _page(kind: str, page: Any) -> Page[int]:
        after = page.after(kind)
        start = after[0] if after else 0
        rows = [n for n in NUMBERS if n > start][: page.limit + 1]
        items, more = split_page(rows, page.limit)
        return Page(items=items, next_cursor=page.next_cursor(kind, [items[-1]]) if more else None)

    @app.get("/numbers")
    def numbers(page: Pagination) -> Page[int]:
        return _page("numbers", page)

    @app.get("/letters")
    def letters(page: Pagination) -> Page[int]:
        return _page("letters", page)

    return app


@pytest.fixture(scope="module")
def pages(make_app: Callable[..., FastAPI]) -> Iterator[TestClient]:
    with TestClient(_numbers_app(make_app)) as c:
        yield c


def test_paging_walks_the_whole_list_once(pages: TestClient) -> None:
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 7}
        if cursor:
            params["cursor"] = cursor
        r = pages.get("/numbers", params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= 7
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == NUMBERS


def test_default_limit_is_20_and_100_is_allowed(pages: TestClient) -> None:
    first = pages.get("/numbers").json()
    assert first["items"] == NUMBERS[:20]
    assert first["next_cursor"] is not None
    everything = pages.get("/numbers", params={"limit": 100}).json()
    assert everything == {"items": NUMBERS, "next_cursor": None}


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5"])
def test_limit_outside_1_to_100_is_422(pages: TestClient, assert_problem: Any, limit: str) -> None:
    r = pages.get("/numbers", params={"limit": limit})
    body = assert_problem(r, 422, "validation_error")
    assert [e["loc"] for e in body["errors"]] == [["query", "limit"]]


@pytest.mark.parametrize("cursor", ["garbage", "YQ.é", "a.b", "WzEsMl0.ddjBxT9lksgFR-U5"])
def test_bad_cursor_is_422_invalid_cursor(pages: TestClient, assert_problem: Any, cursor: str) -> None:
    body = assert_problem(pages.get("/numbers", params={"cursor": cursor}), 422, "invalid_cursor")
    assert body["errors"] == []


def test_cursor_of_another_list_is_422_invalid_cursor(pages: TestClient, assert_problem: Any) -> None:
    letters_cursor = pages.get("/letters", params={"limit": 2}).json()["next_cursor"]
    assert pages.get("/letters", params={"cursor": letters_cursor}).status_code == 200
    assert_problem(pages.get("/numbers", params={"cursor": letters_cursor}), 422, "invalid_cursor")


def test_cursor_from_an_instance_with_another_secret_is_refused(
    pages: TestClient, make_app: Callable[..., FastAPI], assert_problem: Any
) -> None:
    other = _numbers_app(make_app, secret_key=SecretStr("a-different-secret-key-0123456789abcdef"))
    with TestClient(other) as other_client:
        foreign = other_client.get("/numbers", params={"limit": 2}).json()["next_cursor"]
    assert_problem(pages.get("/numbers", params={"cursor": foreign}), 422, "invalid_cursor")


def test_overlong_cursor_is_422(pages: TestClient, assert_problem: Any) -> None:
    assert_problem(pages.get("/numbers", params={"cursor": "A" * 600}), 422, "validation_error")
