"""Media erasure: media found attached are marked kept, so the erasure of media never attached looks at
each media once (a partial index of the others, by age).

Revision ID: 0007_media
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_media"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("media", sa.Column("kept", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index(
        op.f("ix_media_unkept_created_at"), "media", ["created_at"], postgresql_where=sa.text("NOT kept")
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_media_unkept_created_at"), table_name="media")
    op.drop_column("media", "kept")
