"""Storage's domain errors (each carries its HTTP status and problem code)."""

from __future__ import annotations

from hearth_platform.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ObjectNotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    Unprocessable,
)


class MediaNotFound(ObjectNotFound):
    """The media does not exist, or the caller may not see it (the same answer for both)."""

    noun = "Media"


class MediaRejected(Unprocessable):
    """An upload request outside the allowed content types or sizes (422 ``validation_error``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(
            f"The request is not valid: body.{field}: {message}",
            errors=[{"loc": ["body", field], "msg": message, "type": "value_error"}],
        )


class QuotaExceeded(PayloadTooLarge):
    """An upload that would take the owner's media past their storage quota (413 ``quota_exceeded``)."""

    code = "quota_exceeded"

    def __init__(self, quota: int, used: int) -> None:
        super().__init__(f"This upload would exceed your media storage quota of {quota} bytes ({used} in use).")


class FileUrlRefused(Forbidden):
    """A local-storage URL that is tampered, malformed or does not match the request (403 ``forbidden``)."""


class FileUrlExpired(Forbidden):
    """A local-storage URL past its expiry (403 ``url_expired``)."""

    code = "url_expired"

    def __init__(self) -> None:
        super().__init__("The URL has expired; ask the API for a new one.")


class FileAlreadyUploaded(Conflict):
    """A local-storage upload URL used again after its file was stored: an upload URL writes once."""

    def __init__(self) -> None:
        super().__init__("A file has already been uploaded to this URL; an upload URL writes once.")


class FileNotFound(NotFound):
    """A validly signed download URL for an object that was never uploaded."""

    def __init__(self) -> None:
        super().__init__("No file has been uploaded for this URL.")


class StorageUnavailable(ServiceUnavailable):
    """The object store cannot be reached (or answers with a server error): 503, try again shortly."""

    def __init__(self) -> None:
        super().__init__("Media storage is temporarily unavailable; please retry.", headers={"Retry-After": "5"})
