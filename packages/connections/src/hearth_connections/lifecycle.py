"""Connections' part of an account's lifecycle: handlers of identity's events (registered by ``package``).

- ``AccountErasing``: the account's requests (either way), connections, blocks (either way), its tags with
  their members and its memberships in others' tags are deleted, in the erasure job's transaction; the
  cached connection lists and tag memberships that named it are forgotten.
- ``AccountExporting``: ``connections.json``, ``tags.json`` and ``blocks.json`` go into the archive.
- ``InviteAccepted`` with ``connect``: the inviter and the new user are connected (as an accepted request
  would; ``ConnectionAccepted`` is published for the layers above).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from hearth_identity import AccountErasing, AccountExporting, InviteAccepted, UserDirectory
from hearth_platform.cache import Cache
from hearth_platform.events import EventBus
from hearth_platform.uow import UnitOfWorkContext

from .caching import GraphCache
from .events import ConnectionAccepted
from .models import Block, Connection, ConnectionRequest, UserTag, UserTagMember
from .repository import Repository


class AccountGraph:
    """The SQL of an account's erasure and export (built per unit of work by the container)."""

    def __init__(self, session: Session, cache: Cache, users: UserDirectory) -> None:
        self._session = session
        self._repo = Repository(session)
        self._cache = GraphCache(cache, session)
        self._users = users

    def erase(self, user_id: int) -> None:
        connected = self._repo.connected_ids(user_id)
        tagged_by = set(
            self._session.scalars(select(UserTagMember.owner_user_id).where(UserTagMember.target_user_id == user_id))
        )
        members = set(
            self._session.scalars(select(UserTagMember.target_user_id).where(UserTagMember.owner_user_id == user_id))
        )
        m, t = UserTagMember, UserTag
        for stmt in (
            delete(m).where(or_(m.owner_user_id == user_id, m.target_user_id == user_id)),
            delete(t).where(t.owner_user_id == user_id),
            delete(Block).where(or_(Block.blocker_id == user_id, Block.blocked_id == user_id)),
            delete(ConnectionRequest).where(
                or_(ConnectionRequest.from_user_id == user_id, ConnectionRequest.to_user_id == user_id)
            ),
            delete(Connection).where(or_(Connection.user_a_id == user_id, Connection.user_b_id == user_id)),
        ):
            self._session.execute(stmt)
        self._cache.forget_connections(user_id, *connected)
        self._cache.forget_viewer_tags([(member, user_id) for member in members])
        self._cache.forget_viewer_tags([(user_id, owner) for owner in tagged_by])

    def export(self, user_id: int) -> dict[str, Any]:
        pairs = self._repo.connections_page(user_id, None, 1_000_000)
        names = self._users.summaries([uid for uid, _ in pairs])
        connections = [
            {"user_id": uid, "username": names[uid].username if uid in names else None, "connected_at": at}
            for uid, at in pairs
        ]
        tags = []
        for tag in self._session.scalars(select(UserTag).where(UserTag.owner_user_id == user_id).order_by(UserTag.id)):
            member_ids = sorted(
                self._session.scalars(select(UserTagMember.target_user_id).where(UserTagMember.tag_id == tag.id))
            )
            tags.append({"id": tag.id, "name": tag.name, "created_at": tag.created_at, "member_ids": member_ids})
        blocks = [
            {"user_id": b.blocked_id, "blocked_at": b.created_at}
            for b in self._session.scalars(select(Block).where(Block.blocker_id == user_id).order_by(Block.created_at))
        ]
        return {"connections.json": connections, "tags.json": tags, "blocks.json": blocks}

    def connect_invited(self, inviter_id: int, invitee_id: int) -> bool:
        """Connect a new user with their inviter (nothing when either is gone or they are connected already)."""
        if inviter_id == invitee_id or not self._users.existing_ids([inviter_id]):
            return False
        self._repo.lock_pair(inviter_id, invitee_id)
        if self._repo.are_connected(inviter_id, invitee_id):
            return False
        self._repo.insert_connection(inviter_id, invitee_id)
        self._cache.forget_pair(inviter_id, invitee_id)
        return True


def on_account_erasing(uow: UnitOfWorkContext, event: AccountErasing) -> None:
    uow.resolve(AccountGraph).erase(event.user_id)


def on_account_exporting(uow: UnitOfWorkContext, event: AccountExporting) -> None:
    for name, data in uow.resolve(AccountGraph).export(event.user_id).items():
        event.archive.add_json(name, data)


def on_invite_accepted(uow: UnitOfWorkContext, event: InviteAccepted) -> None:
    if event.connect and uow.resolve(AccountGraph).connect_invited(event.inviter_id, event.invitee_id):
        uow.publish(ConnectionAccepted(event.inviter_id, event.invitee_id))


def subscribe(bus: EventBus) -> None:
    bus.subscribe(AccountErasing, on_account_erasing)
    bus.subscribe(AccountExporting, on_account_exporting)
    bus.subscribe(InviteAccepted, on_invite_accepted)
