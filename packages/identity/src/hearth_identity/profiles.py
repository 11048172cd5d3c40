"""``ProfileService``: the caller's own account, other users' public profiles and user search."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hearth_platform.pagination import Page, PageRequest

from . import views
from .errors import MediaNotFound, UserNotFound
from .ports import AvatarMedia, Relationships
from .repository import BIGINT_MAX, UserRepository
from .schemas import Me, PublicUser, UpdateMeRequest
from .text import search_text


class ProfileService:
    def __init__(self, session: Session, relationships: Relationships, avatars: AvatarMedia) -> None:
        self._session = session
        self._users = UserRepository(session)
        self._relationships = relationships
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
            if media_id is not None and not (
                1 <= media_id <= BIGINT_MAX and self._avatars.is_owned_ready(user_id, media_id)
            ):
                raise MediaNotFound(media_id)
            user.avatar_media_id = media_id
        if changes.display_name is not None:
            user.display_name = changes.display_name
        if changes.bio is not None:
            user.bio = changes.bio
        self._session.flush()
        return views.me(user, views.avatar_urls(self._avatars, [user.avatar_media_id]))

    def get(self, viewer_id: int, user_id: int) -> PublicUser:
        """A user's public profile; 404 when unknown and when that user has blocked the viewer."""
        if user_id != viewer_id and user_id in self._relationships.blocker_ids(viewer_id):
            raise UserNotFound(user_id)
        row = self._users.rows([user_id]).get(user_id)
        if row is None:
            raise UserNotFound(user_id)
        status = (
            "self"
            if user_id == viewer_id
            else self._relationships.relationships(viewer_id, [user_id]).get(user_id, "none")
        )
        return views.public_user(row, views.avatar_urls(self._avatars, [row.avatar_media_id]), status)

    def search(self, viewer_id: int, q: str, page: PageRequest) -> Page[PublicUser]:
        """Users whose username or display name starts with ``q``, by username, minus those who blocked the
        viewer. Keyset-paginated on the (unique) username; the cursor is bound to the viewer and the query."""
        prefix = search_text(q).lower()
        kind = f"users:{viewer_id}:{prefix}"
        after = page.after(kind)
        after_username = str(after[0]) if after else None
        if not prefix:
            return Page[PublicUser](items=[], next_cursor=None)
        rows = self._users.search(
            prefix, after=after_username, exclude=self._relationships.blocker_ids(viewer_id), limit=page.limit + 1
        )
        more = len(rows) > page.limit
        rows = rows[: page.limit]
        others = [r.id for r in rows if r.id != viewer_id]
        statuses = dict(self._relationships.relationships(viewer_id, others)) if others else {}
        statuses[viewer_id] = "self"
        urls = views.avatar_urls(self._avatars, (r.avatar_media_id for r in rows))
        items = [views.public_user(r, urls, statuses.get(r.id, "none")) for r in rows]
        return Page[PublicUser](
            items=items, next_cursor=page.next_cursor(kind, [rows[-1].username]) if more and rows else None
        )
