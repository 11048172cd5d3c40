"""End to end: ``uv run hearth serve`` on a laptop with nothing configured (embedded PostgreSQL).

Starts the real server as a subprocess in its own process group, talks HTTP to it over a socket, and
stops it with SIGINT as Ctrl-C would. Set ``HEARTH_TEST_SERVE_CMD=venv`` to run the virtualenv's
``hearth`` script instead of ``uv run`` (e.g. where uv is not on PATH; that is also the fallback).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.slow

READY_WITHIN_S = 30.0
TWO_MIB = 2 * 1024 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _command(repo_root: Path, *args: str) -> list[str]:
    uv = os.environ.get("UV") or shutil.which("uv")  # `uv run pytest` names itself in UV
    if uv and os.environ.get("HEARTH_TEST_SERVE_CMD") != "venv":
        return [uv, "run", "--no-sync", "--project", str(repo_root), "hearth", *args]
    return [str(Path(sys.executable).with_name("hearth")), *args]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    data_dir: Path
    log: Path
    ready_after_s: float

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            raise


def _leftover_processes(data_dir: Path) -> list[str]:
    """Processes still using the server's data directory (an embedded PostgreSQL left behind)."""
    found = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(p.info["cmdline"] or [])
        if str(data_dir) in cmdline:
            found.append(f"{p.info['pid']}: {cmdline}")
    return found


def _start(repo_root: Path, tmp: Path, *extra: str) -> Server:
    port = _free_port()
    data_dir = tmp / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEARTH_", "PROMETHEUS_"))}
    env.update(
        HEARTH_DATA_DIR=str(data_dir),
        HEARTH_DATABASE_URL="",  # empty means unset: embedded PostgreSQL (and it beats a developer's .env)
        HEARTH_REDIS_URL="",
        HEARTH_LOG_FORMAT="json",
        HEARTH_LOG_LEVEL="INFO",
    )
    log = tmp / "server.log"
    started = time.monotonic()
    process = subprocess.Popen(
        _command(repo_root, "serve", "--port", str(port), *extra),
        cwd=repo_root,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(process, f"http://127.0.0.1:{port}", data_dir, log, 0.0)
    while time.monotonic() - started < READY_WITHIN_S + 30:
        if process.poll() is not None:
            pytest.fail(f"hearth serve exited with {process.returncode}:\n{server.output()}")
        try:
            if httpx.get(f"{server.base}/health/ready", timeout=2).status_code == 200:
                server.ready_after_s = time.monotonic() - started
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    pytest.fail(f"hearth serve was not ready in time:\n{server.output()}")


def _problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["code"] == code
    assert body["request_id"] == r.headers["x-request-id"]
    return body


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A directory outside pytest's tree: as root, the embedded PostgreSQL runs as its own user and must
    traverse the path; any pytest run on the machine resets /tmp/pytest-of-root to 0700 when it starts."""
    path = Path(tempfile.mkdtemp(prefix="hearth-serve-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def server(repo_root: Path) -> Iterator[Server]:
    tmp = Path(tempfile.mkdtemp(prefix="hearth-serve-test-"))
    s = _start(repo_root, tmp)
    try:
        yield s
    finally:
        if s.process.poll() is None:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def test_ready_within_30_seconds(server: Server) -> None:
    assert server.ready_after_s < READY_WITHIN_S
    assert httpx.get(f"{server.base}/health/live").json() == {"status": "ok"}
    ready = httpx.get(f"{server.base}/health/ready").json()
    assert ready["checks"]["database"]["status"] == "ok"


def test_unknown_path_is_404_problem(server: Server) -> None:
    body = _problem(httpx.get(f"{server.base}/definitely/not/here"), 404, "not_found")
    assert body["instance"] == "/definitely/not/here"


def test_request_id_comes_back(server: Server) -> None:
    assert (
        httpx.get(f"{server.base}/health/live", headers={"X-Request-ID": "e2e-42"}).headers["x-request-id"] == "e2e-42"
    )
    generated = httpx.get(f"{server.base}/health/live").headers["x-request-id"]
    assert generated and generated != "e2e-42"


def test_metrics_parse(server: Server) -> None:
    httpx.get(f"{server.base}/nothing-here")
    r = httpx.get(f"{server.base}/metrics")
    assert r.status_code == 200
    names = {family.name for family in text_string_to_metric_families(r.text)}
    assert {"http_requests", "hearth_db_statements_per_request"} <= names


def test_two_mebibyte_body_with_content_length_is_413(server: Server) -> None:
    r = httpx.post(f"{server.base}/api/v1/auth/login", content=b"x" * TWO_MIB, timeout=30)
    assert r.request.headers["content-length"] == str(TWO_MIB)
    _problem(r, 413, "payload_too_large")


def test_two_mebibyte_body_without_content_length_is_413(server: Server) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(TWO_MIB // 65536):
            yield b"x" * 65536

    r = httpx.post(f"{server.base}/api/v1/auth/login", content=chunks(), timeout=30)
    assert "content-length" not in r.request.headers
    assert r.request.headers["transfer-encoding"] == "chunked"
    _problem(r, 413, "payload_too_large")


def test_ctrl_c_stops_the_server_and_its_database(server: Server) -> None:
    assert server.stop() == 0, server.output()
    deadline = time.monotonic() + 10
    while _leftover_processes(server.data_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _leftover_processes(server.data_dir) == []
    assert "Traceback" not in server.output()


def test_several_workers_share_their_metrics(repo_root: Path, scratch: Path) -> None:
    """``--workers 2``: every scrape, whichever worker answers it, counts the requests of all workers."""
    server = _start(repo_root, scratch, "--workers", "2")
    try:
        workers = psutil.Process(server.process.pid).children(recursive=True)
        assert len([p for p in workers if "spawn_main" in " ".join(p.cmdline())]) == 2
        for _ in range(20):  # a new connection each time: the kernel spreads them over the workers
            assert httpx.get(f"{server.base}/no-such-page", headers={"Connection": "close"}).status_code == 404
        for _ in range(6):
            r = httpx.get(f"{server.base}/metrics", headers={"Connection": "close"})
            families = {f.name: f for f in text_string_to_metric_families(r.text)}
            not_found = [
                s.value
                for s in families["http_requests"].samples
                if s.name == "http_requests_total" and s.labels.get("status") == "404"
            ]
            assert sum(not_found) == 20
    finally:
        code = server.stop()
    assert code == 0, server.output()
    assert _leftover_processes(server.data_dir) == []
