"""Events connections publishes on the unit of work (handled above, e.g. by posts' home timelines)."""

from __future__ import annotations

from dataclasses import dataclass

from hearth_platform.events import DomainEvent


@dataclass(frozen=True, slots=True)
class ConnectionRequested(DomainEvent):
    """``from_user_id`` asked ``to_user_id`` to connect (request ``request_id``, pending)."""

    request_id: int
    from_user_id: int
    to_user_id: int


@dataclass(frozen=True, slots=True)
class ConnectionAccepted(DomainEvent):
    """``user_a_id`` and ``user_b_id`` are connected from now on (the request's sender, its acceptor)."""

    user_a_id: int
    user_b_id: int


@dataclass(frozen=True, slots=True)
class TagMemberAdded(DomainEvent):
    """``owner_id`` put ``member_id`` in their tag ``tag_id`` (the member was not in it before)."""

    owner_id: int
    tag_id: int
    member_id: int
