"""What writes tell the read replicas' routing (``hearth_platform.replicas``): the guard that keeps statements
for the primary off a replica's connections, which committed writes may take access away (they raise the
floor for every reader), and the write marks themselves, kept in Redis or in process."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event

# statements a replica must never get: writes, row locks, advisory locks, LISTEN/NOTIFY, sequences
_NOT_ON_A_REPLICA = re.compile(
    r"\b(?:INSERT|UPDATE|DELETE|TRUNCATE|MERGE|LISTEN|NOTIFY|FOR SHARE|FOR KEY SHARE)\b"
    r"|pg_(?:try_)?advisory|\bnextval\(|\bsetval\(|pg_notify"
)
# Writes that raise the floor for every reader. Those that may take access away from someone (a revoked token,
# a block, a disconnection, an untag, a deleted tag, an edited or deleted post or comment, an erased user,
# detached media): by table, not by statement kind, since a new post's audience is written as
# delete-then-insert, which hides nothing from anyone. And every change of the connection graph, which the
# shared cache holds (hearth_connections.caching): a cache entry refilled after its invalidation must be read
# where that change is, or the cache would keep a replica's stale answer past the lag bound.
_NARROWING = re.compile(
    r"\b(?:UPDATE|DELETE FROM|TRUNCATE(?: TABLE)?)\s+(?:ONLY\s+)?\"?"
    r"(?:auth_tokens|comments|connections|media|post_media|posts|user_tag_members|user_tags|users)\b"
    r"|\bINSERT INTO (?:blocks|connections|user_tag_members)\b"
)
_NARROWS = "hearth_narrows_access"
_narrowed: ContextVar[bool] = ContextVar("hearth_write_narrowed", default=False)


class ReplicaMisuse(RuntimeError):
    """A statement that must run on the primary reached a replica's connection (a routing bug)."""


_CHECKED: set[str] = set()  # statements already found fit for a replica (the same few texts run again and again)


def _guard(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    if statement in _CHECKED:  # a str caches its hash: a set lookup, not a scan of the text
        return
    if _NOT_ON_A_REPLICA.search(statement):
        raise ReplicaMisuse(f"a replica was handed a statement for the primary: {statement[:120]!r}")
    if len(_CHECKED) < 10_000:
        _CHECKED.add(statement)


def _sniff(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    if _NARROWING.search(statement):
        conn.info[_NARROWS] = True


def _on_commit(conn: Any) -> None:
    if conn.info.pop(_NARROWS, False):
        _narrowed.set(True)


def _on_rollback(conn: Any) -> None:
    conn.info.pop(_NARROWS, None)


def _on_checkin(dbapi_connection: Any, record: Any) -> None:
    record.info.pop(_NARROWS, None)


def guard_replica(engine: Any) -> None:
    """Refuse, on ``engine`` (a replica's), any statement that must run on the primary (``ReplicaMisuse``)."""
    event.listen(engine, "before_cursor_execute", _guard)


def watch_narrowing(engine: Any) -> None:
    """Note, on ``engine`` (the primary's writing pool), the writes that may take access away: told at
    commit (:func:`take_narrowed`), forgotten at rollback and when the connection goes back to the pool."""
    event.listen(engine, "before_cursor_execute", _sniff)
    event.listen(engine, "commit", _on_commit)
    event.listen(engine, "rollback", _on_rollback)
    event.listen(engine, "checkin", _on_checkin)


def narrowed_pending() -> bool:
    """Whether a write committed in this context may have taken access away (not yet taken)."""
    return _narrowed.get()


def take_narrowed() -> bool:
    """Whether a write committed in this context since the last call may have taken access away (and forget it)."""
    narrowed = _narrowed.get()
    if narrowed:
        _narrowed.set(False)
    return narrowed


class WriteMarks:
    """Write marks (WAL positions) per user and the floor for everyone, each kept ``ttl`` seconds: in Redis
    when configured (every process and instance sees them), otherwise in this process."""

    _NOTE = """
    for i, key in ipairs(KEYS) do
      local current = tonumber(redis.call('GET', key) or '-1')
      if tonumber(ARGV[1]) > current then
        redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
      else
        redis.call('PEXPIRE', key, ARGV[2])
      end
    end
    return 1
    """

    def __init__(self, ttl: float, *, redis_url: str | None = None, prefix: str = "hearth:") -> None:
        self.ttl = ttl
        self._prefix = f"{prefix}rw:"
        self._lock = threading.Lock()
        self._local: dict[str, tuple[int, float]] = {}
        self._redis: Any = None
        self._note_script: Any = None
        if redis_url:
            import redis  # only with Redis configured

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
            self._note_script = self._redis.register_script(self._NOTE)

    def _key(self, user_id: int | None) -> str:
        return self._prefix + ("floor" if user_id is None else f"u:{user_id}")

    def keys(self, user_id: int | None) -> list[str]:
        """The Redis keys :meth:`get` reads (none without Redis), for a caller that reads them itself."""
        if self._redis is None:
            return []
        return [self._key(None)] if user_id is None else [self._key(None), self._key(user_id)]

    @staticmethod
    def parse(values: list[Any]) -> tuple[int, int]:
        """``(floor, mark)`` of the values of :meth:`keys` (-1: none)."""
        floor, mark = [*values, None, None][:2]
        return (-1 if floor is None else int(floor)), (-1 if mark is None else int(mark))

    def get(self, user_id: int | None) -> tuple[int, int]:
        """The floor, and ``user_id``'s mark (-1: none). Raises when Redis fails."""
        keys = [self._key(None)] if user_id is None else [self._key(None), self._key(user_id)]
        if self._redis is not None:
            return self.parse(self._redis.mget(keys))
        now = time.monotonic()
        with self._lock:
            found = [self._local.get(k) for k in keys]
        return self.parse([entry[0] if entry is not None and entry[1] > now else None for entry in found])

    def note(self, lsn: int, user_id: int | None, *, floor: bool) -> None:
        keys = [self._key(user_id)] if user_id is not None else []
        if floor or user_id is None:
            keys.append(self._key(None))
        if self._redis is not None:
            self._note_script(keys=keys, args=[lsn, int(self.ttl * 1000)])
            return
        until = time.monotonic() + self.ttl
        with self._lock:
            for key in keys:
                current = self._local.get(key)
                if current is None or current[1] < time.monotonic() or current[0] < lsn:
                    self._local[key] = (lsn, until)
                else:
                    self._local[key] = (current[0], until)
            if len(self._local) > 100_000:  # forget what expired
                now = time.monotonic()
                self._local = {k: v for k, v in self._local.items() if v[1] > now}

    def close(self) -> None:
        if self._redis is not None:
            with contextlib.suppress(Exception):
                self._redis.close()
