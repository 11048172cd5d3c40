"""Reading a request body within a limit, for the platform middleware (nothing past the limit is read)."""

from __future__ import annotations

from starlette.types import Message, Receive


class BodyOverLimit(Exception):
    """A body of declared length that passed the limit while the app read it (not HTTP/1)."""


def declared_length(raw: bytes | None) -> int:
    """The declared ``Content-Length``; -1 when there is none or it is not a number."""
    if raw is None:
        return -1
    try:
        return int(raw)
    except ValueError:
        return -1


async def read_bounded(receive: Receive, limit: int) -> Message | None:
    """Read a body of unknown length; ``None`` as soon as it passes the limit, else one message."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: let the app see it
            return message
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}


def replay(buffered: Message, receive: Receive) -> Receive:
    """``receive`` that first gives back the body already read."""
    pending = [buffered]

    async def next_message() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return next_message


def counted(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises :class:`BodyOverLimit` once more than ``limit`` bytes came."""
    received = 0

    async def next_message() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyOverLimit
        return message

    return next_message
