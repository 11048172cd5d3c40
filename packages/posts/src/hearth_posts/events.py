"""Handlers posts offers for the events of the layers below (registered by :mod:`.package`)."""

from __future__ import annotations

from hearth_connections import ConnectionAccepted, TagMemberAdded
from hearth_identity import AccountErasing, AccountExporting
from hearth_platform.events import EventBus
from hearth_platform.uow import UnitOfWorkContext

from .lifecycle import on_account_erasing, on_account_exporting
from .service import TimelineService


def on_connection_accepted(uow: UnitOfWorkContext, event: ConnectionAccepted) -> None:
    uow.resolve(TimelineService).connection_began(event.user_a_id, event.user_b_id)


def on_tag_member_added(uow: UnitOfWorkContext, event: TagMemberAdded) -> None:
    uow.resolve(TimelineService).tag_member_added(event.owner_id, event.tag_id, event.member_id)


def subscribe(bus: EventBus) -> None:
    bus.subscribe(ConnectionAccepted, on_connection_accepted)
    bus.subscribe(TagMemberAdded, on_tag_member_added)
    # identity's account events: erasure and export (lifecycle.py)
    bus.subscribe(AccountErasing, on_account_erasing)
    bus.subscribe(AccountExporting, on_account_exporting)
