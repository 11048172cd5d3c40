"""Notifications: one row per thing a user is told, keyed by recipient and actor, cascading from its post
or comment; what the recipient may see of them is decided when they are read.

Revision ID: 0012_notifications
Revises: 0011_reactions
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_notifications"
down_revision: str | None = "0011_reactions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TYPES = "'connection_request', 'connection_accepted', 'comment', 'reply', 'reaction', 'mention'"


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("recipient_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=True),
        sa.Column("comment_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.clock_timestamp(), nullable=False),
        sa.Column("read", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.CheckConstraint(f"type IN ({TYPES})", name=op.f("ck_notifications_type")),
        sa.CheckConstraint("recipient_id <> actor_id", name=op.f("ck_notifications_not_self")),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["users.id"], name=op.f("fk_notifications_recipient_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_notifications_actor_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_notifications_post_id_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name=op.f("fk_notifications_comment_id_comments"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(
        "ix_notifications_recipient_created",
        "notifications",
        ["recipient_id", sa.text("created_at DESC"), sa.text("id DESC")],
    )
    op.create_index(
        "ix_notifications_recipient_unread", "notifications", ["recipient_id", "id"], postgresql_where=sa.text("NOT read")
    )
    op.create_index("ix_notifications_actor_id", "notifications", ["actor_id"])
    op.create_index(
        "ix_notifications_post_id", "notifications", ["post_id"], postgresql_where=sa.text("post_id IS NOT NULL")
    )
    op.create_index(
        "ix_notifications_comment_id",
        "notifications",
        ["comment_id"],
        postgresql_where=sa.text("comment_id IS NOT NULL"),
    )
    op.create_index(
        "uq_notifications_reaction",
        "notifications",
        ["recipient_id", "post_id", "actor_id"],
        unique=True,
        postgresql_where=sa.text("type = 'reaction'"),
    )
    op.create_index(
        "uq_notifications_mention",
        "notifications",
        ["recipient_id", "post_id", "comment_id"],
        unique=True,
        postgresql_nulls_not_distinct=True,
        postgresql_where=sa.text("type = 'mention'"),
    )


def downgrade() -> None:
    op.drop_table("notifications")  # its indexes go with it
