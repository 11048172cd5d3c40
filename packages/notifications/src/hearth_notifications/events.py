"""Handlers notifications offers for the events of the layers below (registered by :mod:`.package`): each
writes its notifications in the publisher's transaction. It publishes no domain
event of its own; what it writes is told to the users' live streams (``stream.py``)."""

from __future__ import annotations

from hearth_connections import ConnectionAccepted, ConnectionRequested
from hearth_identity import AccountErasing
from hearth_platform.events import EventBus
from hearth_platform.uow import UnitOfWorkContext
from hearth_posts import CommentCreated, PostReachedTimelines, ReactionAdded, ReactionRemoved, UsersMentioned

from .service import Notifier
from .stream import LiveEvents


def on_connection_requested(uow: UnitOfWorkContext, event: ConnectionRequested) -> None:
    uow.resolve(Notifier).connection_requested(event.from_user_id, event.to_user_id)


def on_connection_accepted(uow: UnitOfWorkContext, event: ConnectionAccepted) -> None:
    uow.resolve(Notifier).connection_accepted(event.user_a_id, event.user_b_id)


def on_comment_created(uow: UnitOfWorkContext, event: CommentCreated) -> None:
    uow.resolve(Notifier).commented(event.comment_id, event.post_id, event.post_author_id, event.author_id)


def on_reaction_added(uow: UnitOfWorkContext, event: ReactionAdded) -> None:
    uow.resolve(Notifier).reacted(event.post_id, event.post_author_id, event.user_id)


def on_reaction_removed(uow: UnitOfWorkContext, event: ReactionRemoved) -> None:
    if not event.any_left:  # told once per reactor and post: gone with their last reaction to it
        uow.resolve(Notifier).reaction_taken_back(event.post_id, event.post_author_id, event.user_id)


def on_users_mentioned(uow: UnitOfWorkContext, event: UsersMentioned) -> None:
    uow.resolve(Notifier).mentioned(event.post_id, event.comment_id, event.author_id, event.user_ids)


def on_post_reached_timelines(uow: UnitOfWorkContext, event: PostReachedTimelines) -> None:
    uow.resolve(LiveEvents).post_reached(event.post_id, event.reader_ids)


def on_account_erasing(uow: UnitOfWorkContext, event: AccountErasing) -> None:
    uow.resolve(Notifier).account_erased(event.user_id)


def subscribe(bus: EventBus) -> None:
    bus.subscribe(ConnectionRequested, on_connection_requested)
    bus.subscribe(ConnectionAccepted, on_connection_accepted)
    bus.subscribe(CommentCreated, on_comment_created)
    bus.subscribe(ReactionAdded, on_reaction_added)
    bus.subscribe(ReactionRemoved, on_reaction_removed)
    bus.subscribe(UsersMentioned, on_users_mentioned)
    bus.subscribe(PostReachedTimelines, on_post_reached_timelines)
    bus.subscribe(AccountErasing, on_account_erasing)  # identity's, in the erasure job
