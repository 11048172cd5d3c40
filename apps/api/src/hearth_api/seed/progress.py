"""One progress line per seed phase (rewritten in place on a terminal while it runs)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Tick = Callable[[int], None]


class Progress:
    def __init__(self, out: Any = None) -> None:
        self.out = out or sys.stdout
        self.tty = bool(getattr(self.out, "isatty", lambda: False)())
        self.phases: dict[str, float] = {}
        self.started = time.perf_counter()

    @contextmanager
    def phase(self, name: str, total: int | None = None) -> Iterator[Tick]:
        t0 = time.perf_counter()
        last = [0.0]
        done_rows = [0]

        def tick(n: int) -> None:
            done_rows[0] = n
            now = time.perf_counter()
            if self.tty and now - last[0] > 0.25:
                last[0] = now
                pct = f" {100 * n / total:5.1f}%" if total else ""
                self.out.write(f"\r  {name:<24} {n:>12,}{pct}  {now - t0:6.1f}s")
                self.out.flush()

        yield tick
        secs = time.perf_counter() - t0
        self.phases[name] = round(secs, 2)
        rows = f"{done_rows[0]:>12,} rows" if done_rows[0] else " " * 17
        rate = f"  ({done_rows[0] / secs:,.0f}/s)" if done_rows[0] and secs > 0 else ""
        lead = "\r" if self.tty else ""
        self.out.write(f"{lead}  {name:<24} {rows} {secs:7.1f}s{rate}\n")
        self.out.flush()

    def note(self, name: str, text: str) -> None:
        """A line for a phase that did not run (and why)."""
        self.out.write(f"  {name:<24} {text}\n")
        self.out.flush()
