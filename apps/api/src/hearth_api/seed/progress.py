"""One line per seed phase; on a terminal, a progress bar while the phase runs (rich, when installed: the
``seed`` extra, in the workspace's dev group)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from typing import Any

Tick = Callable[[int], None]


class Progress:
    def __init__(self, out: Any = None) -> None:
        self.out = out or sys.stdout
        tty = bool(getattr(self.out, "isatty", lambda: False)())
        self.bars = tty and find_spec("rich") is not None
        self.phases: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str, total: int | None = None) -> Iterator[Tick]:
        t0 = time.perf_counter()
        done_rows = [0]
        with self._bar(name, total) as show:

            def tick(n: int) -> None:
                done_rows[0] = n
                show(n)

            yield tick
        secs = time.perf_counter() - t0
        self.phases[name] = round(secs, 2)
        rows = f"{done_rows[0]:>12,} rows" if done_rows[0] else " " * 17
        rate = f"  ({done_rows[0] / secs:,.0f}/s)" if done_rows[0] and secs > 0 else ""
        self.out.write(f"  {name:<24} {rows} {secs:7.1f}s{rate}\n")
        self.out.flush()

    @contextmanager
    def _bar(self, name: str, total: int | None) -> Iterator[Tick]:
        """A bar (rows done of ``total``, or a pulse without one) that is gone when the phase ends."""
        if not self.bars:
            yield lambda _n: None
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, ProgressColumn, TimeElapsedColumn, TimeRemainingColumn
        from rich.progress import Progress as Bars

        columns: list[str | ProgressColumn] = [f"  {name:<24}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
        if total:
            columns.append(TimeRemainingColumn())
        with Bars(*columns, console=Console(file=self.out), transient=True) as bars:
            task = bars.add_task(name, total=total or None)
            yield lambda n: bars.update(task, completed=n)

    def note(self, name: str, text: str) -> None:
        """A line for a phase that did not run (and why)."""
        self.out.write(f"  {name:<24} {text}\n")
        self.out.flush()
