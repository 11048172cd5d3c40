"""One open live stream: what it sends, in order (the replay of what a reconnecting client missed, then the
events as they come, a comment line when it has been quiet), and when it ends (the client leaves, its token
is revoked, its reader is too slow, the server shuts down, or it has been open ``stream_idle_seconds``).

The request's own unit of work ended before the stream began: each database step (a batch of events to
check and render, the presence refresh) is a short unit of work of its own, in a worker thread. The token is
re-checked by the hub for every stream of the worker together (``StreamHub.watch_tokens``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from typing import Any

from hearth_platform.routing import in_thread
from hearth_platform.security import TokenAuthenticator
from hearth_platform.uow import UnitOfWorkContext, reading_unit_of_work, unit_of_work

from .live import StreamHub, Subscription
from .stream import LiveEvents, Outgoing, StreamReader
from .stream_repository import PRESENCE_REFRESH_SECONDS, LiveEvent

STREAM_EXAMPLE = ': connected\n\nid: 1042\nevent: post\ndata: {"id":4521}\n\n: heartbeat\n\n'
_BATCH = 100  # events checked and rendered together (one unit of work)


def last_event_id(raw: str | None) -> int | None:
    if raw is None:
        return None
    raw = raw.strip()
    return int(raw) if raw.isdigit() and len(raw) <= 18 else None


def _frame(out: Outgoing) -> bytes:
    return f"id: {out.id}\nevent: {out.event}\ndata: {out.data}\n\n".encode()


class _Steps:
    """The database steps of a stream, each a short unit of work."""

    def __init__(self, state: Any, user_id: int) -> None:
        self.state = state
        self.user_id = user_id

    def _uow(self) -> AbstractContextManager[UnitOfWorkContext]:
        return reading_unit_of_work(self.state.database, self.state.event_bus, self.state.container)

    def present(self) -> None:
        with unit_of_work(self.state.database, self.state.event_bus, self.state.container) as uow:
            uow.resolve(LiveEvents).present(self.user_id)

    def live_tokens(self, token_ids: set[int]) -> set[int]:
        """Which of the worker's streams' tokens are still live (the hub's watcher asks, for every stream)."""
        with self._uow() as uow:
            return uow.resolve(TokenAuthenticator).live_token_ids(token_ids)  # type: ignore[type-abstract]

    def render(self, events: list[LiveEvent]) -> list[Outgoing]:
        with self._uow() as uow:
            reader: StreamReader = uow.resolve(StreamReader)
            return reader.render(self.user_id, events)

    def replay(self, last_id: int) -> list[Outgoing]:
        with self._uow() as uow:
            reader: StreamReader = uow.resolve(StreamReader)
            return reader.render(self.user_id, reader.missed(self.user_id, last_id))


async def event_stream(state: Any, hub: StreamHub, sub: Subscription, last_id: int | None) -> AsyncIterator[bytes]:
    settings = state.settings
    steps = _Steps(state, sub.user_id)
    try:
        if not hub.ready.is_set():  # events published before this worker listens would be missed
            await in_thread(hub.ready.wait, 5.0, waiting=True)
        await in_thread(steps.present)  # events are written for this user from here on
        hub.watch_tokens(steps.live_tokens)  # a logout or a revoked token closes the stream
        yield b"retry: 3000\n: connected\n\n"
        # Events are filtered by id only against the replay: two writes for one user may commit out of id
        # order, and the later-committed lower id must still be sent.
        replayed: set[int] = set()
        if last_id is not None:
            for out in await in_thread(steps.replay, last_id):
                replayed.add(out.id)
                yield _frame(out)
        now = time.monotonic()
        ends = now + settings.stream_idle_seconds
        next_beat = now + settings.stream_heartbeat_seconds
        next_presence = now + PRESENCE_REFRESH_SECONDS
        while not sub.closed.is_set():
            wake = min(next_beat, next_presence, ends)  # asleep until then, an event, or its close
            try:
                first = await asyncio.wait_for(sub.queue.get(), timeout=max(0.0, wake - now))
            except TimeoutError:
                first = None
            now = time.monotonic()
            if first is not None:
                batch = [first]
                while len(batch) < _BATCH and not sub.queue.empty():
                    got = sub.queue.get_nowait()
                    if got is not None:
                        batch.append(got)
                if replayed:
                    batch = [e for e in batch if e.id not in replayed]  # heard while replaying
                if batch:
                    for out in await in_thread(steps.render, batch):
                        yield _frame(out)
                    next_beat = now + settings.stream_heartbeat_seconds
            if now >= next_presence:
                await in_thread(steps.present)
                next_presence = time.monotonic() + PRESENCE_REFRESH_SECONDS
            if now >= ends:
                return
            if now >= next_beat:
                yield b": heartbeat\n\n"
                next_beat = now + settings.stream_heartbeat_seconds
    finally:
        hub.close(sub)
