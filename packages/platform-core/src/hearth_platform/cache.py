"""A small cache abstraction: in-process TTL caches, or Redis shared by every worker.

Values are JSON-serialisable. With Redis configured and unreachable, the cache falls back to the
in-process store (and logs it) rather than failing the request; it tries Redis again a few seconds
later. Invalidation (``delete``) always reaches the in-process store too, so a fallback period can
never serve an entry that was invalidated.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any, Protocol

from cachetools import TTLCache

from .fallback import RedisFallback
from .metrics import app_metrics


class Cache(Protocol):
    def get(self, name: str, key: str) -> Any | None: ...

    def get_many(self, name: str, keys: Iterable[str], *, near_ttl: int = 0) -> dict[str, Any]:
        """The entries found among ``keys``. ``near_ttl``: an entry read from Redis is also kept in this
        process for that many seconds and read from there first (no round trip), for values that stay
        right that long whatever happens elsewhere (e.g. a signed URL, handed out only for rows just read):
        another process's ``delete`` does not reach it."""
        ...

    def set(self, name: str, key: str, value: Any, ttl: int) -> None: ...

    def delete(self, name: str, *keys: str) -> None: ...

    def ping(self) -> float: ...


def _record(name: str, hits: int, misses: int) -> None:
    m = app_metrics().cache_requests
    if hits:
        m.labels(cache=name, result="hit").inc(hits)
    if misses:
        m.labels(cache=name, result="miss").inc(misses)


class MemoryCache:
    """Per-process TTL caches, one per cache name."""

    def __init__(self, maxsize: int = 50_000) -> None:
        self._maxsize = maxsize
        self._caches: dict[tuple[str, int], TTLCache[str, Any]] = {}
        self._lock = threading.RLock()

    def _cache(self, name: str, ttl: int) -> TTLCache[str, Any]:
        with self._lock:
            c = self._caches.get((name, ttl))
            if c is None:
                c = self._caches[(name, ttl)] = TTLCache(maxsize=self._maxsize, ttl=ttl)
            return c

    def _caches_named(self, name: str) -> list[TTLCache[str, Any]]:
        return [c for (n, _), c in self._caches.items() if n == name]

    def get(self, name: str, key: str) -> Any | None:
        return self.get_many(name, [key]).get(key)

    def get_many(self, name: str, keys: Iterable[str], *, near_ttl: int = 0) -> dict[str, Any]:
        keys = list(keys)
        found = self.peek(name, keys)
        _record(name, len(found), len(keys) - len(found))
        return found

    def peek(self, name: str, keys: list[str]) -> dict[str, Any]:
        """The entries found, without counting hits and misses."""
        found: dict[str, Any] = {}
        with self._lock:
            for c in self._caches_named(name):
                for k in keys:
                    if k not in found and k in c:
                        found[k] = c[k]
        return found

    def set(self, name: str, key: str, value: Any, ttl: int) -> None:
        with self._lock:
            # one live entry per key: an older value stored under another ttl must not be read back
            for (n, t), c in self._caches.items():
                if n == name and t != ttl:
                    c.pop(key, None)
            self._cache(name, ttl)[key] = value

    def delete(self, name: str, *keys: str) -> None:
        with self._lock:
            for c in self._caches_named(name):
                for k in keys:
                    c.pop(k, None)

    def clear(self) -> None:
        with self._lock:
            self._caches.clear()

    def ping(self) -> float:
        return 0.0


class NullCache:
    """Caches nothing. Used when several worker processes run without Redis: an entry invalidated in one
    worker's memory could otherwise live on, stale, in another's."""

    def get(self, name: str, key: str) -> Any | None:
        _record(name, 0, 1)
        return None

    def get_many(self, name: str, keys: Iterable[str], *, near_ttl: int = 0) -> dict[str, Any]:
        _record(name, 0, len(list(keys)))
        return {}

    def set(self, name: str, key: str, value: Any, ttl: int) -> None:
        return None

    def delete(self, name: str, *keys: str) -> None:
        return None

    def ping(self) -> float:
        return 0.0


class RedisCache:
    """Redis-backed cache shared by all workers, falling back to :class:`MemoryCache` when down."""

    FALLBACK_MAX_TTL_S = 5  # other workers cannot see our invalidations while Redis is away

    def __init__(self, url: str, *, prefix: str = "hearth:", fallback: MemoryCache | None = None) -> None:
        import redis  # only needed when Redis is configured

        self._redis = redis.Redis.from_url(
            url, socket_connect_timeout=0.5, socket_timeout=0.5, health_check_interval=30
        )
        self._prefix = prefix
        self.fallback = fallback or MemoryCache()
        self._near = MemoryCache()  # get_many(..., near_ttl=): entries kept in this process too
        self._fallback = RedisFallback("cache", logging.getLogger("hearth.cache"))

    def _k(self, name: str, key: str) -> str:
        return f"{self._prefix}{name}:{key}"

    @property
    def degraded(self) -> bool:
        return self._fallback.down

    def _down(self, exc: Exception) -> None:
        self._fallback.failed(exc)

    def get(self, name: str, key: str) -> Any | None:
        return self.get_many(name, [key]).get(key)

    def get_many(self, name: str, keys: Iterable[str], *, near_ttl: int = 0) -> dict[str, Any]:
        keys = list(keys)
        if not keys:
            return {}
        if self.degraded:
            return self.fallback.get_many(name, keys)
        near: dict[str, Any] = {}
        if near_ttl:
            near = self._near.peek(name, keys)
            if len(near) == len(keys):
                _record(name, len(near), 0)
                return near
            keys = [k for k in keys if k not in near]
        try:
            raw: list[Any] = self._redis.mget([self._k(name, k) for k in keys])  # type: ignore[assignment]
        except Exception as exc:  # noqa: BLE001 - any Redis failure means: use the fallback
            self._down(exc)
            return near | self.fallback.get_many(name, keys)
        found = {k: json.loads(v) for k, v in zip(keys, raw, strict=True) if v is not None}
        if near_ttl:
            for k, v in found.items():
                self._near.set(name, k, v, near_ttl)
            found |= near
        _record(name, len(found), len(keys) + len(near) - len(found))
        return found

    def set(self, name: str, key: str, value: Any, ttl: int) -> None:
        self._near.delete(name, key)  # read again from Redis next time
        if self.degraded:
            self.fallback.set(name, key, value, min(ttl, self.FALLBACK_MAX_TTL_S))
            return
        try:
            self._redis.set(self._k(name, key), json.dumps(value, separators=(",", ":")), ex=ttl)
        except Exception as exc:  # noqa: BLE001
            self._down(exc)
            self.fallback.set(name, key, value, min(ttl, self.FALLBACK_MAX_TTL_S))

    def delete(self, name: str, *keys: str) -> None:
        self.fallback.delete(name, *keys)
        self._near.delete(name, *keys)
        if not keys:
            return
        try:
            self._redis.delete(*[self._k(name, k) for k in keys])
        except Exception as exc:  # noqa: BLE001
            self._down(exc)

    def ping(self) -> float:
        started = time.perf_counter()
        self._redis.ping()
        return (time.perf_counter() - started) * 1000

    def close(self) -> None:
        self._redis.close()
