"""Open live streams (``GET /api/v1/stream``) while the write scenarios run: how long an event takes from
its write to the stream (the post's ``created_at``, stamped inside the writing transaction just before its
commit, to the moment the event is read here, on the same machine's clock), and what holding them open
costs the feed (the ``feed_streams`` scenario, measured with them open).

Each stream is one keep-alive HTTP connection of a seeded user (the users rotate, at most
``HEARTH_STREAM_MAX_PER_USER`` per user); all run on one asyncio loop in a thread of this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
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
        self.received: list[tuple[str, int, float]] = []  # (event, subject id, unix time read)
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
                event = ""
                async for line in r.aiter_lines():
                    if line.startswith(": connected"):
                        self.connected += 1
                        opened.set()
                    elif line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event:
                        self.received.append((event, int(json.loads(line[6:])["id"]), time.time()))
                        event = ""
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
        posts = [(sid, at) for kind, sid, at in self.received if kind == "post"]
        latencies: list[float] = []
        if posts:
            with psycopg.connect(dsn, autocommit=True) as conn:
                created = dict(
                    conn.execute(
                        "SELECT id, extract(epoch FROM created_at)::float8 FROM posts WHERE id = ANY(%s)",
                        (list({sid for sid, _ in posts}),),
                    ).fetchall()
                )
            latencies = sorted((at - created[sid]) * 1000 for sid, at in posts if sid in created)

        def pct(p: float) -> float | None:
            return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1) if latencies else None

        result = {
            "streams": self.count,
            "connected": self.connected,
            "failed": self.failed,
            "events": len(self.received),
            "post_events": len(posts),
            "notification_events": len(self.received) - len(posts),
            "delivery_p50_ms": pct(0.50),
            "delivery_p99_ms": pct(0.99),
            "delivery_max_ms": round(latencies[-1], 1) if latencies else None,
        }
        log(
            f"live streams: {result['events']} events ({result['post_events']} posts), delivery p50 "
            f"{result['delivery_p50_ms']} ms, p99 {result['delivery_p99_ms']} ms"
        )
        return result
