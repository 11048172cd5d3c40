"""Blocks: a block ends everything between two users and stops new requests either way."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hearth_identity import UserDirectory, UserNotFound, UserSummary
from hearth_platform.cache import Cache
from hearth_platform.ids import valid_id
from hearth_platform.pagination import Page, PageRequest, split_page

from ..caching import GraphCache
from ..errors import BlockNotFound, SelfBlock
from ..repository import ConstraintViolation, Repository


class BlocksService:
    def __init__(self, session: Session, cache: Cache, users: UserDirectory) -> None:
        self._repo = Repository(session)
        self._cache = GraphCache(cache, session)
        self._users = users

    def block(self, me: int, user_id: int) -> None:
        """Block ``user_id``: no connection, pending request or tag membership survives, either way.

        Idempotent: blocking again changes nothing (and answers the same).
        """
        if user_id == me:
            raise SelfBlock
        if user_id not in self._users.existing_ids([user_id]):
            raise UserNotFound(user_id)
        self._repo.lock_pair(me, user_id)
        try:
            self._repo.insert_block(me, user_id)
        except ConstraintViolation as exc:  # the user went away meanwhile
            raise UserNotFound(user_id) from exc
        self._repo.delete_connection(me, user_id)
        self._repo.close_pending_between(me, user_id)
        self._repo.delete_pair_memberships(me, user_id)
        self._cache.forget_pair(me, user_id)

    def unblock(self, me: int, user_id: int) -> None:
        if not valid_id(user_id) or not self._repo.delete_block(me, user_id):
            raise BlockNotFound(user_id)

    def blocks(self, me: int, page: PageRequest) -> Page[UserSummary]:
        """The users the caller blocked, most recent first: two queries whatever the page size."""
        kind = f"blocks:{me}"
        rows, more = split_page(self._repo.blocks_page(me, page.keyset(kind), page.limit + 1), page.limit)
        cursor = page.next_cursor(kind, [rows[-1][1], rows[-1][0]] if more else None)
        users = self._users.summaries([uid for uid, _ in rows])
        return Page(items=[users[uid] for uid, _ in rows if uid in users], next_cursor=cursor)
