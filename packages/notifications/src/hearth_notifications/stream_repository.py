"""All SQL of the live stream: the recent events kept for replay, and what a stream may be sent of them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import BigInteger, String, Table, bindparam, column, delete, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from hearth_platform.statements import CompiledRead, int_array, int_array_param
from hearth_posts import PostVisibility

from .models import Notification, StreamEvent, StreamPresence
from .repository import NotificationRow, row_columns, shown_to

REPLAY_SECONDS = 300
"""How far back ``Last-Event-ID`` replays (API.md: the last 5 minutes)."""

PRESENCE_REFRESH_SECONDS = 60
"""How often an open stream refreshes its user's presence."""

PRESENCE_SECONDS = REPLAY_SECONDS + 2 * PRESENCE_REFRESH_SECONDS
"""How long after its last refresh a user's events are still written: their stream may have closed up to a
refresh later, and a reconnect within the replay window after that must find what it missed."""

_TABLE = cast(Table, StreamEvent.__table__)
_PRESENCE = cast(Table, StreamPresence.__table__)


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One event of one user's stream: ``id`` is its id on the stream (increasing per user)."""

    id: int
    user_id: int
    kind: str
    subject_id: int


def _visible_posts() -> Executable:
    found = (
        func.unnest(bindparam("post_ids", type_=ARRAY(BigInteger)))
        .table_valued(column("id", BigInteger))
        .render_derived(name="candidates")
    )
    viewer = bindparam("viewer", type_=BigInteger)
    return select(found.c.id).where(PostVisibility.visible_clause(viewer, found.c.id))


_VISIBLE_POSTS = CompiledRead(_visible_posts)


def _add_events() -> Executable:
    users, subjects = int_array_param("users"), int_array_param("subjects")
    pair = select(func.unnest(users).label("user_id"), func.unnest(subjects).label("subject_id")).subquery("pair")
    rows = select(pair.c.user_id, bindparam("kind", type_=String), pair.c.subject_id).join(
        _PRESENCE,
        (_PRESENCE.c.user_id == pair.c.user_id)
        & (_PRESENCE.c.seen_at > func.now() - text(f"interval '{PRESENCE_SECONDS} seconds'")),
    )
    return (
        insert(_TABLE)
        .from_select(["user_id", "kind", "subject_id"], rows)
        .returning(_TABLE.c.id, _TABLE.c.user_id, _TABLE.c.kind, _TABLE.c.subject_id)
    )


_ADD_EVENTS = CompiledRead(_add_events)  # on the writing transaction's connection (``statements``)


class StreamRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, kind: str, pairs: Sequence[tuple[int, int]]) -> list[LiveEvent]:
        """An event of ``kind`` per ``(user_id, subject_id)`` whose user held a stream lately (see
        :class:`~hearth_notifications.models.StreamPresence`), in one statement however many."""
        params = {"kind": kind, "users": int_array(u for u, _ in pairs), "subjects": int_array(s for _, s in pairs)}
        return [LiveEvent(*r) for r in _ADD_EVENTS.all(self.session, params)]

    def present(self, user_id: int) -> None:
        """The user holds a stream now."""
        stmt = insert(_PRESENCE).values(user_id=user_id, seen_at=func.now())
        self.session.execute(
            stmt.on_conflict_do_update(index_elements=[_PRESENCE.c.user_id], set_={"seen_at": stmt.excluded.seen_at})
        )

    def after(self, user_id: int, last_id: int) -> list[LiveEvent]:
        """The user's events after ``last_id`` of the last :data:`REPLAY_SECONDS`, oldest first."""
        rows = self.session.execute(
            select(StreamEvent.id, StreamEvent.user_id, StreamEvent.kind, StreamEvent.subject_id)
            .where(
                StreamEvent.user_id == user_id,
                StreamEvent.id > last_id,
                StreamEvent.created_at > func.now() - text(f"interval '{REPLAY_SECONDS} seconds'"),
            )
            .order_by(StreamEvent.id)
        )
        return [LiveEvent(*r) for r in rows]

    def prune(self) -> None:
        """Events older than the replay window go, and the presence of users gone longer than it matters."""
        self.session.execute(
            delete(StreamEvent).where(
                StreamEvent.created_at < func.now() - text(f"interval '{REPLAY_SECONDS} seconds'")
            )
        )
        self.session.execute(
            delete(StreamPresence).where(
                StreamPresence.seen_at < func.now() - text(f"interval '{PRESENCE_SECONDS} seconds'")
            )
        )

    def visible_posts(self, user_id: int, post_ids: Collection[int]) -> set[int]:
        """Those of ``post_ids`` the user may see now: one statement, compiled once (a batch of every stream
        runs it: built per batch, it cost more than a post's whole fan-out, profiled)."""
        rows = _VISIBLE_POSTS.all(self.session, {"viewer": user_id, "post_ids": list(post_ids)})
        return {r.id for r in rows}

    def notifications(self, user_id: int, ids: Collection[int]) -> list[NotificationRow]:
        """Those of the user's notifications ``ids`` they may be shown now (as the list shows them): one statement."""
        rows = self.session.execute(
            select(*row_columns()).where(
                Notification.recipient_id == user_id,
                Notification.id.in_(list(ids)),
                shown_to(user_id),
            )
        )
        return [NotificationRow(*r) for r in rows]
