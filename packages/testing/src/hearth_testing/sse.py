"""A live stream's client for tests: ``GET /api/v1/stream`` read in a thread, its events parsed as a browser's
``EventSource`` would (``id``, ``event``, ``data``; comment lines counted)."""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from .api import API


@dataclass
class SseEvent:
    id: int | None
    event: str
    data: Any


@dataclass
class EventStream:
    """One open stream. ``status``: the answer's status (or ``None`` until it came); ``ended``: set when the
    server closed it (or it failed)."""

    base: str
    token: str
    last_event_id: int | None = None
    events: queue.Queue[SseEvent] = field(default_factory=queue.Queue)
    comments: int = 0
    status: int | None = None
    body: str = ""
    connected: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)
    _closing: bool = False
    _response: httpx.Response | None = None

    def start(self, within: float = 15.0) -> EventStream:
        threading.Thread(target=self._run, daemon=True).start()
        if not self.connected.wait(within):
            raise AssertionError("the stream did not answer")
        return self

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = str(self.last_event_id)
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(10.0, read=120.0)) as http,
                http.stream("GET", f"{self.base}{API}/stream", headers=headers) as response,
            ):
                self.status = response.status_code
                self._response = response
                if response.status_code != 200:
                    self.body = response.read().decode()
                    self.connected.set()
                    return
                current: dict[str, str] = {}
                for line in response.iter_lines():
                    if line.startswith(":"):
                        self.comments += 1
                        if "connected" in line:
                            self.connected.set()
                    elif line == "":
                        if "event" in current:
                            raw_id = current.get("id")
                            self.events.put(
                                SseEvent(int(raw_id) if raw_id else None, current["event"], json.loads(current["data"]))
                            )
                        current = {}
                    else:
                        name, _, value = line.partition(":")
                        current[name] = value.removeprefix(" ")
        except Exception:  # noqa: BLE001 - closed by the test, or by the server: either way it ended
            if not self._closing:
                pass
        finally:
            self.connected.set()
            self.ended.set()

    def next(self, within: float = 10.0) -> SseEvent:
        try:
            return self.events.get(timeout=within)
        except queue.Empty:
            raise AssertionError(f"no event within {within} s") from None

    def none_within(self, seconds: float) -> None:
        """Nothing arrives for ``seconds``."""
        try:
            got = self.events.get(timeout=seconds)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected event {got}")

    def close(self) -> None:
        self._closing = True
        if self._response is not None:
            self._response.close()
        self.ended.wait(5)

    def wait_ended(self, within: float) -> float:
        """Seconds until the server ended the stream (fails after ``within``)."""
        started = time.monotonic()
        if not self.ended.wait(within):
            raise AssertionError(f"the stream was still open after {within} s")
        return time.monotonic() - started


def open_stream(base: str, token: str, last_event_id: int | None = None) -> EventStream:
    return EventStream(base, token, last_event_id).start()
