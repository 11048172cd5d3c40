"""``UserDirectory``: batched reads of users for the layers above (connections, posts)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute, Session

from hearth_storage import MediaService

from .. import views
from ..repository import UserRepository
from ..schemas import UserProfile, UserSummary
from ..text import search_text


class UserDirectory:
    def __init__(self, session: Session, avatars: MediaService) -> None:
        self._users = UserRepository(session)
        self._avatars = avatars

    def summaries(self, user_ids: Collection[int]) -> dict[int, UserSummary]:
        """Summaries of the users that exist among ``user_ids``: one query plus one avatar-URL call."""
        rows = self._users.rows(user_ids)
        urls = views.avatar_urls(self._avatars, (r.avatar_media_id for r in rows.values()))
        return {uid: views.summary(row, urls) for uid, row in rows.items()}

    def summaries_read(self, fields: Mapping[int, Sequence[str | None]]) -> dict[int, UserSummary]:
        """Summaries of the users whose fields the caller's statement read with :meth:`summary_column`
        (``user id -> fields``; the nobodies left out, as :meth:`summaries` does): no query of their own, one
        avatar-URL call when any has an avatar."""
        return views.summaries_read(fields, self._avatars)

    def profiles(self, user_ids: Collection[int]) -> dict[int, UserProfile]:
        """Summaries plus bios, batched the same way."""
        rows = self._users.rows(user_ids)
        urls = views.avatar_urls(self._avatars, (r.avatar_media_id for r in rows.values()))
        return {uid: views.profile(row, urls) for uid, row in rows.items()}

    def ids_by_username(self, usernames: Collection[str]) -> dict[str, int]:
        """``username -> id`` of the users among ``usernames`` (case-insensitive; one query, none for none)."""
        return self._users.ids_by_username(usernames)

    def existing_ids(self, user_ids: Collection[int]) -> set[int]:
        """Which of ``user_ids`` are users (one query; none for an empty input)."""
        return self._users.existing_ids(user_ids)

    @staticmethod
    def avatar_clause(media_id: ColumnElement[int], owner_id: ColumnElement[int]) -> ColumnElement[bool]:
        """As SQL, for a layer above that decides who may read a media (a user's avatar can be read by anyone
        who can see the user): the media in column ``media_id`` is the current avatar of the user in column
        ``owner_id``."""
        return UserRepository.avatar_clause(media_id, owner_id)

    @staticmethod
    def exists_clause(user_id: ColumnElement[int]) -> ColumnElement[bool]:
        """As SQL, for a read that answers 404 for a user who is nobody (as :meth:`existing_ids`), in the same
        statement: the user ``user_id`` exists and is active."""
        return UserRepository.exists_clause(user_id)

    @staticmethod
    def summary_column(user_id: ColumnElement[int] | InstrumentedAttribute[int]) -> ColumnElement[Any]:
        """As SQL, for a read above that shows its rows' users (a page of posts, of comments): the summary
        fields of the user in column ``user_id``, read in the same statement (one probe of the key per row),
        for :meth:`summaries_read`; a statement less than :meth:`summaries` per page."""
        return UserRepository.summary_column(user_id)

    @staticmethod
    def active_clause(user_id: ColumnElement[int] | InstrumentedAttribute[int]) -> ColumnElement[bool]:
        """As SQL, for the reads of others' content above: the user in column ``user_id`` is active (not
        suspended, not being erased): a per-row probe of the partial index of the others (usually empty)."""
        return UserRepository.active_clause(user_id)

    def search(self, q: str, *, after: str | None, exclude: Collection[int], limit: int) -> list[UserProfile]:
        """Users whose username or display name starts with ``q`` (case-insensitive), by username, after the
        username ``after``, leaving out ``exclude``: one query plus one avatar-URL call."""
        prefix = search_text(q).lower()
        if not prefix:
            return []
        rows = self._users.search(prefix, after=after, exclude=exclude, limit=limit)
        urls = views.avatar_urls(self._avatars, (r.avatar_media_id for r in rows))
        return [views.profile(r, urls) for r in rows]
