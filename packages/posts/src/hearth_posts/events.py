"""Events posts publishes on the unit of work (handled above, e.g. by notifications), and the handlers posts
offers for the events of the layers below (registered by :mod:`.package`)."""

from __future__ import annotations

from dataclasses import dataclass

from hearth_connections import ConnectionAccepted, TagMemberAdded
from hearth_identity import AccountErasing, AccountExporting
from hearth_platform.events import DomainEvent, EventBus
from hearth_platform.uow import UnitOfWorkContext

from .lifecycle import on_account_erasing, on_account_exporting


@dataclass(frozen=True, slots=True)
class CommentCreated(DomainEvent):
    """``author_id`` commented ``comment_id`` on ``post_id``, a post of ``post_author_id``."""

    comment_id: int
    post_id: int
    post_author_id: int
    author_id: int


@dataclass(frozen=True, slots=True)
class ReactionAdded(DomainEvent):
    """``user_id`` newly reacted ``kind`` to ``post_id``, a post of ``post_author_id`` (a repeated ``PUT``
    publishes nothing)."""

    post_id: int
    post_author_id: int
    user_id: int
    kind: str


@dataclass(frozen=True, slots=True)
class ReactionRemoved(DomainEvent):
    """``user_id`` took back their ``kind`` on ``post_id``; ``any_left``: they still have another kind on it."""

    post_id: int
    post_author_id: int
    user_id: int
    kind: str
    any_left: bool


@dataclass(frozen=True, slots=True)
class UsersMentioned(DomainEvent):
    """``author_id`` wrote ``@username`` of each of ``user_ids`` (existing users; the author's blockers left
    out) in ``post_id``, or in its comment ``comment_id``; on every write of the body (an edit too): who may be
    told, and whether they were told already, is the handler's to decide."""

    post_id: int
    comment_id: int | None
    author_id: int
    user_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class PostReachedTimelines(DomainEvent):
    """``post_id`` (by ``author_id``) was just put at the top of the home timelines of ``reader_ids`` (its
    author left out): it was created, or its audience grew. Whether each may still see it when told is the
    teller's to check."""

    post_id: int
    author_id: int
    reader_ids: tuple[int, ...]


def on_connection_accepted(uow: UnitOfWorkContext, event: ConnectionAccepted) -> None:
    from .service import TimelineService  # the services publish this module's events: imported on use

    uow.resolve(TimelineService).connection_began(event.user_a_id, event.user_b_id)


def on_tag_member_added(uow: UnitOfWorkContext, event: TagMemberAdded) -> None:
    from .service import TimelineService

    uow.resolve(TimelineService).tag_member_added(event.owner_id, event.tag_id, event.member_id)


def subscribe(bus: EventBus) -> None:
    bus.subscribe(ConnectionAccepted, on_connection_accepted)
    bus.subscribe(TagMemberAdded, on_tag_member_added)
    # identity's account events: erasure and export (lifecycle.py)
    bus.subscribe(AccountErasing, on_account_erasing)
    bus.subscribe(AccountExporting, on_account_exporting)
