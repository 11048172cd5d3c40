"""A real ``hearth serve`` in a subprocess of its own (its own process group), talked to over HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .ports import free_port
from .processes import scratch_dir, stop_group, wait_until

SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"  # noqa: S105 - test apps' signing key


def hearth_command(repo_root: Path | None = None) -> list[str]:
    """How to run the ``hearth`` CLI: the virtualenv's script; with ``repo_root``, ``uv run`` in that
    project as a developer types it (``HEARTH_TEST_SERVE_CMD=venv``, or no uv, falls back to the script)."""
    uv = os.environ.get("UV") or shutil.which("uv")  # `uv run pytest` names itself in UV
    if repo_root is not None and uv and os.environ.get("HEARTH_TEST_SERVE_CMD") != "venv":
        return [uv, "run", "--no-sync", "--project", str(repo_root), "hearth"]
    return [str(Path(sys.executable).with_name("hearth"))]


@dataclass
class Serve:
    """A running ``hearth serve`` in its own process group, with its working directory and log."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    dir: Path
    ready_after_s: float = 0.0  # from the start of the process to its first ready answer

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        """``HEARTH_DATA_DIR`` of the server (its embedded PostgreSQL and local media live here)."""
        return self.dir / "data"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def log_records(self) -> list[dict[str, Any]]:
        """The JSON log lines the server wrote, parsed."""
        out = []
        for line in self.output().splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict):
                    out.append(record)
        return out

    def client(self, **kwargs: Any) -> httpx.Client:
        kwargs.setdefault("timeout", 30)
        return httpx.Client(base_url=self.base, **kwargs)

    def stop(self) -> int:
        """Ctrl-C (SIGINT to the whole process group, as a terminal sends it); its exit code."""
        return stop_group(self.process, signal.SIGINT, timeout=30)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def serve(
    database_url: str,
    *,
    workers: int = 1,
    args: Sequence[str] = (),
    ready_within: float = 60.0,
    require_ready: bool = True,
    command: Sequence[str] | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    **env_overrides: str,
) -> Serve:
    """Start ``hearth serve`` on a free loopback port and wait until it serves (``/health/ready``, or
    ``/health/live`` without ``require_ready``).

    ``database_url=""`` means the embedded PostgreSQL under the server's data directory. No ``HEARTH_*``
    of the caller's environment reaches the server: it gets JSON logs, a test secret, no Redis, its own
    Redis key prefix and rate limits too high to meet; ``env`` and ``HEARTH_...=`` keywords override.
    ``command`` is how to run ``hearth`` (default: the virtualenv's script; see ``hearth_command``).
    """
    work = scratch_dir("hearth-serve-")
    port = free_port()
    server_env = {k: v for k, v in os.environ.items() if not k.startswith(("HEARTH_", "PROMETHEUS_"))}
    server_env.update(
        HEARTH_DATABASE_URL=database_url,  # empty means unset (and it beats a developer's .env)
        HEARTH_REDIS_URL="",
        HEARTH_DATA_DIR=str(work / "data"),
        HEARTH_SECRET_KEY=SECRET_KEY,
        HEARTH_LOG_FORMAT="json",
        HEARTH_LOG_LEVEL="INFO",
        HEARTH_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        HEARTH_REDIS_KEY_PREFIX=f"hearth-serve-{uuid.uuid4().hex[:8]}:",
        # users are registered freely; a test that checks a family sets that family's limit itself
        HEARTH_RATE_LIMIT_REGISTER="100000/minute",
        HEARTH_RATE_LIMIT_LOGIN="100000/minute",
        HEARTH_RATE_LIMIT_WRITE="100000/minute",
        HEARTH_RATE_LIMIT_DEFAULT="100000/minute",
    )
    server_env.update({**(env or {}), **env_overrides})
    log = work / "server.log"
    argv = [*(command or hearth_command()), "serve", "--port", str(port), "--workers", str(workers), *args]
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - the hearth CLI of this checkout
            argv, cwd=cwd or work, env=server_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Serve(process, port, log, work)
    probe = f"{server.base}/health/ready" if require_ready else f"{server.base}/health/live"

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"hearth serve exited with {process.returncode}")
        return httpx.get(probe, timeout=5).status_code == 200

    try:
        wait_until(up, ready_within, "hearth serve ready")
    except AssertionError as exc:
        output = server.output()[-4000:]
        server.close()
        raise AssertionError(f"{exc}; its output:\n{output}") from None
    except BaseException:
        server.close()
        raise
    server.ready_after_s = time.monotonic() - started
    return server
