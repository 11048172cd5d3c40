"""Building the API objects from rows, with avatar URLs fetched in one batched call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC
from typing import Any

from hearth_storage import MediaService

from .models import User
from .repository import UserRow
from .schemas import Me, UserProfile, UserSummary


def avatar_urls(avatars: MediaService, media_ids: Iterable[int | None]) -> Mapping[int, str]:
    """One call for all the avatars shown; none at all when nobody shown has one."""
    ids = {m for m in media_ids if m is not None}
    return avatars.download_urls(ids) if ids else {}


def _summary_fields(row: UserRow | User, urls: Mapping[int, str]) -> dict[str, Any]:
    media_id = row.avatar_media_id
    return {
        "id": row.id,
        "username": row.username,
        "display_name": row.display_name,
        "avatar_url": urls.get(media_id) if media_id is not None else None,
    }


def summary(row: UserRow | User, urls: Mapping[int, str]) -> UserSummary:
    # built per author of every page: the values are typed already (a row, a signed URL), not validated again
    return UserSummary.model_construct(**_summary_fields(row, urls))


def profile(row: UserRow | User, urls: Mapping[int, str]) -> UserProfile:
    return UserProfile(**_summary_fields(row, urls), bio=row.bio)


def me(user: User, urls: Mapping[int, str]) -> Me:
    return Me(
        **_summary_fields(user, urls),
        bio=user.bio,
        connection_status="self",
        email=user.email,
        email_verified=user.email_verified_at is not None,
        created_at=user.created_at.astimezone(UTC),
    )
