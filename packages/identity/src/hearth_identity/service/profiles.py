"""``ProfileService``: the caller's own account (other users' profiles are connections', which knows how
the caller relates to them)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hearth_platform.ids import valid_id
from hearth_storage import MediaNotFound, MediaService

from .. import views
from ..errors import UserNotFound
from ..repository import UserRepository
from ..schemas import Me, UpdateMeRequest


class ProfileService:
    def __init__(self, session: Session, avatars: MediaService) -> None:
        self._session = session
        self._users = UserRepository(session)
        self._avatars = avatars

    def me(self, user_id: int) -> Me:
        user = self._users.get(user_id)
        if user is None:  # the token's user is gone (deleted in this very moment)
            raise UserNotFound(user_id)
        return views.me(user, views.avatar_urls(self._avatars, [user.avatar_media_id]))

    def update_me(self, user_id: int, changes: UpdateMeRequest) -> Me:
        user = self._users.get(user_id)
        if user is None:
            raise UserNotFound(user_id)
        fields = changes.model_fields_set
        if "avatar_media_id" in fields:
            media_id = changes.avatar_media_id
            if media_id is not None and not (valid_id(media_id) and self._avatars.is_owned_ready(user_id, media_id)):
                raise MediaNotFound(media_id)
            user.avatar_media_id = media_id
        if changes.display_name is not None:
            user.display_name = changes.display_name
        if changes.bio is not None:
            user.bio = changes.bio
        self._session.flush()
        return views.me(user, views.avatar_urls(self._avatars, [user.avatar_media_id]))
