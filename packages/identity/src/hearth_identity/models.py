"""The tables identity owns: ``users``, ``auth_tokens``, ``one_time_tokens`` (password reset, email
verification) and ``account_exports``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    LargeBinary,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from hearth_platform.database import Base

ACTIVE = "active"
SUSPENDED = "suspended"  # by an operator: cannot log in, content hidden from everyone else
ERASING = "erasing"  # deleted by its owner: hidden from everyone at once, erased by a job soon after


class User(Base):
    """An account. ``username`` and ``email`` are stored lower-case; uniqueness is the database's job."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("username = lower(username)", name="username_lower"),
        CheckConstraint("email = lower(email)", name="email_lower"),
        CheckConstraint("status IN ('active', 'suspended', 'erasing')", name="status"),
        # the few accounts that are not active: what reads of other users' content leave out
        Index("ix_users_inactive", "id", postgresql_where=text("status <> 'active'")),
    )
    __mapper_args__ = {"eager_defaults": True}  # INSERT ... RETURNING id, created_at

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    username: Mapped[str] = mapped_column(String(30), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str] = mapped_column(String(80))
    bio: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Media is storage's (a layer below): read through its face, by id.
    avatar_media_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), server_default=ACTIVE)


class AuthToken(Base):
    """A bearer token, stored only as the SHA-256 of the token the client holds."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # written in the background at most once a minute per token (``activity.py``), not on every request
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user_agent: Mapped[str | None] = mapped_column(String(256))


PASSWORD_RESET = "password_reset"  # noqa: S105 - a kind of token, not a secret
VERIFY_EMAIL = "verify_email"


class OneTimeToken(Base):
    """A link mailed to the owner of an address (password reset, email verification): single use, stored only
    as its SHA-256, valid until ``expires_at``."""

    __tablename__ = "one_time_tokens"
    __table_args__ = (CheckConstraint("kind IN ('password_reset', 'verify_email')", name="kind"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


EXPORT_PENDING = "pending"
EXPORT_READY = "ready"
EXPORT_FAILED = "failed"


class AccountExport(Base):
    """A zip of an account's data, built by a job into storage (``key``) and downloaded through a
    time-limited URL. One pending export per user at a time (a partial unique index)."""

    __tablename__ = "account_exports"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'ready', 'failed')", name="status"),
        Index(
            "uq_account_exports_pending_user_id", "user_id", unique=True, postgresql_where=text("status = 'pending'")
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), server_default=EXPORT_PENDING)
    key: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Invite(Base):
    """An invitation to register: its ``code`` is what the invitee brings. Open while unused and unexpired;
    ``connect`` connects inviter and invitee on registration. An operator's invite has no inviter."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    inviter_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    connect: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the invitee; cleared when their account is erased (the invite stays used)
    used_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"))


class SiteSetting(Base):
    """A setting an operator changes at run time (``hearth admin``), over its ``HEARTH_*`` default."""

    __tablename__ = "site_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
