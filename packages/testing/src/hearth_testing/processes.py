"""Processes a test owns: scratch directories, polling, stopping a process group, closing handles."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def scratch_dir(prefix: str) -> Path:
    """A directory outside pytest's tree: as root, the embedded PostgreSQL runs as its own user and must
    traverse the path, and any pytest run on the machine resets /tmp/pytest-of-root to 0700."""
    return Path(tempfile.mkdtemp(prefix=prefix))


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.2) -> float:
    """Poll ``predicate`` until true; returns the seconds it took. Fails the test after ``timeout``.

    An exception from ``predicate`` means "not yet" (a server still starting refuses connections); an
    ``AssertionError`` or ``RuntimeError`` it raises is a verdict (a server that exited) and ends the wait.
    """
    started = time.monotonic()
    while True:
        try:
            if predicate():
                return time.monotonic() - started
        except (AssertionError, RuntimeError):
            raise
        except Exception:  # noqa: BLE001, S110 - not yet: keep polling
            pass
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(interval)


def stop_group(process: subprocess.Popen[bytes], first: signal.Signals = signal.SIGTERM, timeout: float = 15) -> int:
    """Send ``first`` to the process group of ``process`` (started with ``start_new_session=True``), then
    SIGKILL if it lingers past ``timeout``; returns its exit code. Re-raises the timeout after the kill."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, first)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        raise


def start_or_close(server: Any) -> None:
    """``server.start()``; when that fails, ``server.close()`` (its process and directory go), then the error."""
    try:
        server.start()
    except BaseException:
        server.close()
        raise


@contextlib.contextmanager
def closing_all(*things: Any) -> Iterator[None]:
    """Close every handle on the way out, in reverse order, even when one of the closes fails."""
    try:
        yield
    finally:
        for thing in reversed(things):
            with contextlib.suppress(Exception):
                thing.close()
