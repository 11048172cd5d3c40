"""S3 (or any S3-compatible store) through boto3: presigned PUT and GET URLs, HEAD for sizes.

The client is built on first use, never at import or app construction, so a misconfigured S3 shows
up in ``/health/ready`` rather than as a crash at start.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from hearth_platform.settings import Settings

from .backends import UPLOAD_URL_TTL_SECONDS, UploadTicket, valid_key
from .errors import StorageUnavailable

_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}


class S3Backend:
    def __init__(
        self,
        settings: Settings,
        *,
        upload_ttl: int = UPLOAD_URL_TTL_SECONDS,
        download_ttl: int | None = None,
    ) -> None:
        self.settings = settings
        self.bucket = settings.s3_bucket
        self.upload_ttl = upload_ttl
        self.download_ttl = download_ttl if download_ttl is not None else settings.media_url_ttl_seconds
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The boto3 client (thread-safe once built; building it is not, hence the lock)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._build_client()
        return self._client

    def _build_client(self) -> Any:
        import boto3
        from botocore.config import Config

        s = self.settings
        secret = s.s3_secret_access_key.get_secret_value() if s.s3_secret_access_key else None
        return boto3.client(
            "s3",
            endpoint_url=s.s3_endpoint_url,
            region_name=s.s3_region,
            # None falls back to boto3's usual chain (environment, profile, instance role)
            aws_access_key_id=s.s3_access_key_id,
            aws_secret_access_key=secret,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                # no flexible checksums in presigned URLs: clients upload plain bytes
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                connect_timeout=3,
                read_timeout=10,
                retries={"max_attempts": 2, "mode": "standard"},
            ),
        )

    def create_upload(self, key: str, content_type: str, size: int) -> UploadTicket:
        _check_key(key)
        now = datetime.now(UTC).replace(microsecond=0)
        url = self.client.generate_presigned_url(
            "put_object",
            # ContentType and ContentLength become signed headers: another type or size is refused
            Params={"Bucket": self.bucket, "Key": key, "ContentType": content_type, "ContentLength": size},
            ExpiresIn=self.upload_ttl,
            HttpMethod="PUT",
        )
        return UploadTicket(
            url=url,
            expires_at=now + timedelta(seconds=self.upload_ttl),
            method="PUT",
            headers={"Content-Type": content_type},
        )

    def presign_download(self, key: str) -> tuple[str, datetime]:
        _check_key(key)
        now = datetime.now(UTC).replace(microsecond=0)
        url = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=self.download_ttl
        )
        return url, now + timedelta(seconds=self.download_ttl)

    def head(self, key: str) -> int | None:
        from botocore.exceptions import BotoCoreError, ClientError

        _check_key(key)
        try:
            response = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in _NOT_FOUND:
                return None
            if int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0) >= 500:
                raise StorageUnavailable() from exc
            raise
        except BotoCoreError as exc:  # unreachable, refused, timed out, connection dropped: a 503, not a 500
            raise StorageUnavailable() from exc
        return int(response["ContentLength"])

    def check(self) -> float:
        started = time.perf_counter()
        self.client.head_bucket(Bucket=self.bucket)
        return (time.perf_counter() - started) * 1000


def _check_key(key: str) -> None:
    if not valid_key(key):
        raise ValueError("invalid storage key")
