"""Storage as a part of an app: its backend, its service, its routers and its readiness check."""

from __future__ import annotations

from hearth_platform.app import HealthCheck, Package
from hearth_platform.container import Container
from hearth_platform.settings import Settings

from .backends import StorageBackend, build_backend
from .files import files_router
from .objects import ObjectStore
from .router import router
from .service import MediaService


def _register(container: Container, settings: Settings) -> None:
    # one backend per process, chosen by HEARTH_STORAGE_BACKEND; its S3 client is built on first use
    container.register(StorageBackend, instance=build_backend(settings))
    container.register(MediaService)
    container.register(ObjectStore)


def _health_checks(container: Container) -> dict[str, HealthCheck]:
    backend: StorageBackend = container.resolve(StorageBackend)  # type: ignore[type-abstract]
    return {"storage": backend.check}


package = Package(
    name="storage",
    register=_register,
    routers=(router,),
    root_routers=(files_router,),  # the local backend's signed PUT/GET /files/{key} (404 under S3)
    health_checks=_health_checks,
    tags={
        "media": "Images and videos: announce an upload, send the bytes to the signed URL it gives, then read "
        "the media for a time-limited download URL. A media is seen by whoever sees a post or avatar that "
        "carries it."
    },
)
