"""Redis with an in-process fallback: the one rule the cache and the rate-limit counters share.

When a call to Redis fails, the part that made it (``RedisFallback("cache")``) steps aside: its callers use
their in-process stand-in, and Redis is tried again after ``retry_after`` seconds. The switch is logged
once per outage, so a flapping Redis does not flood the log.
"""

from __future__ import annotations

import logging
import threading
import time

from .metrics import app_metrics


class RedisFallback:
    def __init__(self, what: str, log: logging.Logger, retry_after: float = 5.0) -> None:
        self.what = what
        self.log = log
        self.retry_after = retry_after
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        """Whether the in-process stand-in serves now."""
        return time.monotonic() < self._down_until

    def failed(self, exc: Exception) -> None:
        """A call to Redis failed: fall back for ``retry_after`` seconds."""
        with self._lock:
            if not self.down:
                self.log.warning(
                    "redis unreachable: %s falling back to in-process", self.what, extra={"error": type(exc).__name__}
                )
                app_metrics().redis_fallbacks.labels(part=self.what).inc()
            self._down_until = time.monotonic() + self.retry_after
            app_metrics().redis_fallback_until.labels(part=self.what).set(time.time() + self.retry_after)
