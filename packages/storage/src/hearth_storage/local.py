"""Local-disk storage: files under ``settings.media_dir``, uploaded and downloaded through the app itself.

URLs are signed with HMAC-SHA256 (a key derived from ``settings.secret_key``) over the method, the key,
the content type, the exact size and the expiry, so a URL can be neither widened nor reused for
another object, type or size. An upload URL writes once: the file is linked into place only when
nothing is there yet, so a replayed URL cannot change what viewers download. ``files.py`` serves them
at ``PUT``/``GET /files/{key}``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import shutil
import tempfile
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, urlencode

from hearth_platform.settings import Settings

from .backends import UPLOAD_URL_TTL_SECONDS, UploadTicket, valid_key
from .errors import FileAlreadyUploaded, FileNotFound, FileUrlExpired, FileUrlRefused

FILES_PREFIX = "/files"
_TYPE_SUFFIX = ".type"  # sidecar holding the content type the upload was signed for


class UrlSigner:
    """HMAC-SHA256 over (method, key, content type, size, expiry)."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), b"hearth-storage-local-url-v1", hashlib.sha256).digest()

    def sign(self, method: str, key: str, content_type: str, size: int, expires: int) -> str:
        message = "\n".join((method, key, content_type, str(size), str(expires))).encode()
        return hmac.digest(self._key, message, "sha256").hex()

    def verify(self, signature: str, method: str, key: str, content_type: str, size: int, expires: int) -> bool:
        expected = self.sign(method, key, content_type, size, expires)
        # bytes, not str: compare_digest raises on non-ASCII str input
        return hmac.compare_digest(signature.encode("utf-8", "replace"), expected.encode())


@dataclass(frozen=True, slots=True)
class SignedUpload:
    """A verified upload: where to write and exactly how many bytes."""

    path: Path
    content_type: str
    size: int


@dataclass(frozen=True, slots=True)
class SignedDownload:
    """A verified download: the file, its content type and how long the URL stays valid."""

    path: Path
    content_type: str
    remaining_seconds: int


class LocalBackend:
    """Files on local disk; URLs point at this app (``settings.public_base_url``)."""

    def __init__(
        self,
        settings: Settings,
        *,
        upload_ttl: int = UPLOAD_URL_TTL_SECONDS,
        download_ttl: int | None = None,
    ) -> None:
        self.root = Path(settings.media_dir)
        self.base_url = settings.public_base_url.rstrip("/")
        self.upload_ttl = upload_ttl
        self.download_ttl = download_ttl if download_ttl is not None else settings.media_url_ttl_seconds
        self.signer = UrlSigner(settings.secret_key.get_secret_value())

    # -- the StorageBackend interface -------------------------------------------------------------

    def create_upload(self, key: str, content_type: str, size: int) -> UploadTicket:
        self._path(key)  # refuses a bad key before anything is signed
        expires = int(time.time()) + self.upload_ttl
        signature = self.signer.sign("PUT", key, content_type, size, expires)
        query = urlencode({"type": content_type, "size": size, "expires": expires, "signature": signature})
        return UploadTicket(
            url=f"{self._url(key)}?{query}",
            expires_at=datetime.fromtimestamp(expires, UTC),
            method="PUT",
            headers={"Content-Type": content_type},
        )

    def presign_download(self, key: str) -> tuple[str, datetime]:
        self._path(key)
        expires = int(time.time()) + self.download_ttl
        signature = self.signer.sign("GET", key, "", 0, expires)
        query = urlencode({"expires": expires, "signature": signature})
        return f"{self._url(key)}?{query}", datetime.fromtimestamp(expires, UTC)

    def head(self, key: str) -> int | None:
        try:
            stat = self._path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return stat.st_size

    def finish_upload(self, key: str, size: int) -> bool:
        return self.head(key) == size  # the file is written once (LocalUpload.commit): nothing to fix

    def delete(self, keys: Collection[str]) -> None:
        for key in keys:
            path = self._path(key)
            for leftover in (path, _type_path(path)):
                leftover.unlink(missing_ok=True)

    def check(self) -> float:
        started = time.perf_counter()
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.root, prefix=".health-") as probe:
            probe.write(b"ok")
            probe.flush()
        return (time.perf_counter() - started) * 1000

    def put(self, key: str, source: BinaryIO, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out)
            _type_path(path).write_text(content_type)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    # -- serving the URLs (used by files.py) ------------------------------------------------------

    def verify_upload(
        self, key: str, query: Mapping[str, str], content_type: str | None, content_length: str | None
    ) -> SignedUpload:
        """Check a PUT against its signature, expiry, content type and declared length."""
        path = self._refuse_bad_key(key)
        try:
            signed_type = query["type"]
            size = int(query["size"])
            expires = int(query["expires"])
            signature = query["signature"]
        except (KeyError, ValueError) as exc:
            raise FileUrlRefused("The upload URL is incomplete or malformed.") from exc
        if not self.signer.verify(signature, "PUT", key, signed_type, size, expires):
            raise FileUrlRefused("The upload URL's signature does not match (the URL was altered).")
        if time.time() > expires:
            raise FileUrlExpired()
        if (content_type or "").strip().lower() != signed_type:
            raise FileUrlRefused(f"The Content-Type header must be exactly {signed_type!r}, as signed.")
        if content_length is not None and content_length.strip() != str(size):
            raise FileUrlRefused(f"The body must be exactly {size} bytes, as signed.")
        if path.exists():  # refused before a byte is read; commit checks again, atomically
            raise FileAlreadyUploaded()
        return SignedUpload(path=path, content_type=signed_type, size=size)

    def open_upload(self, upload: SignedUpload) -> LocalUpload:
        upload.path.parent.mkdir(parents=True, exist_ok=True)
        return LocalUpload(upload)

    def verify_download(self, key: str, query: Mapping[str, str]) -> SignedDownload:
        """Check a GET against its signature and expiry; find the file and its content type."""
        path = self._refuse_bad_key(key)
        try:
            expires = int(query["expires"])
            signature = query["signature"]
        except (KeyError, ValueError) as exc:
            raise FileUrlRefused("The download URL is incomplete or malformed.") from exc
        if not self.signer.verify(signature, "GET", key, "", 0, expires):
            raise FileUrlRefused("The download URL's signature does not match (the URL was altered).")
        remaining = expires - int(time.time())
        if remaining < 0:
            raise FileUrlExpired()
        try:
            content_type = _type_path(path).read_text().strip()
        except FileNotFoundError:
            raise FileNotFound() from None
        if not path.is_file():
            raise FileNotFound()
        return SignedDownload(path=path, content_type=content_type, remaining_seconds=remaining)

    # -- helpers ----------------------------------------------------------------------------------

    def _url(self, key: str) -> str:
        return f"{self.base_url}{FILES_PREFIX}/{quote(key, safe='/')}"

    def _path(self, key: str) -> Path:
        """The file for ``key``; raises ``ValueError`` for a key that could leave the media directory."""
        if not valid_key(key):
            raise ValueError("invalid storage key")
        root = self.root.resolve()
        path = (root / key).resolve()
        if not path.is_relative_to(root) or path == root:
            raise ValueError("invalid storage key")
        return path

    def _refuse_bad_key(self, key: str) -> Path:
        try:
            return self._path(key)
        except ValueError:
            raise FileUrlRefused("The URL does not name a valid file.") from None


def _type_path(path: Path) -> Path:
    return path.with_name(path.name + _TYPE_SUFFIX)


class LocalUpload:
    """Streams one upload to a temp file beside its target; refuses it as soon as it passes the size.

    ``commit`` checks the exact size and links the file into place atomically, only when nothing is there
    yet: a reader never sees a partial file, and a second upload to the same key is refused.
    """

    def __init__(self, upload: SignedUpload) -> None:
        self.upload = upload
        self.received = 0
        fd, tmp = tempfile.mkstemp(dir=upload.path.parent, prefix=".upload-")
        self._tmp = Path(tmp)
        self._file: BinaryIO = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received > self.upload.size:
            raise FileUrlRefused(f"The body is larger than the {self.upload.size} bytes signed for.")
        self._file.write(chunk)

    def commit(self) -> None:
        if self.received != self.upload.size:
            raise FileUrlRefused(
                f"The body must be exactly {self.upload.size} bytes, as signed ({self.received} received)."
            )
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        # the content type first: once the data file exists, its sidecar does too (a concurrent upload to the
        # same key writes the same type: the type is signed into the key's URL)
        type_tmp = self._tmp.with_name(self._tmp.name + _TYPE_SUFFIX)
        type_tmp.write_text(self.upload.content_type)
        os.replace(type_tmp, _type_path(self.upload.path))
        try:
            os.link(self._tmp, self.upload.path)  # unlike a rename, never replaces a file already there
        except FileExistsError:
            raise FileAlreadyUploaded() from None
        # abort() then removes the temp name; the file stays under its key

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(OSError):
            self._tmp.unlink(missing_ok=True)
