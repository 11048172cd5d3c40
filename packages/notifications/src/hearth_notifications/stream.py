"""The live stream's services: ``LiveEvents`` records a user's events in the writing unit of work and has them
delivered once it commits; ``StreamReader`` turns events into what a stream sends, checking again that the
user may see what each is about (an event about a post they can no longer see is dropped)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from hearth_identity import UserDirectory
from hearth_platform.events import EventPublisher
from hearth_platform.metrics import app_metrics

from .live import StreamHub
from .models import STREAM_NOTIFICATION, STREAM_POST
from .repository import NotificationRow
from .schemas import Notification
from .stream_repository import LiveEvent, StreamRepository


class LiveEvents:
    """What a write tells its users' live streams: stored now (for replay), delivered once it commits."""

    def __init__(self, session: Session, events: EventPublisher, hub: StreamHub) -> None:
        self.repo = StreamRepository(session)
        self.events = events
        self.hub = hub

    def notified(self, rows: Sequence[tuple[int, int]]) -> None:
        """Notifications ``(id, recipient_id)`` were written."""
        self._record(STREAM_NOTIFICATION, [(user, nid) for nid, user in rows])

    def post_reached(self, post_id: int, reader_ids: Sequence[int]) -> None:
        self._record(STREAM_POST, [(user, post_id) for user in reader_ids])

    def _record(self, kind: str, pairs: list[tuple[int, int]]) -> None:
        if not pairs:
            return
        written = self.repo.add(kind, pairs)
        if self.hub.publishes_in_transaction:
            self.hub.publish(written, self.repo.session.connection())
        else:
            self.events.after_commit(functools.partial(self.hub.publish, written))

    def present(self, user_id: int) -> None:
        """The user holds a stream: their events are written from now on (see ``StreamPresence``)."""
        self.repo.present(user_id)

    def prune(self) -> None:
        self.repo.prune()


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One SSE event, ready to send."""

    id: int
    event: str
    data: str


class StreamReader:
    """What a user's stream is sent of its events: a fixed number of statements per batch."""

    def __init__(self, session: Session, users: UserDirectory) -> None:
        self.repo = StreamRepository(session)
        self.users = users

    def missed(self, user_id: int, last_id: int) -> list[LiveEvent]:
        return self.repo.after(user_id, last_id)

    def render(self, user_id: int, events: Sequence[LiveEvent]) -> list[Outgoing]:
        mine = [e for e in events if e.user_id == user_id]  # never another user's (the hub routes by user too)
        post_ids = {e.subject_id for e in mine if e.kind == STREAM_POST}
        visible = self.repo.visible_posts(user_id, post_ids) if post_ids else set()
        note_ids = {e.subject_id for e in mine if e.kind == STREAM_NOTIFICATION}
        notes: dict[int, NotificationRow] = {}
        if note_ids:
            notes = {r.id: r for r in self.repo.notifications(user_id, note_ids)}
        actors = self.users.summaries_read({r.actor_id: r.actor for r in notes.values()})
        out: list[Outgoing] = []
        counter = app_metrics().stream_events
        for e in mine:
            if e.kind == STREAM_POST and e.subject_id in visible:
                out.append(Outgoing(e.id, STREAM_POST, f'{{"id":{e.subject_id}}}'))
            elif e.kind == STREAM_NOTIFICATION and e.subject_id in notes and notes[e.subject_id].actor_id in actors:
                row = notes[e.subject_id]
                note = Notification(
                    id=row.id,
                    type=row.type,
                    actor=actors[row.actor_id],
                    post_id=row.post_id,
                    comment_id=row.comment_id,
                    created_at=row.created_at,
                    read=row.read,
                )
                out.append(Outgoing(e.id, STREAM_NOTIFICATION, note.model_dump_json()))
            else:
                counter.labels(e.kind, "dropped").inc()
                continue
            counter.labels(e.kind, "delivered").inc()
        return out
