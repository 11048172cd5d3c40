"""Hearth storage: media records, presigned upload/download URLs, on S3 or on local disk.

The public face: the service (``MediaService``; neighbours use ``owned_media``, ``media_views``,
``is_owned_ready`` and ``download_urls``), its DTOs, the backends for wiring, the port it needs
(``MediaAccess``), its errors and its routers (``router`` under ``/api/v1``; ``files_router`` at the
root, serving the local backend's signed URLs).
"""

from .backends import StorageBackend, UploadTicket, build_backend
from .errors import MediaNotFound, MediaRejected
from .files import files_router
from .local import LocalBackend
from .models import MediaObject  # noqa: F401 - registers the media table on the shared metadata
from .ports import MediaAccess
from .router import router
from .s3 import S3Backend
from .schemas import Media, MediaUpload, MediaView
from .service import MediaService, PresignedUrl

__all__ = [
    "LocalBackend",
    "Media",
    "MediaAccess",
    "MediaNotFound",
    "MediaRejected",
    "MediaService",
    "MediaUpload",
    "MediaView",
    "PresignedUrl",
    "S3Backend",
    "StorageBackend",
    "UploadTicket",
    "build_backend",
    "files_router",
    "router",
]
