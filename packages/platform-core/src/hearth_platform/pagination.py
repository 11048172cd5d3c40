"""Keyset pagination: opaque, tamper-evident cursors and the ``Pagination`` dependency."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, NoReturn, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel

from .errors import InvalidCursor

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class CursorCodec:
    """Signs cursors with the app's secret so a client can neither forge nor reuse one elsewhere.

    A cursor is bound to a *kind* (e.g. ``feed:42``), so a cursor from one list is refused by another.
    """

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"hearth-cursor:" + secret.encode()).digest()

    def _sign(self, kind: str, payload: bytes) -> str:
        mac = hmac.new(self._key, kind.encode() + b"\x00" + payload, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def encode(self, kind: str, values: list[Any]) -> str:
        payload = json.dumps([_encode_value(v) for v in values], separators=(",", ":")).encode()
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{body}.{self._sign(kind, payload)}"

    def decode(self, kind: str, cursor: str) -> list[Any]:
        try:
            body, mac = cursor.split(".", 1)
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (ValueError, TypeError) as exc:
            raise InvalidCursor() from exc
        # compare bytes: a str with non-ASCII characters would make compare_digest raise TypeError (a 500)
        if not hmac.compare_digest(mac.encode("utf-8"), self._sign(kind, payload).encode()):
            raise InvalidCursor()
        try:
            values = json.loads(payload)
            if not isinstance(values, list):
                raise TypeError("a cursor holds a list")
            return [_decode_value(v) for v in values]
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidCursor() from exc


def _encode_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return {"t": v.isoformat()}
    return v


def _decode_value(v: Any) -> Any:
    if isinstance(v, dict):
        return datetime.fromisoformat(v["t"])
    return v


@dataclass(slots=True)
class PageRequest:
    """A page asked for: ``limit`` items after ``cursor`` (opaque until decoded for one kind)."""

    limit: int
    cursor: str | None
    codec: CursorCodec

    def after(self, kind: str) -> list[Any] | None:
        """The keyset values the page starts after, or ``None`` for the first page."""
        if self.cursor is None:
            return None
        return self.codec.decode(kind, self.cursor)

    def keyset(self, kind: str) -> tuple[datetime, int] | None:
        """The ``(timestamp, id)`` a newest- or oldest-first page starts after; any other shape is refused."""
        values = self.after(kind)
        if values is None:
            return None
        if (
            len(values) != 2
            or not isinstance(values[0], datetime)
            or values[0].tzinfo is None
            or not isinstance(values[1], int)
            or isinstance(values[1], bool)
        ):
            self.reject_cursor()
        return values[0], values[1]

    @staticmethod
    def reject_cursor() -> NoReturn:
        """A cursor that is signed for this list but holds values of another shape."""
        raise InvalidCursor()

    def next_cursor(self, kind: str, values: list[Any] | None) -> str | None:
        return None if values is None else self.codec.encode(kind, values)


async def _page_request(  # async: no I/O, so no thread hop
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page (1-100).")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512, description="Opaque cursor from a previous page.")] = None,
) -> PageRequest:
    return PageRequest(limit=limit, cursor=cursor or None, codec=request.app.state.cursor_codec)


Pagination = Annotated[PageRequest, Depends(_page_request)]


class Page(BaseModel, Generic[T]):
    """A page of a list: its items and the cursor of the next page (null on the last one)."""

    items: list[T]
    next_cursor: str | None


def split_page(rows: list[T], limit: int) -> tuple[list[T], bool]:
    """Rows were fetched with ``limit + 1``; return the page and whether there is more."""
    return rows[:limit], len(rows) > limit
