"""Server processes the benchmark starts: ``hearth serve`` and the HTTP-only app, each in its own session
(so it can be stopped by its own id), with their worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
from pathlib import Path
from typing import IO

import psutil

from .common import ROOT, http


class Server:
    def __init__(self, name: str, cmd: list[str], env: dict[str, str], port: int, logfile: Path, workers: int):
        self.name, self.cmd, self.env, self.port, self.logfile, self.nworkers = name, cmd, env, port, logfile, workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{port}"
        self._log: IO[bytes] | None = None

    def start(self, ready_path: str, timeout: float = 120) -> None:
        self._log = self.logfile.open("wb")
        self.proc = subprocess.Popen(
            self.cmd, env=self.env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.logfile}")
            try:
                status, _ = http("GET", self.base + ready_path, timeout=5)
                if status == 200 and len(self.workers()) >= self.nworkers:
                    time.sleep(1.0)
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"{self.name} did not become ready in {timeout:.0f}s; see {self.logfile}")

    def workers(self) -> list[psutil.Process]:
        if self.proc is None:
            return []
        try:
            root = psutil.Process(self.proc.pid)
            if self.nworkers <= 1:
                return [root]
            return [c for c in root.children(recursive=True) if "spawn_main" in " ".join(c.cmdline())]
        except psutil.Error:
            return []

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the group we started (start_new_session)
                self.proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None
