"""Tables owned by the connections package: requests, connections, blocks, audience tags and members.

Users live in identity's ``users`` table; it is referenced by name only (no import of identity).
Every invariant that concurrent requests could break is a constraint here, not a check in Python:
one pending request per pair (either direction), one connection per ordered pair, one block per
(blocker, blocked), one tag name per owner (case-insensitive), one membership per (tag, user).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from hearth_platform.database import Base

PENDING = "pending"
ACCEPTED = "accepted"
REJECTED = "rejected"
CANCELLED = "cancelled"
REQUEST_STATUSES = (PENDING, ACCEPTED, REJECTED, CANCELLED)

CONNECTED = "connected"

TAG_NAME_MAX = 50

_USERS_ID = "users.id"


class ConnectionRequest(Base):
    """A request from one user to another; ``pending`` until accepted, rejected or cancelled."""

    __tablename__ = "connection_requests"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    from_user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey(_USERS_ID, ondelete="CASCADE"), nullable=False)
    to_user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey(_USERS_ID, ondelete="CASCADE"), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default=text("'pending'"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'accepted', 'rejected', 'cancelled')", name="status"),
        CheckConstraint("from_user_id <> to_user_id", name="not_self"),
        # the incoming / outgoing lists: pending only, newest first
        Index(
            "ix_connection_requests_to_user_id",
            "to_user_id",
            "created_at",
            "id",
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "ix_connection_requests_from_user_id",
            "from_user_id",
            "created_at",
            "id",
            postgresql_where=text("status = 'pending'"),
        ),
    )


class Connection(Base):
    """A mutual connection, stored once per pair with ``user_a_id < user_b_id``."""

    __tablename__ = "connections"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_a_id: Mapped[int] = mapped_column(BigInteger, ForeignKey(_USERS_ID, ondelete="CASCADE"), nullable=False)
    user_b_id: Mapped[int] = mapped_column(BigInteger, ForeignKey(_USERS_ID, ondelete="CASCADE"), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default=text("'connected'"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())

    __table_args__ = (
        CheckConstraint("user_a_id < user_b_id", name="ordered_pair"),
        CheckConstraint("status IN ('connected')", name="status"),
        UniqueConstraint("user_a_id", "user_b_id"),
        Index("ix_connections_user_a_id", "user_a_id", "user_b_id", "status"),
        Index("ix_connections_user_b_id", "user_b_id", "user_a_id"),
    )


class Block(Base):
    """``blocker_id`` blocked ``blocked_id``: no requests, connection or tag membership either way."""

    __tablename__ = "blocks"

    blocker_id: Mapped[int] = mapped_column(BigInteger, ForeignKey(_USERS_ID, ondelete="CASCADE"), primary_key=True)
    blocked_id: Mapped[int] = mapped_column(BigInteger, ForeignKey(_USERS_ID, ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())

    __table_args__ = (
        CheckConstraint("blocker_id <> blocked_id", name="not_self"),
        Index("ix_blocks_blocked_id", "blocked_id"),
    )


class UserTag(Base):
    """A private audience tag ("family", "climbing club"); only its owner ever sees it."""

    __tablename__ = "user_tags"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    owner_user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey(_USERS_ID, ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(TAG_NAME_MAX), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())

    __table_args__ = (CheckConstraint("char_length(name) >= 1", name="name_not_empty"),)


class UserTagMember(Base):
    """``target_user_id`` is in ``owner_user_id``'s tag ``tag_id`` (the owner is denormalised for lookups)."""

    __tablename__ = "user_tag_members"

    tag_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("user_tags.id", ondelete="CASCADE"), primary_key=True)
    target_user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey(_USERS_ID, ondelete="CASCADE"), primary_key=True)
    owner_user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey(_USERS_ID, ondelete="CASCADE"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())

    __table_args__ = (
        CheckConstraint("owner_user_id <> target_user_id", name="not_self"),
        # "the owner's tags on these users" (GET /connections, removing a pair's memberships)
        Index("ix_user_tag_members_owner_user_id", "owner_user_id", "target_user_id", "tag_id"),
        # "which tags is the viewer in" (visibility of tag posts)
        Index("ix_user_tag_members_target_user_id", "target_user_id", "tag_id"),
    )


# At most one pending request per pair, whichever direction it goes (two users requesting each other
# at the same moment: the second insert fails here and becomes a 409).
Index(
    "uq_connection_requests_pending_pair",
    func.least(ConnectionRequest.from_user_id, ConnectionRequest.to_user_id),
    func.greatest(ConnectionRequest.from_user_id, ConnectionRequest.to_user_id),
    unique=True,
    postgresql_where=ConnectionRequest.status == PENDING,
)

# One name per owner, case-insensitively (also serves "all tags of an owner").
Index("uq_user_tags_owner_user_id_lower_name", UserTag.owner_user_id, func.lower(UserTag.name), unique=True)
