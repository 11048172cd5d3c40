"""The table owned by the notifications package: one row per thing a user is told about."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Identity, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from hearth_platform.database import Base

CONNECTION_REQUEST = "connection_request"
CONNECTION_ACCEPTED = "connection_accepted"
COMMENT = "comment"
REPLY = "reply"
REACTION = "reaction"
MENTION = "mention"
TYPES = (CONNECTION_REQUEST, CONNECTION_ACCEPTED, COMMENT, REPLY, REACTION, MENTION)


class Notification(Base):
    """``recipient_id`` is told that ``actor_id`` did ``type`` (on ``post_id`` / ``comment_id`` where they apply).

    Every user column cascades from ``users`` and every subject from its post or comment: deleting an account,
    a post or a comment takes its notifications with it. Whether the recipient may still see the subject is
    decided when the notification is read, never here.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    recipient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    actor_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    type: Mapped[str] = mapped_column(String(24), nullable=False)
    post_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("posts.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("comments.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )
    read: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))

    __table_args__ = (
        CheckConstraint(f"type IN ({', '.join(repr(t) for t in TYPES)})", name="type"),
        CheckConstraint("recipient_id <> actor_id", name="not_self"),
        # the list, newest first
        Index("ix_notifications_recipient_created", "recipient_id", text("created_at DESC"), text("id DESC")),
        # the unread count and marking read
        Index("ix_notifications_recipient_unread", "recipient_id", "id", postgresql_where=text("NOT read")),
        # the cascades of a deleted account, post or comment
        Index("ix_notifications_actor_id", "actor_id"),
        Index("ix_notifications_post_id", "post_id", postgresql_where=text("post_id IS NOT NULL")),
        Index("ix_notifications_comment_id", "comment_id", postgresql_where=text("comment_id IS NOT NULL")),
        # one reaction notification per reactor and post, one mention per post (or comment) however often edited
        Index(
            "uq_notifications_reaction",
            "recipient_id",
            "post_id",
            "actor_id",
            unique=True,
            postgresql_where=text("type = 'reaction'"),
        ),
        Index(
            "uq_notifications_mention",
            "recipient_id",
            "post_id",
            "comment_id",
            unique=True,
            postgresql_nulls_not_distinct=True,
            postgresql_where=text("type = 'mention'"),
        ),
    )


STREAM_NOTIFICATION = "notification"
STREAM_POST = "post"
STREAM_KINDS = (STREAM_NOTIFICATION, STREAM_POST)


class StreamEvent(Base):
    """A live event for ``user_id`` (``kind``: a notification, or a post that reached the top of their feed),
    kept a few minutes so a reconnecting stream can replay what it missed (``Last-Event-ID``); its ``id`` is
    the event's id on the stream. Written in the transaction of what it tells, so a rolled-back write leaves
    none; what it is about is checked again when it is sent."""

    __tablename__ = "stream_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    subject_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )

    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in STREAM_KINDS)})", name="kind"),
        Index("ix_stream_events_user_id_id", "user_id", "id"),  # a replay: the user's events after an id
        Index("ix_stream_events_created_at", "created_at"),  # the pruning
    )


class StreamPresence(Base):
    """When ``user_id`` last held a live stream (refreshed while one is open). Events are written only for
    users seen within :data:`~hearth_notifications.stream_repository.PRESENCE_SECONDS`: nobody else could
    be sent them, live or replayed (a post to 5,000 readers writes events for those of them streaming)."""

    __tablename__ = "stream_presence"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
