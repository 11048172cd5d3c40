"""Errors of the notifications package: none of its own. Its lists answer for the caller only (nothing to
find or refuse: a notification that is not shown is simply not there), and a bad body is a validation error
of its schema."""

from __future__ import annotations

from hearth_platform.errors import HearthError, ServiceUnavailable


class TooManyStreams(HearthError):
    """The caller has as many live streams open as one user may."""

    status, code = 429, "too_many_streams"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"At most {limit} live streams may be open per user; close one first.", headers={"Retry-After": "5"}
        )


class StreamsUnavailable(ServiceUnavailable):
    """The server holds as many live streams as it may (or is shutting down)."""

    code = "streams_unavailable"

    def __init__(self) -> None:
        super().__init__("No live stream can be opened now; please retry.", headers={"Retry-After": "5"})
