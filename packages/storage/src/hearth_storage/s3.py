"""S3 (or any S3-compatible store) through boto3: presigned PUT and GET URLs, HEAD for sizes.

An upload URL writes once. A presigned PUT can be replayed until it expires, so it never names the
object viewers download: it writes ``incoming/<key>``, and :meth:`S3Backend.finish_upload` copies that
(server side, the version whose size it checked) to ``<key>`` before the media becomes ready. No URL
handed out can write ``<key>``; a replay only rewrites the incoming copy, which nothing serves (a bucket
lifecycle rule on ``incoming/`` may expire leftovers).

The client is built on first use, never at import or app construction, so a misconfigured S3 shows
up in ``/health/ready`` rather than as a crash at start.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, TypeVar

from hearth_platform.settings import Settings

from .backends import UPLOAD_URL_TTL_SECONDS, UploadTicket, valid_key
from .errors import StorageUnavailable

_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_CHANGED = {"412", "PreconditionFailed"}
INCOMING = "incoming/"
T = TypeVar("T")


def incoming_key(key: str) -> str:
    """Where the upload URL of ``key`` writes (never the object served for ``key``)."""
    return INCOMING + key


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
        self._presigner: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The boto3 client (thread-safe once built; building it is not, hence the lock)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._build_client()
        return self._client

    @property
    def presigner(self) -> Any:
        """The client that signs URLs for clients: for the public endpoint when one is set (signing is local;
        the URL's host is part of the signature, so it is signed for the host clients will send)."""
        public = self.settings.s3_public_endpoint_url
        if public is None or public == self.settings.s3_endpoint_url:
            return self.client
        if self._presigner is None:
            with self._lock:
                if self._presigner is None:
                    self._presigner = self._build_client(public)
        return self._presigner

    def _build_client(self, endpoint_url: str | None = None) -> Any:
        import boto3
        from botocore.config import Config

        s = self.settings
        secret = s.s3_secret_access_key.get_secret_value() if s.s3_secret_access_key else None
        return boto3.client(
            "s3",
            endpoint_url=endpoint_url or s.s3_endpoint_url,
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
        url = self.presigner.generate_presigned_url(
            "put_object",
            # ContentType and ContentLength become signed headers: another type or size is refused
            Params={
                "Bucket": self.bucket,
                "Key": incoming_key(key),
                "ContentType": content_type,
                "ContentLength": size,
            },
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
        url = self.presigner.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=self.download_ttl
        )
        return url, now + timedelta(seconds=self.download_ttl)

    def head(self, key: str) -> int | None:
        _check_key(key)
        found = self._head(key)
        return int(found["ContentLength"]) if found is not None else None

    def finish_upload(self, key: str, size: int) -> bool:
        _check_key(key)
        upload = self._head(incoming_key(key))
        if upload is None:
            # copied already, by an attempt whose transaction then rolled back (the media stayed pending)
            return self.head(key) == size
        if int(upload["ContentLength"]) != size:
            return False
        # server side, and only the version checked above: a replay meanwhile makes the copy fail (412)
        copied = self._call(
            lambda: self.client.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": incoming_key(key)},
                CopySourceIfMatch=upload["ETag"],
                MetadataDirective="COPY",
            ),
            missing=_NOT_FOUND | _CHANGED,
        )
        if copied is None:
            return False  # replaced or gone between the two calls: the next read tries again
        self.delete_objects([incoming_key(key)])
        return True

    def delete(self, keys: Collection[str]) -> None:
        for key in keys:
            _check_key(key)
        self.delete_objects([k for key in keys for k in (key, incoming_key(key))])

    def delete_objects(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1,000 keys
            batch = {"Objects": [{"Key": k} for k in keys[start : start + 1000]], "Quiet": True}
            self._call(functools.partial(self.client.delete_objects, Bucket=self.bucket, Delete=batch))

    def put(self, key: str, source: BinaryIO, content_type: str) -> None:
        _check_key(key)
        self._call(
            lambda: self.client.upload_fileobj(source, self.bucket, key, ExtraArgs={"ContentType": content_type})
        )

    def read(self, key: str) -> bytes | None:
        _check_key(key)
        found = self._call(lambda: self.client.get_object(Bucket=self.bucket, Key=key), missing=_NOT_FOUND)
        return bytes(found["Body"].read()) if found is not None else None

    def _head(self, key: str) -> dict[str, Any] | None:
        return self._call(lambda: self.client.head_object(Bucket=self.bucket, Key=key), missing=_NOT_FOUND)

    @staticmethod
    def _call(call: Callable[[], T], missing: Collection[str] = ()) -> T | None:
        """``call()``; ``None`` when S3 answers with an error code in ``missing``; a 503 when the store is
        away or failing."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return call()
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in missing:
                return None
            if int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0) >= 500:
                raise StorageUnavailable() from exc
            raise
        except BotoCoreError as exc:  # unreachable, refused, timed out, connection dropped: a 503, not a 500
            raise StorageUnavailable() from exc

    def check(self) -> float:
        started = time.perf_counter()
        self.client.head_bucket(Bucket=self.bucket)
        return (time.perf_counter() - started) * 1000


def _check_key(key: str) -> None:
    if not valid_key(key):
        raise ValueError("invalid storage key")
