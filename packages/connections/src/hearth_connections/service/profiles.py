"""Other users as the caller sees them: a profile, or a search, with the caller's relationship to each."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hearth_identity import PublicUser, UserDirectory, UserNotFound
from hearth_platform.ids import valid_id
from hearth_platform.pagination import Page, PageRequest

from ..repository import Repository


class ProfilesService:
    def __init__(self, session: Session, users: UserDirectory) -> None:
        self._repo = Repository(session)
        self._users = users

    def get(self, viewer_id: int, user_id: int) -> PublicUser:
        """A user's public profile; 404 when unknown and when that user has blocked the viewer."""
        if user_id != viewer_id and valid_id(user_id) and user_id in self._repo.blocker_ids(viewer_id):
            raise UserNotFound(user_id)
        profile = self._users.profiles([user_id]).get(user_id)
        if profile is None:
            raise UserNotFound(user_id)
        status = "self" if user_id == viewer_id else self._repo.relationships(viewer_id, [user_id]).get(user_id, "none")
        return PublicUser(**profile.model_dump(), connection_status=status)

    def search(self, viewer_id: int, q: str, page: PageRequest) -> Page[PublicUser]:
        """Users whose username or display name starts with ``q``, by username, minus those who blocked the
        viewer. Keyset-paginated on the (unique) username; the cursor is bound to the viewer and the query."""
        kind = f"users:{viewer_id}:{q.strip().lower()}"
        after = page.after(kind, (str,))
        found = self._users.search(
            q,
            after=after[0] if after else None,
            exclude=self._repo.blocker_ids(viewer_id) if valid_id(viewer_id) else set(),
            limit=page.limit + 1,
        )
        rows = found[: page.limit]
        others = [r.id for r in rows if r.id != viewer_id]
        statuses = self._repo.relationships(viewer_id, others) if others else {}
        items = [
            PublicUser(**r.model_dump(), connection_status="self" if r.id == viewer_id else statuses.get(r.id, "none"))
            for r in rows
        ]
        more = len(found) > page.limit
        return Page[PublicUser](items=items, next_cursor=page.next_cursor(kind, [rows[-1].username]) if more else None)
