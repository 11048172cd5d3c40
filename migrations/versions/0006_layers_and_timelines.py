"""Layers and home timelines: media no longer points up at users; per-reader home timelines.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # storage sits below identity: its table keeps the owner's id, with no foreign key up the layers
    op.drop_constraint(op.f("fk_media_owner_id_users"), "media", type_="foreignkey")
    # a post's media ids, in order, on its row (post_media stays: which posts carry a media)
    op.add_column(
        "posts",
        sa.Column("media_ids", sa.ARRAY(sa.BigInteger()), server_default=sa.text("'{}'"), nullable=False),
    )
    op.execute(
        """
        UPDATE posts p SET media_ids = m.ids
        FROM (SELECT post_id, array_agg(media_id ORDER BY position) AS ids FROM post_media GROUP BY post_id) m
        WHERE m.post_id = p.id
        """
    )
    op.create_table(
        "home_timelines",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "created_at", "post_id", name=op.f("pk_home_timelines")),
    )
    op.create_table(
        "home_timeline_horizons",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_home_timeline_horizons")),
    )
    # Timelines of the posts that exist: each user's own posts and those of connections that could be
    # visible to them (the visibility predicate still decides at read time). Complete, so no horizons.
    op.execute(
        """
        INSERT INTO home_timelines (user_id, created_at, post_id, author_id)
        SELECT p.author_id, p.created_at, p.id, p.author_id FROM posts p
        UNION
        SELECT c.other, p.created_at, p.id, p.author_id
        FROM (SELECT user_a_id AS author, user_b_id AS other FROM connections WHERE status = 'connected'
              UNION ALL
              SELECT user_b_id, user_a_id FROM connections WHERE status = 'connected') c
        JOIN posts p ON p.author_id = c.author
        """
    )


def downgrade() -> None:
    op.drop_table("home_timeline_horizons")
    op.drop_table("home_timelines")
    op.drop_column("posts", "media_ids")
    op.create_foreign_key(
        op.f("fk_media_owner_id_users"), "media", "users", ["owner_id"], ["id"], ondelete="CASCADE"
    )
