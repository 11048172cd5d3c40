"""The API objects of the Media section: ``Media``, the upload request and its answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ALLOWED_CONTENT_TYPES: tuple[str, ...] = ("image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4")

ContentType = Literal["image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4"]


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

    content_type: ContentType = Field(description="One of image/jpeg, image/png, image/gif, image/webp, video/mp4.")
    size_bytes: int = Field(ge=1, strict=True, description="The exact size of the file to upload, in bytes.")

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
