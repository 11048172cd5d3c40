"""A ``redis-server`` of a test's own."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from .ports import free_port, port_is_free
from .processes import scratch_dir, start_or_close, stop_group, wait_until


class OwnRedis:
    """A ``redis-server`` of this test's own on a free loopback port (no persistence)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = scratch_dir("hearth-own-redis-")
        self.log = self.dir / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None
        start_or_close(self)

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        assert self.process is None or self.process.poll() is not None
        # on the same port as before, so the URL the app holds is valid again
        wait_until(lambda: port_is_free(self.port), 10, f"port {self.port} free for redis")
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - redis-server from PATH, fixed arguments
                [*args, "--dir", str(self.dir)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_until(self.ping, 10, "redis-server answers PING")

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=2)

    def ping(self) -> bool:
        c = self.client()
        try:
            return bool(c.ping())
        finally:
            c.close()

    def kill(self) -> None:
        """SIGKILL: the server vanishes mid-run, as a crash would (nothing is flushed, no goodbye)."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop_group(self.process, timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)
