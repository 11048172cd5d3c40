"""The API objects of the Media section: ``Media``, the upload request and its answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from hearth_platform.ids import WHOLE
from hearth_platform.text import any_case

ALLOWED_CONTENT_TYPES: tuple[str, ...] = ("image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4")

ContentType = Literal["image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4"]

# The types are taken in any case and with spaces around (what str.strip() removes), as the schema says.
_SPACES = r"[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*"
_CONTENT_TYPE_SCHEMA = {
    "anyOf": [
        {"type": "string", "enum": list(ALLOWED_CONTENT_TYPES)},
        {"type": "string", "pattern": f"^{_SPACES}(?:{'|'.join(map(any_case, ALLOWED_CONTENT_TYPES))}){_SPACES}$"},
    ],
    "description": "One of image/jpeg, image/png, image/gif, image/webp, video/mp4 (in any case).",
}


class Media(BaseModel):
    """``{id, content_type, size_bytes, status, url, url_expires_at}``; ``url`` is null while pending."""

    id: int
    content_type: str
    size_bytes: int
    status: Literal["pending", "ready"]
    url: str | None = None
    url_expires_at: datetime | None = None


class MediaUploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_type: Annotated[ContentType, WithJsonSchema(_CONTENT_TYPE_SCHEMA)]
    # at most the configured limit: the served schema states it (hearth_api.openapi), the service checks it
    size_bytes: Annotated[
        int, Field(ge=1, strict=True, description="The exact size of the file to upload, in bytes."), WHOLE
    ]

    @field_validator("content_type", mode="before")
    @classmethod
    def _normalise_type(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


class UploadInstructions(BaseModel):
    """Send the bytes with ``method`` to ``url`` with exactly these ``headers``, before ``expires_at``."""

    url: str
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str]
    expires_at: datetime


class MediaUpload(BaseModel):
    media: Media
    upload: UploadInstructions
