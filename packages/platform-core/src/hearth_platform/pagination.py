"""Keyset pagination: opaque, tamper-evident cursors bound to the caller and the list, and ``Pagination``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel, ConfigDict

from .errors import InvalidCursor
from .examples import example
from .security import CurrentUser, Principal

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_CHARS = 512
"""Longer than any cursor we hand out: a longer one is refused (``invalid_cursor``) before it is decoded."""

Shape = tuple[type, ...]
"""The types of a cursor's values, in order: ``datetime`` (aware, read back in UTC), ``int`` (a bigint),
``str``. A cursor holding anything else is refused at decode, before a value reaches a query."""
KEYSET: Shape = (datetime, int)
Key = tuple[datetime, int]
POLL_FLOOR: Key = (datetime(1970, 1, 1, tzinfo=UTC), 0)
"""The top of an empty newest-first page: whatever is written later is newer."""
_BIGINT = (-(2**63), 2**63 - 1)


class CursorCodec:
    """Signs cursors with the app's secret so a client can neither forge nor reuse one elsewhere.

    A cursor is bound to a *kind* (see :func:`cursor_kind`), so a cursor from one list, or issued to
    another caller, is refused by every other.
    """

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"hearth-cursor:" + secret.encode()).digest()

    def _sign(self, kind: str, payload: bytes) -> str:
        mac = hmac.digest(self._key, kind.encode() + b"\x00" + payload, "sha256")[:12]
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def encode(self, kind: str, values: list[Any]) -> str:
        payload = json.dumps([_encode_value(v) for v in values], separators=(",", ":")).encode()
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{body}.{self._sign(kind, payload)}"

    def decode(self, kind: str, cursor: str, shape: Shape) -> list[Any]:
        """The values of a cursor signed for ``kind``, checked against ``shape``; else :class:`InvalidCursor`."""
        if len(cursor) > MAX_CURSOR_CHARS:
            raise InvalidCursor()
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
        except ValueError as exc:
            raise InvalidCursor() from exc
        # a signature only says who wrote the payload: its shape is checked too (an older release, or a
        # leaked key, must never get a value the query cannot take to the database)
        if not isinstance(values, list) or len(values) != len(shape):
            raise InvalidCursor()
        return [_decode_value(v, t) for v, t in zip(values, shape, strict=True)]


def _encode_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return {"t": v.isoformat()}
    return v


def _decode_value(v: Any, t: type) -> Any:
    if t is datetime:
        if isinstance(v, dict) and v.keys() == {"t"} and isinstance(v["t"], str):
            try:
                when = datetime.fromisoformat(v["t"])
                if when.tzinfo is not None:
                    return when.astimezone(UTC)  # OverflowError at the ends of the calendar
            except (ValueError, OverflowError):
                pass
    elif t is int:
        if type(v) is int and _BIGINT[0] <= v <= _BIGINT[1]:  # not a bool
            return v
    elif t is str:
        if isinstance(v, str) and not any(ch == "\x00" or "\ud800" <= ch <= "\udfff" for ch in v):
            return v  # PostgreSQL takes neither NUL nor a lone surrogate
    else:
        raise TypeError(f"a cursor holds datetime, int or str values, not {t.__name__}")
    raise InvalidCursor()


def cursor_kind(caller_id: int, path: str, kind: str) -> str:
    """What a cursor is signed for: the caller, the list's URL path and the list's own kind (which names
    its shape and the query parameters that choose it, e.g. ``f"feed:{tag_id}"``)."""
    return f"{caller_id}:{path}:{kind}"


@dataclass(slots=True)
class PageRequest:
    """A page asked for: ``limit`` items after ``cursor`` (opaque until decoded for one kind), by the caller
    ``caller_id`` on the list at ``path``: every cursor it reads or writes is bound to both."""

    limit: int
    cursor: str | None
    codec: CursorCodec
    caller: Principal
    path: str
    newer_than: str | None = None

    @property
    def caller_id(self) -> int:  # read in the handler, once the caller's token is checked
        return self.caller.user_id

    def after(self, kind: str, shape: Shape) -> list[Any] | None:
        """The values of ``shape`` the page starts after, or ``None`` for the first page."""
        if self.cursor is None:
            return None
        return self.codec.decode(cursor_kind(self.caller_id, self.path, kind), self.cursor, shape)

    def keyset(self, kind: str) -> tuple[datetime, int] | None:
        """The ``(timestamp, id)`` a newest- or oldest-first page starts after."""
        values = self.after(kind, KEYSET)
        return None if values is None else (values[0], values[1])

    def next_cursor(self, kind: str, values: list[Any] | None) -> str | None:
        if values is None:
            return None
        return self.codec.encode(cursor_kind(self.caller_id, self.path, kind), values)

    # -- polling a newest-first list ---------------------------------------------------------------

    def newer(self, kind: str) -> Key | None:
        """The ``(timestamp, id)`` of the top of the page that gave ``newer_than`` (``None``: not a poll)."""
        if self.newer_than is None:
            return None
        values = self.codec.decode(cursor_kind(self.caller_id, self.path, f"{kind}:newer"), self.newer_than, KEYSET)
        return values[0], values[1]

    def newer_cursor(self, kind: str, top: Key) -> str:
        """What a client polls with for the items above ``top`` (bound like every cursor, to its own use)."""
        return self.codec.encode(cursor_kind(self.caller_id, self.path, f"{kind}:newer"), list(top))


async def _page_request(  # async: no I/O, so no thread hop
    request: Request,
    caller: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page (1-100).")] = DEFAULT_LIMIT,
    # no max_length: an overlong cursor is an invalid cursor (422 invalid_cursor), not a validation error
    cursor: Annotated[str | None, Query(description="Opaque cursor from a previous page of this list.")] = None,
) -> PageRequest:
    return PageRequest(
        limit=limit,
        cursor=cursor or None,
        codec=request.app.state.cursor_codec,
        caller=caller,
        path=request.scope["path"],  # (request.url would build and parse a whole URL)
    )


Pagination = Annotated[PageRequest, Depends(_page_request)]
"""``limit`` and ``cursor`` of a list route; it needs the caller (``CurrentUser``), to bind cursors to them."""


async def _newest_first_request(
    page: Pagination,
    newer_than: Annotated[
        str | None,
        Query(
            description="Poll: the items newer than the top of the page that gave this `newer_cursor`, newest "
            "first; when more than `limit` are new, the `limit` oldest of them (poll again to catch up)."
        ),
    ] = None,
) -> PageRequest:
    if newer_than and page.cursor is not None:
        # `cursor` pages back, `newer_than` polls forward: a page cursor is not valid in a poll
        raise InvalidCursor()
    page.newer_than = newer_than or None
    return page


NewestFirst = Annotated[PageRequest, Depends(_newest_first_request)]
"""``Pagination`` of a newest-first list, with ``newer_than`` for polling (answer with ``NewestFirstPage``)."""


# what cursors look like in the document's examples (opaque and signed: a client never builds one)
EXAMPLE_CURSOR = "W3sidCI6IjIwMjYtMTEtMzBUMTM6MzE6MDAuNDE0Mjc0KzAwOjAwIn0sNDJd.3WDWN7BPGqfigspi"
EXAMPLE_NEWER_CURSOR = "W3sidCI6IjIwMjYtMTEtMzBUMTQ6MDI6MTcuMTIwNTUzKzAwOjAwIn0sNTdd.uti6VnheOsRnibo0"


def _page_examples(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """``Page[Item]``'s example: one page of ``Item``'s example (none when the item states none)."""
    args = model.__pydantic_generic_metadata__["args"]
    try:
        item = example(args[0]) if args else None
    except LookupError:
        return
    if item is None:
        return
    page: dict[str, Any] = {"items": [item], "next_cursor": EXAMPLE_CURSOR}
    if "newer_cursor" in schema.get("properties", {}):
        page["newer_cursor"] = EXAMPLE_NEWER_CURSOR
    schema["examples"] = [page]


class Page(BaseModel, Generic[T]):
    """A page of a list: its items and the cursor of the next page (null on the last one)."""

    model_config = ConfigDict(json_schema_extra=_page_examples)

    items: list[T]
    next_cursor: str | None


class NewestFirstPage(Page[T], Generic[T]):
    """A page of a newest-first list, with the cursor that polls for what is written above it."""

    newer_cursor: str


def split_page(rows: list[T], limit: int) -> tuple[list[T], bool]:
    """Rows were fetched with ``limit + 1``; return the page and whether there is more."""
    return rows[:limit], len(rows) > limit
