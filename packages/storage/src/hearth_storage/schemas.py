"""The API objects of the Media section: ``Media``, the upload request and its answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from hearth_platform.examples import example, examples
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

    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "id": 31,
                "content_type": "image/jpeg",
                "size_bytes": 482133,
                "status": "ready",
                "url": "https://hearth.example.com/files/u7/Zx3vB8nQ1mK5tR7wY2cL9dF4gH6jS0aP"
                "?expires=1796131860&signature=9a7c5e3b1d0f2e4c6a8b0d2f4e6c8a0b2d4f6e8c0a2b4d6f8e0c2a4b6d8f0e2c",
                "url_expires_at": "2026-11-30T14:31:00Z",
            },
            {
                "id": 32,
                "content_type": "video/mp4",
                "size_bytes": 10485760,
                "status": "pending",
                "url": None,
                "url_expires_at": None,
            },
        )
    )

    id: int
    content_type: str
    size_bytes: int
    status: Literal["pending", "ready"]
    url: str | None = None
    url_expires_at: datetime | None = None


class MediaUploadRequest(BaseModel):
    """Body of ``POST /media``: what is about to be uploaded."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra=examples({"content_type": "image/jpeg", "size_bytes": 482133})
    )

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

    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "url": "https://hearth.example.com/files/u7/Zx3vB8nQ1mK5tR7wY2cL9dF4gH6jS0aP"
                "?expires=1796128260&signature=1b3d5f7a9c0e2d4f6b8a0c2e4d6f8a0b1c3e5d7f9a0b2c4e6d8f0a1c3e5b7d9f",
                "method": "PUT",
                "headers": {"Content-Type": "image/jpeg"},
                "expires_at": "2026-11-30T13:31:00Z",
            }
        )
    )

    url: str
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str]
    expires_at: datetime


class MediaUpload(BaseModel):
    """Answer to ``POST /media``: the pending media and how to upload its bytes."""

    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "media": {**example(Media), "status": "pending", "url": None, "url_expires_at": None},
                "upload": example(UploadInstructions),
            }
        )
    )

    media: Media
    upload: UploadInstructions
