"""Hearth storage: media objects, presigned upload/download URLs (S3 or local disk).

The face: ``MediaService`` (neighbours use ``owned_media``, ``media_views``, ``is_owned_ready``,
``download_urls``, ``get_media`` and ``erase_unattached``), ``MediaPredicate`` (a condition on a media row
that a layer above writes for those two), the ``Media`` API object, ``MediaNotFound``, and ``package``
(what an app mounts: the service, ``POST /media``, the local backend's ``/files/...``, the storage
check). Who may see a media through a post or an avatar is decided above, by posts.
"""

from .errors import MediaNotFound
from .models import MediaObject  # noqa: F401 - registers the media table on the shared metadata
from .objects import ObjectStore
from .package import package
from .repository import MediaPredicate
from .schemas import Media
from .service import MediaService

__all__ = ["Media", "MediaNotFound", "MediaPredicate", "MediaService", "ObjectStore", "package"]
