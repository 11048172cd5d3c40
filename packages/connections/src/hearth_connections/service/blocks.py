"""Blocks: a block ends everything between two users and stops new requests either way."""

from __future__ import annotations

from hearth_platform.pagination import Page, PageRequest, split_page

from .. import schemas
from ..errors import BlockNotFound, SelfBlock, UserNotFound
from ..repository import ConstraintViolation
from .base import ServiceBase, keyset_after, valid_id


class BlocksMixin(ServiceBase):
    def block(self, me: int, user_id: int) -> None:
        """Block ``user_id``: no connection, pending request or tag membership survives, either way.

        Idempotent: blocking again changes nothing (and answers the same).
        """
        if user_id == me:
            raise SelfBlock("You cannot block yourself.")
        if not self._user_exists(user_id):
            raise UserNotFound(f"User {user_id} was not found.")
        self._repo.lock_pair(me, user_id)
        try:
            self._repo.insert_block(me, user_id)
        except ConstraintViolation as exc:  # the user went away meanwhile
            raise UserNotFound(f"User {user_id} was not found.") from exc
        self._repo.delete_connection(me, user_id)
        self._repo.close_pending_between(me, user_id)
        self._repo.delete_pair_memberships(me, user_id)
        self._cache.forget_pair(me, user_id)

    def unblock(self, me: int, user_id: int) -> None:
        if not valid_id(user_id) or not self._repo.delete_block(me, user_id):
            raise BlockNotFound(f"You have not blocked user {user_id}.")

    def blocks(self, me: int, page: PageRequest) -> Page[schemas.UserSummary]:
        """The users the caller blocked, most recent first: two queries whatever the page size."""
        kind = f"blocks:{me}"
        rows, more = split_page(self._repo.blocks_page(me, keyset_after(page, kind), page.limit + 1), page.limit)
        cursor = page.next_cursor(kind, [rows[-1][1], rows[-1][0]] if more else None)
        users = self._summaries([uid for uid, _ in rows])
        return Page(items=[users[uid] for uid, _ in rows if uid in users], next_cursor=cursor)
