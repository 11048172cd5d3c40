"""Events identity publishes on the unit of work, for the layers above (identity imports none of them).

- :class:`AccountErasing`: published inside the erasure job, before identity deletes the account's own rows:
  each package above deletes what it holds of the account (connections: requests, connections, blocks,
  tags and memberships; posts: posts, comments and the counts they were part of, home timelines), in the
  job's transaction, so the erasure is all or nothing and a retried job finishes it.
- :class:`AccountExporting`: published inside the export job: each package adds its part of the account's
  data to the archive.
- :class:`InviteAccepted`: someone registered with an invite that asked to connect them with its inviter
  (connections makes the connection).
"""

from __future__ import annotations

from dataclasses import dataclass

from hearth_platform.events import DomainEvent

from .archive import ExportArchive


@dataclass(frozen=True, slots=True)
class AccountErasing(DomainEvent):
    user_id: int


@dataclass(frozen=True, slots=True)
class AccountExporting(DomainEvent):
    user_id: int
    archive: ExportArchive


@dataclass(frozen=True, slots=True)
class InviteAccepted(DomainEvent):
    """``invitee_id`` registered with ``inviter_id``'s invite; ``connect``: the invite asked to connect them."""

    inviter_id: int
    invitee_id: int
    connect: bool
