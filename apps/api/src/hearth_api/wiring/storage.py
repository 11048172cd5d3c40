"""Wiring of the storage package (its backend, its service and the ports it needs from neighbours)."""

from __future__ import annotations

from collections.abc import Callable

import punq
from fastapi import APIRouter

import hearth_posts
import hearth_storage
from hearth_platform.settings import Settings
from hearth_storage import MediaAccess, MediaService, StorageBackend, build_backend

# (``hearth_storage.router``, not ``from hearth_storage import router``: import-linter would read the
# latter as an import of the private module ``hearth_storage.router``)


def register(container: punq.Container, settings: Settings) -> None:
    # one backend per process, chosen by HEARTH_STORAGE_BACKEND; its S3 client is built on first use
    container.register(StorageBackend, instance=build_backend(settings))
    # the port storage needs: which media a viewer may see through the posts that carry them. Posts'
    # PostMediaAccess does not depend on MediaService, so building the two never recurses.
    container.register(MediaAccess, hearth_posts.PostMediaAccess)
    container.register(MediaService)


def routers() -> list[APIRouter]:
    """Mounted under ``/api/v1``."""
    return [hearth_storage.router]


def root_routers() -> list[APIRouter]:
    """Mounted at the root: the local backend's signed ``PUT``/``GET /files/{key}`` (404 under S3)."""
    return [hearth_storage.files_router]


def health_checks(container: punq.Container) -> dict[str, Callable[[], float | None]]:
    backend: StorageBackend = container.resolve(StorageBackend)
    return {"storage": backend.check}
