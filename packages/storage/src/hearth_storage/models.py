"""Tables owned by the storage package."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, Identity, Index, String, false, func, text
from sqlalchemy.orm import Mapped, mapped_column

from hearth_platform.database import Base

MEDIA_PENDING = "pending"
MEDIA_READY = "ready"


class MediaObject(Base):
    """One uploaded (or announced) object: ``pending`` until the bytes are confirmed, then ``ready``."""

    __tablename__ = "media"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'ready')", name="status"),
        CheckConstraint("size_bytes > 0", name="size_bytes_positive"),
        # the erasure of media never attached looks only at those it has not found attached yet
        Index("ix_media_unkept_created_at", "created_at", postgresql_where=text("NOT kept")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    # no foreign key: users live a layer above (identity); an account's media go with the account's erasure
    owner_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    key: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default=MEDIA_PENDING)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # found attached (to a post or an avatar) by the erasure of unattached media: kept for good, never
    # looked at again (the API erases media *never* attached)
    kept: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())
