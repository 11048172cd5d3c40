"""Thin handlers for the Media section of the API (mounted under ``/api/v1``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Response, status

from hearth_platform.ratelimit import WriteLimit
from hearth_platform.routing import Router, locate
from hearth_platform.security import CurrentUser
from hearth_platform.uow import provide

from .schemas import MediaUpload, MediaUploadRequest
from .service import MediaService

router = Router(tags=["media"])

Service = Annotated[MediaService, Depends(provide(MediaService))]

# (GET /media/{id} is served by posts, which knows who may see a post that carries the media)
_PROBLEM: dict[str, object] = {"content": {"application/problem+json": {}}}
_PROBLEMS: dict[int | str, dict[str, object]] = {
    401: {"description": "Missing, invalid, expired or revoked token", **_PROBLEM},
    413: {"description": "Over the body limit, or over the caller's media storage quota", **_PROBLEM},
    422: {"description": "Invalid input", **_PROBLEM},
    429: {"description": "Rate limited", **_PROBLEM},
}


@router.post("/media", status_code=status.HTTP_201_CREATED, dependencies=[WriteLimit], responses=_PROBLEMS)
def create_media(data: MediaUploadRequest, user: CurrentUser, media: Service, response: Response) -> MediaUpload:
    """Start a media upload

    Announces a file: answers a `pending` media and where to send its bytes (`upload`: a signed URL that
    needs no token, the method and the exact headers, before `expires_at`). Then read `GET /media/{id}`
    until `status` is `ready`. Counts against the caller's storage quota (`413 quota_exceeded`).
    """
    upload = media.create_upload(user.user_id, data.content_type, data.size_bytes)
    locate(response, f"/media/{upload.media.id}")
    return upload
