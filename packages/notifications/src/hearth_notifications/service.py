"""Notifications: written by the handlers of other packages' events (``Notifier``), read by their recipient
(``NotificationsService``) with what they may see decided at read time."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hearth_identity import UserDirectory, UserSummary
from hearth_platform.pagination import POLL_FLOOR, Key, NewestFirstPage, PageRequest, split_page

from .models import CONNECTION_ACCEPTED, CONNECTION_REQUEST, REACTION
from .repository import NotificationRepository, NotificationRow
from .schemas import MarkRead, Notification, UnreadCount
from .stream import LiveEvents


class NotificationsService:
    """A recipient's notifications: a fixed number of statements per page or count, whatever it holds."""

    def __init__(self, session: Session, users: UserDirectory) -> None:
        self.repo = NotificationRepository(session)
        self.users = users

    def page(self, me: int, page: PageRequest, unread_only: bool) -> NewestFirstPage[Notification]:
        kind = f"notifications:{me}:{int(unread_only)}"
        after = page.keyset(kind)
        newer = page.newer(kind)
        if newer is not None:  # a poll: the ``limit`` oldest above the key, answered newest first
            rows = self.repo.page(me, unread_only, None, page.limit, newer=newer)
            rows.reverse()
            return self._page(rows, page, kind, me, newer, more=False)
        rows = self.repo.page(me, unread_only, after, page.limit + 1)
        rows, more = split_page(rows, page.limit)
        return self._page(rows, page, kind, me, after, more=more)

    def _page(
        self, rows: list[NotificationRow], page: PageRequest, kind: str, me: int, top: Key | None, *, more: bool
    ) -> NewestFirstPage[Notification]:
        cursor = page.next_cursor(kind, [rows[-1].created_at, rows[-1].id]) if more else None
        if rows:
            top = (rows[0].created_at, rows[0].id)
        actors = self.users.summaries_read({r.actor_id: r.actor for r in rows})
        return NewestFirstPage[Notification](
            items=[_view(r, actors[r.actor_id]) for r in rows if r.actor_id in actors],
            next_cursor=cursor,
            newer_cursor=page.newer_cursor(kind, top or POLL_FLOOR),
        )

    def unread_count(self, me: int) -> UnreadCount:
        return UnreadCount(count=self.repo.unread_count(me))

    def mark_read(self, me: int, data: MarkRead) -> None:
        self.repo.mark_read(me, up_to_id=data.up_to_id, ids=data.ids or ())


def _view(row: NotificationRow, actor: UserSummary) -> Notification:
    return Notification(
        id=row.id,
        type=row.type,
        actor=actor,
        post_id=row.post_id,
        comment_id=row.comment_id,
        created_at=row.created_at,
        read=row.read,
    )


class Notifier:
    """What the event handlers write, in the publisher's transaction; nothing is ever told to its actor."""

    def __init__(self, session: Session, live: LiveEvents) -> None:
        self.repo = NotificationRepository(session)
        self.live = live  # each notification written is told to its recipient's live streams after the commit

    def connection_requested(self, from_user_id: int, to_user_id: int) -> None:
        self.live.notified(self.repo.add(to_user_id, from_user_id, CONNECTION_REQUEST))

    def connection_accepted(self, sender_id: int, acceptor_id: int) -> None:
        self.live.notified(self.repo.add(sender_id, acceptor_id, CONNECTION_ACCEPTED))

    def commented(self, comment_id: int, post_id: int, post_author_id: int, author_id: int) -> None:
        self.live.notified(self.repo.add_comment(comment_id, post_id, post_author_id, author_id))

    def reacted(self, post_id: int, post_author_id: int, user_id: int) -> None:
        # once per reactor and post, whatever the kinds
        self.live.notified(self.repo.add(post_author_id, user_id, REACTION, post_id))

    def reaction_taken_back(self, post_id: int, post_author_id: int, user_id: int) -> None:
        self.repo.remove_reaction(post_author_id, user_id, post_id)

    def mentioned(self, post_id: int, comment_id: int | None, author_id: int, user_ids: tuple[int, ...]) -> None:
        if user_ids:
            self.live.notified(self.repo.add_mentions(post_id, comment_id, author_id, user_ids))

    def account_erased(self, user_id: int) -> None:
        """An erased account's notifications go: those it received and those it caused."""
        self.repo.erase(user_id)
