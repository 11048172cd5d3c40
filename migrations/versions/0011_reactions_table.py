"""Reactions: one row per user, post and kind (counted when read: a reaction writes no shared row).

Revision ID: 0011_reactions
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_reactions"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reactions",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.clock_timestamp(), nullable=False),
        sa.CheckConstraint("kind IN ('like', 'love', 'laugh', 'wow', 'sad')", name=op.f("ck_reactions_kind")),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_reactions_post_id_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reactions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reactions")),
        sa.UniqueConstraint("post_id", "user_id", "kind", name=op.f("uq_reactions_post_id_user_id_kind")),
    )
    op.create_index(
        "ix_reactions_post_created", "reactions", ["post_id", sa.text("created_at DESC"), sa.text("id DESC")]
    )
    op.create_index("ix_reactions_user_id", "reactions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_reactions_user_id", table_name="reactions")
    op.drop_index("ix_reactions_post_created", table_name="reactions")
    op.drop_table("reactions")
