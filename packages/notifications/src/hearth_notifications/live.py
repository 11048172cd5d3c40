"""The live stream's delivery: the broker that carries events between workers and instances (Redis pub/sub
when Redis is configured, PostgreSQL ``LISTEN/NOTIFY`` otherwise) and the hub of one worker process, which
listens once and fans each event out to that worker's open streams of its user.

Events are never published for a rolled-back unit of work: on PostgreSQL the ``NOTIFY`` is sent in the
writing transaction itself (PostgreSQL delivers it at the commit, and drops it with a rollback; no connection
or round trip of its own), on Redis the ``PUBLISH`` follows the commit (``uow.after_commit``).
Each stream has a bounded queue, and a reader too slow to keep up is dropped (it reconnects with
``Last-Event-ID`` and is replayed what it missed).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, text

from hearth_platform.database import Database
from hearth_platform.metrics import app_metrics
from hearth_platform.routing import in_thread
from hearth_platform.settings import Settings

from .errors import StreamsUnavailable, TooManyStreams
from .stream_repository import LiveEvent

log = logging.getLogger("hearth.stream")

PG_CHANNEL = "hearth_stream"
_MAX_PAYLOAD = 7000  # NOTIFY payloads must stay under 8000 bytes
_NOTIFY = text("SELECT pg_notify(:channel, :payload)")


def _encode(events: Sequence[LiveEvent]) -> list[str]:
    """``events`` as JSON payloads, each small enough for a NOTIFY."""
    payloads: list[str] = []
    chunk: list[list[Any]] = []
    size = 2
    for e in events:
        item = [e.id, e.user_id, e.kind, e.subject_id]
        length = len(json.dumps(item)) + 1
        if chunk and size + length > _MAX_PAYLOAD:
            payloads.append(json.dumps(chunk))
            chunk, size = [], 2
        chunk.append(item)
        size += length
    if chunk:
        payloads.append(json.dumps(chunk))
    return payloads


def _decode(payload: str | bytes) -> list[LiveEvent]:
    return [LiveEvent(int(i), int(u), str(k), int(s)) for i, u, k, s in json.loads(payload)]


class Broker(Protocol):
    transactional: bool
    """Whether :meth:`publish` takes the writing transaction's connection (delivered at its commit)."""

    def publish(self, events: Sequence[LiveEvent], connection: Connection | None = None) -> None: ...

    def listen(self, deliver: Callable[[list[LiveEvent]], None], stop: threading.Event, ready: threading.Event) -> None:
        """Call ``deliver`` with each batch heard, until ``stop`` is set (blocking: run in a thread); set
        ``ready`` once listening."""
        ...


class PostgresBroker:
    """``NOTIFY`` in the writing transaction (sent by its commit); one connection per worker ``LISTEN``s."""

    transactional = True

    def __init__(self, database: Database) -> None:
        self.database = database

    def publish(self, events: Sequence[LiveEvent], connection: Connection | None = None) -> None:
        assert connection is not None, "NOTIFY belongs to the writing transaction"
        for payload in _encode(events):
            connection.execute(_NOTIFY, {"channel": PG_CHANNEL, "payload": payload})

    def listen(self, deliver: Callable[[list[LiveEvent]], None], stop: threading.Event, ready: threading.Event) -> None:
        import psycopg

        url = self.database.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {PG_CHANNEL}")
                    ready.set()
                    while not stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            deliver(_decode(note.payload))
            except Exception:  # the database went away: listen again shortly
                if stop.is_set():
                    return
                log.warning("the live stream's LISTEN connection failed; retrying", exc_info=True)
                stop.wait(1.0)


class RedisBroker:
    """Redis pub/sub on ``<prefix>stream``, after the commit."""

    transactional = False

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.channel = f"{prefix}stream"

    def publish(self, events: Sequence[LiveEvent], connection: Connection | None = None) -> None:
        payloads = _encode(events)
        if len(payloads) == 1:
            self.client.publish(self.channel, payloads[0])
            return
        with self.client.pipeline(transaction=False) as pipe:  # one round trip however many
            for payload in payloads:
                pipe.publish(self.channel, payload)
            pipe.execute()

    def listen(self, deliver: Callable[[list[LiveEvent]], None], stop: threading.Event, ready: threading.Event) -> None:
        while not stop.is_set():
            try:
                pubsub = self.client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
                pubsub.subscribe(self.channel)
                ready.set()
                try:
                    while not stop.is_set():
                        message = pubsub.get_message(timeout=1.0)
                        if message is not None and message.get("type") == "message":
                            deliver(_decode(message["data"]))
                finally:
                    pubsub.close()
            except Exception:
                if stop.is_set():
                    return
                log.warning("the live stream's Redis subscription failed; retrying", exc_info=True)
                stop.wait(1.0)


_CLAIM = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""
_RENEW = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', ms + tonumber(ARGV[1]), ARGV[i + 1])
  redis.call('PEXPIRE', key, ARGV[1])
end
return 1
"""


class StreamSlots:
    """A user's open streams across every worker and instance, in Redis (a sorted set per user: one member
    per stream, scored by when its lease ends); renewed with the token checks, released at close, and a
    stream whose worker died lapses with its lease. Without Redis each worker process counts its own."""

    def __init__(self, url: str, prefix: str, lease_seconds: float) -> None:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._client = client
        self._prefix = f"{prefix}streams:u:"
        self._lease_ms = int(lease_seconds * 1000)
        self._claim = client.register_script(_CLAIM)
        self._renew = client.register_script(_RENEW)

    def claim(self, user_id: int, member: str, cap: int) -> bool:
        """Take one of the user's ``cap`` places (blocking: a worker thread); ``True`` also when Redis is away
        (the worker's own count still caps)."""
        try:
            return bool(self._claim(keys=[self._prefix + str(user_id)], args=[member, self._lease_ms, cap]))
        except Exception:
            log.warning("could not count the user's streams in Redis", exc_info=True)
            return True

    def renew(self, held: list[tuple[int, str]]) -> None:
        if held:
            keys = [self._prefix + str(user) for user, _ in held]
            self._renew(keys=keys, args=[self._lease_ms, *(member for _, member in held)])

    def release(self, user_id: int, member: str) -> None:
        with contextlib.suppress(Exception):  # the lease ends it anyway
            self._client.zrem(self._prefix + str(user_id), member)


class Subscription:
    """One open stream: its user, its bounded queue, and whether it was closed (slow reader, shutdown)."""

    __slots__ = ("closed", "member", "queue", "reason", "token_id", "user_id")

    def __init__(self, user_id: int, token_id: int, size: int, member: str = "") -> None:
        self.user_id = user_id
        self.token_id = token_id
        self.member = member  # its place among the user's streams in Redis ("": counted by this worker only)
        self.queue: asyncio.Queue[LiveEvent | None] = asyncio.Queue(maxsize=size)  # None: closed
        self.closed = asyncio.Event()
        self.reason = ""

    def offer(self, event: LiveEvent) -> None:
        if self.closed.is_set():
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:  # a slow reader: dropped, not buffered without end
            self.close("slow reader")
            app_metrics().stream_events.labels(event.kind, "dropped").inc()

    def close(self, reason: str) -> None:
        self.reason = self.reason or reason
        self.closed.set()
        with contextlib.suppress(asyncio.QueueFull):  # wakes the stream waiting for its next event (a full
            self.queue.put_nowait(None)  # queue wakes it anyway)


class StreamHub:
    """The open streams of this worker process, and the one listener that feeds them."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.broker: Broker = (
            RedisBroker(settings.redis_url, settings.redis_key_prefix)
            if settings.redis_url
            else PostgresBroker(database)
        )
        self._streams: dict[int, set[Subscription]] = {}
        self._open = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop = threading.Event()
        self.ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._watcher: asyncio.Task[None] | None = None
        lease = 3 * settings.stream_token_check_seconds + 5  # renewed with each token check
        self.slots = StreamSlots(settings.redis_url, settings.redis_key_prefix, lease) if settings.redis_url else None

    # -- publishing (in the committing thread) -------------------------------------------------------------

    @property
    def publishes_in_transaction(self) -> bool:
        return self.broker.transactional

    def publish(self, events: Sequence[LiveEvent], connection: Connection | None = None) -> None:
        if events:
            self.broker.publish(events, connection)

    # -- this worker's streams (on the event loop) --------------------------------------------------------

    def claim(self, user_id: int) -> str:
        """A place among the user's streams on every worker and instance (blocking: in a worker thread, before
        :meth:`open`); ``""`` without Redis. Raises ``TooManyStreams`` at the per-user cap."""
        if self.slots is None:
            return ""
        member = uuid.uuid4().hex
        if not self.slots.claim(user_id, member, self.settings.stream_max_per_user):
            raise TooManyStreams(self.settings.stream_max_per_user)
        return member

    def release(self, user_id: int, member: str) -> None:
        """Give back a place :meth:`claim` took (blocking) that no stream holds (the stream never opened)."""
        if self.slots is not None and member:
            self.slots.release(user_id, member)

    def open(self, user_id: int, token_id: int, member: str = "") -> Subscription:
        if self._stop.is_set():
            raise StreamsUnavailable()
        mine = self._streams.setdefault(user_id, set())
        if len(mine) >= self.settings.stream_max_per_user:
            raise TooManyStreams(self.settings.stream_max_per_user)
        if self._open >= self.settings.stream_max_open:
            raise StreamsUnavailable()
        self._start(asyncio.get_running_loop())
        sub = Subscription(user_id, token_id, self.settings.stream_queue_size, member)
        mine.add(sub)
        self._open += 1
        app_metrics().streams_open.inc()
        return sub

    def close(self, sub: Subscription) -> None:
        mine = self._streams.get(sub.user_id)
        if mine is None or sub not in mine:
            return
        mine.discard(sub)
        if not mine:
            del self._streams[sub.user_id]
        self._open -= 1
        app_metrics().streams_open.dec()
        sub.close("closed")
        if sub.member and self.slots is not None:  # on the loop (the stream's end, the answer's background task)
            asyncio.get_running_loop().run_in_executor(None, self.slots.release, sub.user_id, sub.member)

    def open_count(self) -> int:
        return self._open

    def watch_tokens(self, live: Callable[[set[int]], set[int]]) -> None:
        """Re-check the tokens of this worker's open streams every ``stream_token_check_seconds``, together:
        ``live`` (blocking: run in a worker thread) answers which of them are still live; a stream whose token
        is not is closed (a logout, a revoked session). One statement per worker per interval, not one per
        stream (150 streams checking their own cost a worker 15 % of a core, profiled)."""
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.get_running_loop().create_task(self._watch(live))

    async def _watch(self, live: Callable[[set[int]], set[int]]) -> None:
        every = self.settings.stream_token_check_seconds
        while not self._stop.is_set():
            await asyncio.sleep(every)
            subs = [sub for mine in self._streams.values() for sub in mine]
            if not subs:
                continue
            try:
                if self.slots is not None:  # the places of this worker's streams go on
                    await in_thread(self.slots.renew, [(sub.user_id, sub.member) for sub in subs if sub.member])
                alive = await in_thread(live, {sub.token_id for sub in subs})
            except Exception:  # the database is away: the next round checks again
                log.warning("the live streams' token check failed", exc_info=True)
                continue
            for sub in subs:
                if sub.token_id not in alive:
                    sub.close("token")

    def _dispatch(self, events: list[LiveEvent]) -> None:
        for event in events:
            for sub in tuple(self._streams.get(event.user_id, ())):
                sub.offer(event)

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            if self._thread is not None and self._loop is loop:
                return
            self._loop = loop

            def deliver(events: list[LiveEvent]) -> None:
                with contextlib.suppress(RuntimeError):  # the loop closed: nothing left to deliver to
                    loop.call_soon_threadsafe(self._dispatch, events)

            self._thread = threading.Thread(
                target=self.broker.listen,
                args=(deliver, self._stop, self.ready),
                name="hearth-stream-listener",
                daemon=True,
            )
            self._thread.start()

    def shutdown(self) -> None:
        """Close every stream (their responses end) and stop listening."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.cancel()
        for mine in list(self._streams.values()):
            for sub in list(mine):
                sub.close("shutdown")
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=3)
