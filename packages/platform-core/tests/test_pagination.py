"""Keyset pagination: signed cursors bound to the caller and the list, checked for shape, and the
``limit``/``cursor`` query contract."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from hearth_platform.app import Package, build_app
from hearth_platform.container import Container
from hearth_platform.errors import InvalidCursor
from hearth_platform.pagination import KEYSET, MAX_CURSOR_CHARS, CursorCodec, Page, Pagination, split_page
from hearth_platform.routing import Router
from hearth_platform.security import Principal, TokenAuthenticator
from hearth_platform.settings import Settings

SECRET = "pagination-test-secret-0123456789abcdef"
NUMBERS = list(range(1, 26))


def test_cursor_round_trips_keyset_values() -> None:
    codec = CursorCodec(SECRET)
    when = datetime(2026, 11, 28, 17, 0, 0, 123456, tzinfo=UTC)
    cursor = codec.encode("feed:42", [when, 9001, "abc"])
    assert codec.decode("feed:42", cursor, (datetime, int, str)) == [when, 9001, "abc"]
    # opaque for URLs: nothing a client has to escape
    assert all(c.isalnum() or c in "-_." for c in cursor)


def test_cursor_of_another_kind_is_refused() -> None:
    codec = CursorCodec(SECRET)
    cursor = codec.encode("feed:42", [1, 2])
    with pytest.raises(InvalidCursor):
        codec.decode("feed:43", cursor, (int, int))
    with pytest.raises(InvalidCursor):
        codec.decode("comments:42", cursor, (int, int))


def test_cursor_signed_with_another_secret_is_refused() -> None:
    cursor = CursorCodec("another-secret-entirely-0123456789").encode("feed:1", [5])
    with pytest.raises(InvalidCursor):
        CursorCodec(SECRET).decode("feed:1", cursor, (int,))


def test_tampered_cursor_is_refused() -> None:
    codec = CursorCodec(SECRET)
    cursor = codec.encode("feed:1", [100, 7])
    body, mac = cursor.split(".")
    forged_body = CursorCodec(SECRET).encode("x", [1, 7]).split(".")[0]  # a valid payload, someone else's mac
    for bad in (f"{forged_body}.{mac}", f"{body}.{mac[:-1]}", f"{body}.{mac}A", f"{body}x.{mac}"):
        with pytest.raises(InvalidCursor):
            codec.decode("feed:1", bad, (int, int))


@pytest.mark.parametrize(
    "garbage",
    ["", ".", "abc", "a.b.c", "!!!.???", "é.abc", "YQ.é", "WzFd.\x00", "%%%%", "x" * 512, "x" * 5_000],
)
def test_garbage_cursor_is_refused(garbage: str) -> None:
    with pytest.raises(InvalidCursor):
        CursorCodec(SECRET).decode("feed:1", garbage, (int,))


@pytest.mark.parametrize(
    "values",
    [
        [],  # too short
        [{"t": "2026-01-01T00:00:00+00:00"}, 1, 2],  # too long
        [1, 2],  # an int where the time goes
        ["2026-01-01T00:00:00+00:00", 1],  # a bare string where the time goes
        [{"t": "2026-01-01T00:00:00"}, 1],  # a time without its zone
        [{"t": "yesterday"}, 1],
        [{"t": 5}, 1],
        [{"t": "2026-01-01T00:00:00+00:00", "x": 1}, 1],
        [{"t": "0001-01-01T00:00:00+05:00"}, 1],  # before year 1 in UTC
        [{"t": "9999-12-31T23:59:59-05:00"}, 1],  # after year 9999 in UTC
        [{"t": "2026-01-01T00:00:00+00:00"}, True],  # a bool is not an id
        [{"t": "2026-01-01T00:00:00+00:00"}, 1.5],
        [{"t": "2026-01-01T00:00:00+00:00"}, "1"],
        [{"t": "2026-01-01T00:00:00+00:00"}, 2**63],  # beyond a bigint
        [{"t": "2026-01-01T00:00:00+00:00"}, None],
        [{"t": "2026-01-01T00:00:00+00:00"}, [1]],
    ],
)
def test_a_signed_cursor_of_the_wrong_shape_is_refused(values: list[Any]) -> None:
    codec = CursorCodec(SECRET)
    with pytest.raises(InvalidCursor):
        codec.decode("feed:1", codec.encode("feed:1", values), KEYSET)


def test_a_signed_cursor_that_is_not_a_list_is_refused() -> None:
    codec = CursorCodec(SECRET)
    for payload in (b'{"a":1}', b"5", b'"x"', b"null", b"[1"):
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        with pytest.raises(InvalidCursor):
            codec.decode("k", f"{body}.{codec._sign('k', payload)}", (int,))  # encode() only writes lists


def test_keyset_times_are_read_back_in_utc() -> None:
    codec = CursorCodec(SECRET)
    when = datetime(2026, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=5)))
    decoded = codec.decode("k", codec.encode("k", [when, 7]), KEYSET)
    assert decoded == [when, 7]
    assert decoded[0].utcoffset() == timedelta(0)


def test_string_values_that_the_database_cannot_take_are_refused() -> None:
    codec = CursorCodec(SECRET)
    for bad in ("a\x00b", "\ud800"):
        with pytest.raises(InvalidCursor):
            codec.decode("k", codec.encode("k", [bad]), (str,))
    assert codec.decode("k", codec.encode("k", ["émile_1"]), (str,)) == ["émile_1"]


def test_an_overlong_cursor_is_refused_even_when_signed() -> None:
    codec = CursorCodec(SECRET)
    cursor = codec.encode("k", ["x" * MAX_CURSOR_CHARS])
    with pytest.raises(InvalidCursor):
        codec.decode("k", cursor, (str,))


# ---- through HTTP -------------------------------------------------------------------------------

_TOKEN = "pages-test-"


class _Tokens:
    """``Bearer pages-test-<id>`` is user ``<id>``: platform-core has no accounts of its own."""

    def authenticate(self, token: str) -> Principal | None:
        rest = token.removeprefix(_TOKEN)
        return Principal(user_id=int(rest), token_id=0) if token.startswith(_TOKEN) and rest.isdigit() else None


def _as(user_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {_TOKEN}{user_id}"}


ME = _as(1)


def _numbers_router() -> APIRouter:
    router = Router()

    def _page(kind: str, page: Any) -> Page[int]:
        after = page.after(kind, (int,))
        start = after[0] if after else 0
        rows = [n for n in NUMBERS if n > start][: page.limit + 1]
        items, more = split_page(rows, page.limit)
        return Page(items=items, next_cursor=page.next_cursor(kind, [items[-1]]) if more else None)

    @router.get("/numbers")
    def numbers(page: Pagination) -> Page[int]:
        return _page("numbers", page)

    @router.get("/letters")
    def letters(page: Pagination) -> Page[int]:
        return _page("letters", page)

    @router.get("/twins/{twin}")
    def twins(twin: int, page: Pagination) -> Page[int]:
        return _page("twins", page)  # one kind for every twin: the path tells them apart

    return router


def _register(container: Container, settings: Settings) -> None:
    container.register(TokenAuthenticator, _Tokens)  # type: ignore[type-abstract]


def _numbers_app(settings: Settings) -> FastAPI:
    pages = Package(name="pages-test", register=_register, routers=(_numbers_router(),))
    return build_app(settings, [pages], configure_logs=False)


@pytest.fixture(scope="module")
def pages(base_settings: Settings) -> Iterator[TestClient]:
    with TestClient(_numbers_app(base_settings), base_url="http://testserver/api/v1") as c:
        c.headers.update(ME)
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


def test_a_list_needs_a_caller(pages: TestClient, assert_problem: Any) -> None:
    assert_problem(pages.get("/numbers", headers={"Authorization": ""}), 401, "unauthorized")


@pytest.mark.parametrize("cursor", ["garbage", "YQ.é", "a.b", "WzEsMl0.ddjBxT9lksgFR-U5"])
def test_bad_cursor_is_422_invalid_cursor(pages: TestClient, assert_problem: Any, cursor: str) -> None:
    body = assert_problem(pages.get("/numbers", params={"cursor": cursor}), 422, "invalid_cursor")
    assert body["errors"] == []


def test_cursor_of_another_list_is_422_invalid_cursor(pages: TestClient, assert_problem: Any) -> None:
    letters_cursor = pages.get("/letters", params={"limit": 2}).json()["next_cursor"]
    assert pages.get("/letters", params={"cursor": letters_cursor}).status_code == 200
    assert_problem(pages.get("/numbers", params={"cursor": letters_cursor}), 422, "invalid_cursor")


def test_cursor_of_another_path_is_refused_even_with_the_same_kind(pages: TestClient, assert_problem: Any) -> None:
    cursor = pages.get("/twins/1", params={"limit": 2}).json()["next_cursor"]
    assert pages.get("/twins/1", params={"cursor": cursor}).status_code == 200
    assert_problem(pages.get("/twins/2", params={"cursor": cursor}), 422, "invalid_cursor")


def test_cursor_of_another_caller_is_refused(pages: TestClient, assert_problem: Any) -> None:
    cursor = pages.get("/numbers", params={"limit": 2}).json()["next_cursor"]
    assert_problem(pages.get("/numbers", params={"cursor": cursor}, headers=_as(2)), 422, "invalid_cursor")
    assert pages.get("/numbers", params={"cursor": cursor}).json()["items"] == NUMBERS[2:22]


def test_cursor_from_an_instance_with_another_secret_is_refused(
    pages: TestClient, base_settings: Settings, assert_problem: Any
) -> None:
    other_settings = base_settings.model_copy(
        update={"secret_key": SecretStr("a-different-secret-key-0123456789abcdef")}
    )
    with TestClient(_numbers_app(other_settings), base_url="http://testserver/api/v1") as other_client:
        foreign = other_client.get("/numbers", params={"limit": 2}, headers=ME).json()["next_cursor"]
    assert_problem(pages.get("/numbers", params={"cursor": foreign}), 422, "invalid_cursor")


@pytest.mark.parametrize("length", [600, 5_000, 30_000])
def test_overlong_cursor_is_422_invalid_cursor(pages: TestClient, assert_problem: Any, length: int) -> None:
    assert_problem(pages.get("/numbers", params={"cursor": "A" * length}), 422, "invalid_cursor")
