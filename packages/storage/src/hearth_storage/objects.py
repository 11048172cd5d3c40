"""Objects the server writes itself (account exports), in the same store as media, under keys the caller
chooses (``exports/u<owner>/<random>``); downloaded through the same time-limited URLs."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import BinaryIO

from .backends import StorageBackend


class ObjectStore:
    """Built per unit of work by the container (it holds no state of its own); never commits anything."""

    def __init__(self, backend: StorageBackend) -> None:
        self._backend = backend

    def put(self, key: str, source: BinaryIO, content_type: str) -> None:
        self._backend.put(key, source, content_type)

    def read(self, key: str) -> bytes | None:
        return self._backend.read(key)

    def download_url(self, key: str) -> tuple[str, datetime]:
        """A time-limited download URL (``HEARTH_MEDIA_URL_TTL_SECONDS``) and its expiry; the caller decides
        who may have it."""
        return self._backend.presign_download(key)

    def delete(self, keys: Collection[str]) -> None:
        if keys:
            self._backend.delete(keys)
