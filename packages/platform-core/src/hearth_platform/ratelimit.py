"""Rate limits per family (login, register, write, default, login_failures), in memory or shared through Redis.

Built on ``limits`` (the engine slowapi uses) and applied through FastAPI dependencies, so the limiter
is created by the app factory rather than at import time, and per-user limits key on the
authenticated user. With Redis configured the counters are shared by every worker and instance; when
Redis is unreachable the limiter falls back to in-process counters and logs it, and goes back to Redis
once it answers again.

Every request a family counts learns its quota (limit, what is left, seconds to the window's end) in the
same round trip as the count (one Lua call on Redis); the tightest quota a request met goes into its ASGI
scope, and the platform middleware writes it as ``RateLimit-Limit/-Remaining/-Reset`` on the response,
a 429 included (API.md, Conventions).

Most families count every request (``check``). ``login_failures`` counts only failed logins, per account:
the login service asks ``ensure_allowed`` before checking a password and ``count``s a failure after, so a
budget is spent only by wrong passwords and nothing (a success included) ever refills another's.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NoReturn

from fastapi import Depends, Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from .errors import RateLimited
from .fallback import RedisFallback
from .metrics import app_metrics
from .routing import before_handler
from .security import CurrentUser, Principal

log = logging.getLogger("hearth.ratelimit")

LOGIN_FAILURES = "login_failures"
"""The family of failed logins, per account (identity's login service counts them)."""

FAMILIES = ("login", "register", "write", "default", LOGIN_FAILURES, "password_reset")

QUOTA_KEY = "hearth_rate_quota"
"""Where the tightest quota a request met is kept, in its scope's ``state``."""

# one round trip: count the hit, start the window on the first, and say how long the window still runs; and
# the values of any further keys a caller wants read in the same trip (the read replicas' write marks)
_HIT_SCRIPT = """
local n = redis.call('INCRBY', KEYS[1], 1)
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local out = {n, redis.call('PTTL', KEYS[1])}
for i = 2, #KEYS do out[i + 1] = redis.call('GET', KEYS[i]) end
return out
"""


@dataclass(frozen=True, slots=True)
class Quota:
    """A family's budget for one key after a hit: its limit, what is left, and seconds until it is whole."""

    limit: int
    remaining: int
    reset: int

    @property
    def exceeded(self) -> bool:
        return self.remaining < 0

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(max(0, self.remaining)).encode()),
            (b"ratelimit-reset", str(self.reset).encode()),
        ]


def note_quota(scope: MutableMapping[str, Any], quota: Quota) -> None:
    """Keep ``quota`` for the response when it is the tightest the request met."""
    state = scope.setdefault("state", {})
    kept = state.get(QUOTA_KEY)
    if kept is None or quota.remaining < kept.remaining:
        state[QUOTA_KEY] = quota


class RateLimiter:
    RETRY_SHARED_AFTER_S = 5.0

    def __init__(
        self,
        limits: dict[str, str],
        *,
        enabled: bool = True,
        redis_url: str | None = None,
        key_prefix: str = "hearth:",
    ) -> None:
        self.enabled = enabled
        self.items: dict[str, RateLimitItem] = {name: parse(value) for name, value in limits.items()}
        self._memory = FixedWindowRateLimiter(MemoryStorage())
        self._shared: FixedWindowRateLimiter | None = None
        self._shared_storage: Storage | None = None
        self._hit_script: Any = None
        if redis_url:
            # counters live under this deployment's prefix (``<prefix>ratelimit:...``), like its cache keys:
            # two deployments on one Redis must neither share counters nor clear each other's on reset()
            shared = storage_from_string(
                redis_url, key_prefix=f"{key_prefix}ratelimit", socket_connect_timeout=0.5, socket_timeout=0.5
            )
            if not isinstance(shared, Storage):  # an async storage (``async+redis://``) cannot serve sync checks
                raise ValueError("the rate-limit storage must be synchronous (redis://, rediss://, ...)")
            self._shared_storage = shared
            self._shared = FixedWindowRateLimiter(shared)
            self._hit_script = shared.get_connection().register_script(_HIT_SCRIPT)  # type: ignore[attr-defined]
        self._fallback = RedisFallback("rate limits", log, retry_after=self.RETRY_SHARED_AFTER_S)

    @property
    def shared(self) -> bool:
        return self._shared is not None

    def _strategy(self) -> FixedWindowRateLimiter:
        if self._shared is not None and not self._fallback.down:
            return self._shared
        return self._memory

    def check(
        self,
        family: str,
        key: str,
        *,
        scope: MutableMapping[str, Any] | None = None,
        peek: Sequence[str] = (),
    ) -> list[Any] | None:
        """Count one hit for ``key`` in ``family``; raise :class:`RateLimited` when over the limit. The
        quota is noted in ``scope`` for the response's ``RateLimit-*`` headers. ``peek``: Redis keys (full
        names) read in the same round trip; their values (``None`` when missing), or ``None`` when they were
        not read (no shared counters, limits off, Redis away)."""
        if not self.enabled:
            return None
        quota, peeked = self._hit(family, key, peek)
        if scope is not None:
            note_quota(scope, quota)
        if quota.exceeded:
            app_metrics().rate_limited.labels(family=family).inc()
            raise RateLimited(max(1, quota.reset))
        return peeked

    def _hit(self, family: str, key: str, peek: Sequence[str] = ()) -> tuple[Quota, list[Any] | None]:
        """Count one hit: on Redis in one round trip, or in process while Redis is away."""
        item = self.items[family]
        storage_key = item.key_for(family, key)
        expiry = item.get_expiry()
        shared = self._shared_storage
        if shared is not None and not self._fallback.down:
            try:
                reply = self._hit_script([shared.prefixed_key(storage_key), *peek], [expiry])  # type: ignore[attr-defined]
                count, ttl_ms = reply[0], reply[1]
                peeked = [reply[i + 2] if i + 2 < len(reply) else None for i in range(len(peek))]
                quota = Quota(item.amount, item.amount - int(count), math.ceil(max(int(ttl_ms), 0) / 1000))
                return quota, peeked
            except Exception as exc:  # noqa: BLE001 - Redis is away: count in process until it is back
                self._fallback.failed(exc)
        memory = self._memory.storage
        count = memory.incr(storage_key, expiry)
        reset = math.ceil(max(memory.get_expiry(storage_key) - time.time(), 0))
        return Quota(item.amount, item.amount - count, reset), None

    def ensure_allowed(self, family: str, key: str) -> None:
        """Raise :class:`RateLimited` when ``key`` has spent its budget in ``family``; count nothing."""
        if self.enabled and not self._run(family, key, "test"):
            self._refuse(family, key)

    def count(self, family: str, key: str) -> None:
        """Count one hit for ``key`` in ``family``, never refusing (the refusal is ``ensure_allowed``'s)."""
        if self.enabled:
            self._hit(family, key)  # nothing peeked

    def _run(self, family: str, key: str, operation: Literal["hit", "test"]) -> bool:
        """``hit`` or ``test`` on Redis, or in process while Redis is away; whether the request is allowed."""
        item = self.items[family]
        strategy = self._strategy()
        try:
            return bool(getattr(strategy, operation)(item, family, key))
        except Exception as exc:
            if strategy is self._memory:
                raise
            self._fallback.failed(exc)
            return bool(getattr(self._memory, operation)(item, family, key))

    def _refuse(self, family: str, key: str) -> NoReturn:
        item = self.items[family]
        app_metrics().rate_limited.labels(family=family).inc()
        try:
            reset_at = self._strategy().get_window_stats(item, family, key).reset_time
        except Exception:  # noqa: BLE001
            reset_at = time.time() + item.get_expiry()
        raise RateLimited(math.ceil(max(1.0, reset_at - time.time())))

    def reset(self) -> None:
        self._memory.storage.reset()
        if self._shared_storage is not None:
            try:
                self._shared_storage.reset()
            except Exception:  # noqa: BLE001
                log.warning("could not reset shared rate-limit storage")


def client_address(request: Request) -> str:
    client = request.client
    return client.host if client else "unknown"


def _limiter(request: Request) -> RateLimiter | None:
    return getattr(request.app.state, "rate_limiter", None)


def limit_per_address(family: str) -> Any:
    """Dependency: count this request against ``family`` for the client's address."""

    async def _check(request: Request) -> None:  # the check itself (Redis) runs in the handler's thread
        limiter = _limiter(request)
        if limiter is not None:
            key = f"addr:{client_address(request)}"

            def count() -> None:
                limiter.check(family, key, scope=request.scope)

            before_handler(request.scope, count)

    _check.__name__ = f"rate_limit_{family}_per_address"
    return Depends(_check)


async def _write_limit(request: Request, user: CurrentUser) -> Principal:
    limiter = _limiter(request)
    if limiter is not None:  # after the token check (queued first, by CurrentUser), in the handler's thread

        def count() -> None:  # the caller is read here, once their token is checked
            limiter.check("write", f"user:{user.user_id}", scope=request.scope)

        before_handler(request.scope, count)
    return user


WriteLimit = Depends(_write_limit)
"""Route dependency for writes (posts, comments, requests, media): the "write" family, per user."""
