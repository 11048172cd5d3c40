"""Streaming rows into PostgreSQL with ``COPY ... (FREEZE)``, one progress line and one count per table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .options import SeedReport
from .progress import Progress, Tick
from .schema import Conn


class Copier:
    """Buffers COPY text lines and sends them in large chunks."""

    def __init__(self, copy: Any, tick: Tick, chunk: int = 20_000) -> None:
        self.copy = copy
        self.tick = tick
        self.chunk = chunk
        self.buf: list[str] = []
        self.rows = 0

    def add(self, line: str) -> None:
        self.buf.append(line)
        if len(self.buf) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            self.copy.write("".join(self.buf))
            self.rows += len(self.buf)
            self.buf.clear()
            self.tick(self.rows)


class Loader:
    def __init__(self, conn: Conn, progress: Progress, report: SeedReport) -> None:
        self.conn = conn
        self.progress = progress
        self.report = report

    def copy(self, table: str, columns: str, rows: Iterable[str], total: int | None = None) -> int:
        """COPY the lines into the table (emptied in this transaction, so ``FREEZE`` applies)."""
        with self.progress.phase(table, total) as tick, self.conn.cursor() as cur:
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FREEZE)") as cp:
                c = Copier(cp, tick)
                for line in rows:
                    c.add(line)
                c.flush()
            self.report.counts[table] = c.rows
            return c.rows
