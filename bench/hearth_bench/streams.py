"""Open live streams (``GET /api/v1/stream``) while the write scenarios run: how long an event takes from
its write to the stream (the event's row in ``stream_events``, whose ``created_at`` is the clock when the
writing transaction stored it, its last statements before the commit, to the moment the event is read
here, on the same machine's clock), and what holding them open costs the feed (the ``feed_streams``
scenario, measured with them open).

Each stream is one keep-alive HTTP connection of a seeded user (the users rotate, at most
``HEARTH_STREAM_MAX_PER_USER`` per user); all run on one asyncio loop in a thread of this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from typing import Any

import httpx
import psycopg

from .common import API, log


class StreamLoad:
    def __init__(self, base: str, tokens: list[str], count: int) -> None:
        self.base = base
        self.tokens = tokens
        self.count = count
        self.received: list[tuple[str, int, float]] = []  # (event, event id, unix time read)
        self.connected = 0
        self.failed: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    def start(self, within: float = 60.0) -> None:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="bench-streams", daemon=True)
        self._thread.start()
        self._ready.wait(within)
        log(f"{self.connected} of {self.count} live streams open ({self.failed or 'no failures'})")

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        limits = httpx.Limits(max_connections=self.count + 10, max_keepalive_connections=self.count + 10)
        timeout = httpx.Timeout(30.0, read=None)
        async with httpx.AsyncClient(base_url=self.base, limits=limits, timeout=timeout) as http:
            opened = [asyncio.Event() for _ in range(self.count)]
            tasks = [
                asyncio.create_task(self._one(http, self.tokens[i % len(self.tokens)], opened[i]))
                for i in range(self.count)
            ]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*(e.wait() for e in opened)), 60)
            self._ready.set()
            await self._stop.wait()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _one(self, http: httpx.AsyncClient, token: str, opened: asyncio.Event) -> None:
        try:
            async with http.stream("GET", f"{API}/stream", headers={"Authorization": f"Bearer {token}"}) as r:
                if r.status_code != 200:
                    key = str(r.status_code)
                    self.failed[key] = self.failed.get(key, 0) + 1
                    return
                event, event_id = "", 0
                async for line in r.aiter_lines():
                    if line.startswith(": connected"):
                        self.connected += 1
                        opened.set()
                    elif line.startswith("id: "):
                        event_id = int(line[4:])
                    elif line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event:
                        self.received.append((event, event_id, time.time()))
                        event, event_id = "", 0
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - counted in the report
            key = type(error).__name__
            self.failed[key] = self.failed.get(key, 0) + 1
        finally:
            opened.set()

    def stop(self, dsn: str) -> dict[str, Any]:
        """Close the streams; the delivery figures (post events: write -> read)."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(30)
        written: dict[int, float] = {}
        if self.received:
            with psycopg.connect(dsn, autocommit=True) as conn:
                written = dict(
                    conn.execute(
                        "SELECT id, extract(epoch FROM created_at)::float8 FROM stream_events WHERE id = ANY(%s)",
                        (list({eid for _, eid, _ in self.received}),),
                    ).fetchall()
                )

        def delays(kind: str | None) -> list[float]:
            return sorted(
                (at - written[eid]) * 1000
                for k, eid, at in self.received
                if eid in written and (kind is None or k == kind)
            )

        def pct(values: list[float], p: float) -> float | None:
            return round(values[min(len(values) - 1, int(p * len(values)))], 1) if values else None

        every, posts = delays(None), delays("post")
        result = {
            "streams": self.count,
            "connected": self.connected,
            "failed": self.failed,
            "events": len(self.received),
            "post_events": sum(1 for k, _, _ in self.received if k == "post"),
            "notification_events": sum(1 for k, _, _ in self.received if k != "post"),
            "delivery_p50_ms": pct(every, 0.50),
            "delivery_p99_ms": pct(every, 0.99),
            "delivery_max_ms": round(every[-1], 1) if every else None,
            "post_delivery_p50_ms": pct(posts, 0.50),
            "post_delivery_p99_ms": pct(posts, 0.99),
        }
        log(
            f"live streams: {result['events']} events ({result['post_events']} posts), delivery p50 "
            f"{result['delivery_p50_ms']} ms, p99 {result['delivery_p99_ms']} ms"
        )
        return result
