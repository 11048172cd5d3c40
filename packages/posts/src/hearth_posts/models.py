"""Tables owned by the posts package: posts, their audience tags and media, comments and reactions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from hearth_platform.database import Base

AUDIENCE_CONNECTIONS = "connections"
AUDIENCE_TAGS = "tags"
REACTION_KINDS = ("like", "love", "laugh", "wow", "sad")


class Post(Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    author_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    audience_type: Mapped[str] = mapped_column(String(16), nullable=False)
    comment_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    # the ids in post_media, in their order, kept on the row: a page reads them without a probe per post
    media_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), nullable=False, server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )

    __table_args__ = (
        CheckConstraint("audience_type IN ('connections', 'tags')", name="audience_type"),
        CheckConstraint("comment_count >= 0", name="comment_count"),
        # the feed's and a profile's keyset scan: newest first per author
        Index("ix_posts_author_created", "author_id", text("created_at DESC"), text("id DESC")),
        # newest first across authors (feeds of well-connected viewers, the digest window)
        Index("ix_posts_created", text("created_at DESC"), text("id DESC")),
    )


class PostAudienceTag(Base):
    """A ``tags`` post is visible to members of any of these tags (the author's own tags)."""

    __tablename__ = "post_audience_tags"

    post_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    # deleting a tag removes the row: the post then reaches fewer people, never more
    tag_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("user_tags.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (Index("ix_post_audience_tags_tag_id", "tag_id"),)


class PostMedia(Base):
    __tablename__ = "post_media"

    post_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    media_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("media.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger, nullable=False)

    __table_args__ = (Index("ix_post_media_media_id", "media_id"),)


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    post_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False)
    author_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )

    __table_args__ = (
        Index("ix_comments_post_created", "post_id", "created_at", "id"),
        Index("ix_comments_author_id", "author_id"),
    )


class Reaction(Base):
    """One user's reaction of one kind to a post (a user may give several kinds, each once)."""

    __tablename__ = "reactions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    post_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )

    __table_args__ = (
        CheckConstraint("kind IN ('like', 'love', 'laugh', 'wow', 'sad')", name="kind"),
        # idempotent PUT (ON CONFLICT DO NOTHING); a page's counts and the caller's kinds (an index-only scan)
        UniqueConstraint("post_id", "user_id", "kind"),
        # the reactors list, newest first
        Index("ix_reactions_post_created", "post_id", text("created_at DESC"), text("id DESC")),
        # a user's reactions (their erasure, their export)
        Index("ix_reactions_user_id", "user_id"),
    )


class HomeTimeline(Base):
    """A reader's home timeline: ids of the posts that *might* be visible to them, newest first.

    Written when a post is created or its audience grows, backfilled when a connection or a tag
    membership begins, cut to a bounded depth. Reads still apply the visibility predicate, so removing
    access needs no write here. No foreign keys on purpose: fan-out stays cheap, and a row whose post is
    gone joins nothing.
    """

    __tablename__ = "home_timelines"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    post_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    author_id: Mapped[int] = mapped_column(BigInteger, nullable=False)


class TimelineHorizon(Base):
    """Where a cut timeline ends: every post visible to the user at or after ``(created_at, post_id)`` is in
    ``home_timelines``; older pages come from the read-time query. No row: the timeline is complete."""

    __tablename__ = "home_timeline_horizons"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    post_id: Mapped[int] = mapped_column(BigInteger, nullable=False)


class PendingFanOut(Base):
    """A new post whose audience was too large to write into timelines in its request
    (``timeline_fanout_max``): a job writes it (``posts.fan_out``) and deletes this row in one transaction.
    Until then, every feed page reads these rows beside the viewer's timeline, with the same visibility
    predicate, so the post is in its audience's feeds from its ``201`` on."""

    __tablename__ = "home_timeline_pending"

    post_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    author_id: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (Index("ix_home_timeline_pending_created_at", text("created_at DESC"), text("post_id DESC")),)
