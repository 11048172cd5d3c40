"""Thin handlers for the Media section of the API (mounted under ``/api/v1``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from hearth_platform.params import PathId
from hearth_platform.ratelimit import WriteLimit
from hearth_platform.security import CurrentUser
from hearth_platform.uow import provide

from .schemas import Media, MediaUpload, MediaUploadRequest
from .service import MediaService

router = APIRouter(tags=["media"])

Service = Annotated[MediaService, Depends(provide(MediaService))]

_PROBLEM: dict[str, object] = {"content": {"application/problem+json": {}}}
_PROBLEMS: dict[int | str, dict[str, object]] = {
    401: {"description": "Missing, invalid, expired or revoked token", **_PROBLEM},
    422: {"description": "Invalid input", **_PROBLEM},
    429: {"description": "Rate limited", **_PROBLEM},
}


@router.post("/media", status_code=status.HTTP_201_CREATED, dependencies=[WriteLimit], responses=_PROBLEMS)
def create_media(data: MediaUploadRequest, user: CurrentUser, media: Service) -> MediaUpload:
    """Announce an upload: a pending media record and a signed URL to PUT the bytes to."""
    return media.create_upload(user.user_id, data.content_type, data.size_bytes)


@router.get(
    "/media/{media_id}",
    responses={**_PROBLEMS, 404: {"description": "Not found, or not visible to the caller", **_PROBLEM}},
)
def get_media(media_id: PathId, user: CurrentUser, media: Service) -> Media:
    """The media, with a time-limited download URL once uploaded (the owner or a post's viewers only)."""
    return media.get_media(user.user_id, media_id)
