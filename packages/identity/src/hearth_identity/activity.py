"""When each bearer token was last used, for the sessions list, without a write on the request path.

A request notes its token in memory (nothing else: reads run on a read-only pool, and a write per request
would be a write per read). A token's first note in a minute wakes a background thread that waits a moment
for more, then writes them all in one ``UPDATE`` on a connection of its own (outside any request's count).
So ``last_used_at`` lags by about a second and moves at most once a minute per token and process.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine

log = logging.getLogger("hearth.identity.activity")

_WRITE = text(
    "UPDATE auth_tokens SET last_used_at = GREATEST(coalesce(last_used_at, to_timestamp(0)), v.at) "
    "FROM unnest(CAST(:ids AS bigint[]), CAST(:ats AS timestamptz[])) AS v(id, at) WHERE auth_tokens.id = v.id"
)


class TokenActivity:
    """One per process (registered as an instance); thread-safe."""

    EVERY_S = 60.0
    GATHER_S = 1.0

    def __init__(self, url: URL) -> None:
        self._url = url
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._noted: dict[int, float] = {}  # token id -> when it was last queued for writing (monotonic)
        self._pending: dict[int, datetime] = {}
        self._writing = False

    def note(self, token_id: int) -> None:
        now = time.monotonic()
        with self._lock:
            last = self._noted.get(token_id)
            if last is not None and now - last < self.EVERY_S:
                return
            self._noted[token_id] = now
            self._pending[token_id] = datetime.now(UTC)
            if self._writing:
                return
            self._writing = True
        threading.Thread(target=self._write_soon, name="hearth-token-activity", daemon=True).start()

    def _write_soon(self) -> None:
        time.sleep(self.GATHER_S)
        try:
            self.flush()
        finally:
            with self._lock:
                self._writing = False

    def flush(self) -> None:
        """Write what was noted (and forget notes older than a minute)."""
        with self._lock:
            pending, self._pending = self._pending, {}
            cutoff = time.monotonic() - self.EVERY_S
            self._noted = {k: v for k, v in self._noted.items() if v >= cutoff}
        if not pending:
            return
        try:
            if self._engine is None:
                # one connection kept for these writes (not the app's pools: nothing a request waits for)
                self._engine = create_engine(self._url, pool_size=1, max_overflow=0, pool_pre_ping=True)
            with self._engine.begin() as conn:
                conn.execute(_WRITE, {"ids": list(pending), "ats": list(pending.values())})
        except Exception as exc:  # noqa: BLE001 - a lost "last used" is not worth failing anything for
            log.warning("could not record when tokens were last used: %s", type(exc).__name__)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
