"""Building the API objects from rows, with avatar URLs fetched in one batched call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC
from typing import Any, cast

from hearth_platform.construct import construct
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
    return construct(UserSummary, **_summary_fields(row, urls))


def summaries_read(fields: Mapping[int, Sequence[str | None]], avatars: MediaService) -> dict[int, UserSummary]:
    """Summaries of the users whose fields a statement read (``UserRepository.summary_column``; ``[]``: nobody,
    left out), with one avatar-URL call for all."""
    urls = avatar_urls(avatars, (int(f[2]) for f in fields.values() if f and f[2] is not None))
    out = {}
    for uid, f in fields.items():
        if f:
            username, display_name, avatar = f  # never null but the avatar (the columns are NOT NULL)
            out[uid] = construct(
                UserSummary,
                id=uid,
                username=cast("str", username),
                display_name=cast("str", display_name),
                avatar_url=urls.get(int(avatar)) if avatar is not None else None,
            )
    return out


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
