"""Home timelines: new posts whose audience is too large to write in their request, until a job writes them.

Revision ID: 0014_timeline_pending
Revises: 0013_stream_events
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_timeline_pending"
down_revision: str | None = "0013_stream_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "home_timeline_pending",
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_home_timeline_pending_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_home_timeline_pending")),
    )
    op.create_index(
        "ix_home_timeline_pending_created_at",
        "home_timeline_pending",
        [sa.text("created_at DESC"), sa.text("post_id DESC")],
    )


def downgrade() -> None:
    op.drop_table("home_timeline_pending")
