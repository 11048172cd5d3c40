"""``UserDirectory``: read-only batch reads of users for neighbouring packages.

It depends on the session and the ``AvatarMedia`` port only (never on connections), so connections'
service can depend on it without a cycle in the container.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from . import views
from .ports import AvatarMedia
from .repository import UserRepository
from .schemas import UserProfile, UserSummary


class UserDirectory:
    def __init__(self, session: Session, avatars: AvatarMedia) -> None:
        self._users = UserRepository(session)
        self._avatars = avatars

    def summaries(self, user_ids: Collection[int]) -> dict[int, UserSummary]:
        """Summaries of the users that exist among ``user_ids``: one query plus one avatar-URL call."""
        rows = self._users.rows(user_ids)
        urls = views.avatar_urls(self._avatars, (r.avatar_media_id for r in rows.values()))
        return {uid: views.summary(row, urls) for uid, row in rows.items()}

    def profiles(self, user_ids: Collection[int]) -> dict[int, UserProfile]:
        """Summaries plus bios, batched the same way."""
        rows = self._users.rows(user_ids)
        urls = views.avatar_urls(self._avatars, (r.avatar_media_id for r in rows.values()))
        return {uid: views.profile(row, urls) for uid, row in rows.items()}

    def existing_ids(self, user_ids: Collection[int]) -> set[int]:
        """Which of ``user_ids`` are users (one query; none for an empty input)."""
        return self._users.existing_ids(user_ids)
