"""Structured logging: one JSON object per line (or readable console lines), request id on each."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

current_request_id: ContextVar[str | None] = ContextVar("hearth_request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Adds the current request id (if any) to every record logged during a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return True


class ConsoleFormatter(logging.Formatter):
    _skip = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
        "message",
        "asctime",
        "request_id",
        "color_message",
        "taskName",
    }

    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = " ".join(f"{k}={v}" for k, v in record.__dict__.items() if k not in self._skip)
        rid = getattr(record, "request_id", None)
        return f"{base}{' [' + rid + ']' if rid else ''}{' ' + extras if extras else ''}"


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Configure the root logger once per process (idempotent)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
                timestamp=False,
            )
        )
    else:
        handler.setFormatter(ConsoleFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_hearth", False):
            root.removeHandler(h)
    handler._hearth = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
    # our own access line replaces uvicorn's
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
