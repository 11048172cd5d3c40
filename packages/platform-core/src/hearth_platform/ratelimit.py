"""Rate limits per family (login, register, write, default, login_failures), in memory or shared through Redis.

Built on ``limits`` (the engine slowapi uses) and applied through FastAPI dependencies, so the limiter
is created by the app factory rather than at import time, and per-user limits key on the
authenticated user. With Redis configured the counters are shared by every worker and instance; when
Redis is unreachable the limiter falls back to in-process counters and logs it, and goes back to Redis
once it answers again.

Most families count every request (``check``). ``login_failures`` counts only failed logins, per account:
the login service asks ``ensure_allowed`` before checking a password and ``count``s a failure after, so a
budget is spent only by wrong passwords and nothing (a success included) ever refills another's.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any, Literal, NoReturn

from fastapi import Depends, Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from .errors import RateLimited
from .fallback import RedisFallback
from .metrics import app_metrics
from .security import CurrentUser, Principal

log = logging.getLogger("hearth.ratelimit")

LOGIN_FAILURES = "login_failures"
"""The family of failed logins, per account (identity's login service counts them)."""

FAMILIES = ("login", "register", "write", "default", LOGIN_FAILURES, "password_reset")


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
        self._fallback = RedisFallback("rate limits", log, retry_after=self.RETRY_SHARED_AFTER_S)

    @property
    def shared(self) -> bool:
        return self._shared is not None

    def _strategy(self) -> FixedWindowRateLimiter:
        if self._shared is not None and not self._fallback.down:
            return self._shared
        return self._memory

    def check(self, family: str, key: str) -> None:
        """Count one hit for ``key`` in ``family``; raise :class:`RateLimited` when over the limit."""
        if self.enabled and not self._run(family, key, "hit"):
            self._refuse(family, key)

    def ensure_allowed(self, family: str, key: str) -> None:
        """Raise :class:`RateLimited` when ``key`` has spent its budget in ``family``; count nothing."""
        if self.enabled and not self._run(family, key, "test"):
            self._refuse(family, key)

    def count(self, family: str, key: str) -> None:
        """Count one hit for ``key`` in ``family``, never refusing (the refusal is ``ensure_allowed``'s)."""
        if self.enabled:
            self._run(family, key, "hit")

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

    def _check(request: Request) -> None:
        limiter = _limiter(request)
        if limiter is not None:
            limiter.check(family, f"addr:{client_address(request)}")

    _check.__name__ = f"rate_limit_{family}_per_address"
    return Depends(_check)


def _write_limit(request: Request, user: CurrentUser) -> Principal:
    limiter = _limiter(request)
    if limiter is not None:
        limiter.check("write", f"user:{user.user_id}")
    return user


WriteLimit = Depends(_write_limit)
"""Route dependency for writes (posts, comments, requests, media): the "write" family, per user."""
