"""The read face the layers above use: who is connected to whom, who is in which tag."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import Session

from hearth_identity import ConnectionStatus
from hearth_platform.cache import Cache
from hearth_platform.ids import valid_id, valid_ids

from ..caching import GraphCache
from ..errors import TagNotFound
from ..repository import IdColumn, IdValue, Repository
from ..tag_repository import TagRepository


class ConnectionGraph:
    def __init__(self, session: Session, cache: Cache) -> None:
        self._repo = Repository(session)
        self._tags = TagRepository(session)
        self._cache = GraphCache(cache, session)

    def get_connected_user_ids(self, user_id: int) -> set[int]:
        """Everyone connected to ``user_id`` (cached; invalidated by every change of a connection)."""
        if not valid_id(user_id):
            return set()
        return self._cache.connected_ids(user_id, self._repo.connected_ids)

    def are_connected(self, a: int, b: int) -> bool:
        return a != b and b in self.get_connected_user_ids(a)

    def viewer_tag_ids(self, viewer_id: int, owner_ids: Collection[int]) -> dict[int, set[int]]:
        """``owner id -> {tag id}``: which of each owner's tags the viewer is in (one query for all misses).

        Every asked owner is a key (an empty set when the viewer is in none of their tags).
        """
        owners = [o for o in valid_ids(owner_ids) if o != viewer_id]
        out: dict[int, set[int]] = {o: set() for o in owner_ids}
        if not owners or not valid_id(viewer_id):
            return out
        out.update(self._cache.viewer_tags(viewer_id, owners, self._tags.viewer_tag_ids))
        return out

    def owned_tag_ids(self, owner_id: int, tag_ids: Collection[int]) -> set[int]:
        """Which of ``tag_ids`` belong to ``owner_id``."""
        ids = valid_ids(tag_ids)
        if not ids or not valid_id(owner_id):
            return set()
        return self._tags.owned_tag_ids(owner_id, ids)

    def tag_member_ids(self, owner_id: int, tag_id: int) -> set[int]:
        """The members of the owner's tag; :class:`TagNotFound` when it is not the owner's tag."""
        members = self._tags.tag_member_ids(owner_id, tag_id) if valid_id(tag_id) and valid_id(owner_id) else None
        if members is None:
            raise TagNotFound(tag_id)
        return members

    def relationships(self, viewer_id: int, user_ids: Collection[int]) -> dict[int, ConnectionStatus]:
        """``user id -> self | none | pending_outgoing | pending_incoming | connected``: one query at most."""
        out: dict[int, ConnectionStatus] = dict.fromkeys(user_ids, "none")
        if viewer_id in out:
            out[viewer_id] = "self"
        others = [u for u in valid_ids(user_ids) if u != viewer_id]
        if others and valid_id(viewer_id):
            out.update(self._repo.relationships(viewer_id, others))
        return out

    def blocker_ids(self, user_id: int) -> set[int]:
        """The users who have blocked ``user_id``."""
        return self._repo.blocker_ids(user_id) if valid_id(user_id) else set()

    # -- as SQL, for a layer above that keeps visibility one predicate in its own query ----------------

    @staticmethod
    def connected_ids_select(user_id: IdValue) -> Select[Any]:
        """``SELECT user_id`` of everyone connected to ``user_id`` (an id, or a bound one)."""
        return Repository.connected_ids_select(user_id)

    # (static: a layer above may build a statement once, with bound parameters for the ids, and reuse it)

    @staticmethod
    def connected_clause(user_id: IdValue, other: IdColumn) -> ColumnElement[bool]:
        """``user_id`` is connected to the user in column ``other`` (a per-row probe, whatever the degree)."""
        return Repository.connected_clause(user_id, other)

    @staticmethod
    def blocked_clause(user_id: IdValue, other: IdColumn) -> ColumnElement[bool]:
        """Either of ``user_id`` and the user in column ``other`` blocked the other (a per-row probe)."""
        return Repository.blocked_clause(user_id, other)

    @staticmethod
    def member_clause(tag_id: IdColumn, viewer_id: IdValue) -> ColumnElement[bool]:
        """``viewer_id`` is in the tag in column ``tag_id`` (a per-row probe)."""
        return TagRepository.member_clause(tag_id, viewer_id)

    @staticmethod
    def members_of_tags_select(tag_ids: ColumnElement[Any]) -> Select[Any]:
        """``SELECT target_user_id`` of the members of any tag of the bound array ``tag_ids`` (a statement
        built once: the caller checked the tags are the author's)."""
        return TagRepository.members_of_tags_select(tag_ids)

    def viewer_tag_ids_select(self, viewer_id: int) -> Select[Any]:
        """``SELECT tag_id`` of every tag (of any owner) that has ``viewer_id`` as a member."""
        return self._tags.viewer_tag_ids_select(viewer_id)

    @staticmethod
    def tag_member_ids_select(owner_id: IdValue, tag_id: IdValue) -> Select[Any]:
        """``SELECT target_user_id`` of the members of ``owner_id``'s tag ``tag_id``."""
        return TagRepository.tag_member_ids_select(owner_id, tag_id)
