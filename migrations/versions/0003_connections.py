"""Connections: requests, connections, blocks, audience tags and their members.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connection_requests",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("from_user_id", sa.BigInteger(), nullable=False),
        sa.Column("to_user_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connection_requests")),
        sa.ForeignKeyConstraint(
            ["from_user_id"], ["users.id"], name=op.f("fk_connection_requests_from_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["to_user_id"], ["users.id"], name=op.f("fk_connection_requests_to_user_id_users"), ondelete="CASCADE"
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'rejected', 'cancelled')", name=op.f("ck_connection_requests_status")
        ),
        sa.CheckConstraint("from_user_id <> to_user_id", name=op.f("ck_connection_requests_not_self")),
    )
    # one pending request per pair, whichever direction
    op.create_index(
        op.f("uq_connection_requests_pending_pair"),
        "connection_requests",
        [sa.text("least(from_user_id, to_user_id)"), sa.text("greatest(from_user_id, to_user_id)")],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        op.f("ix_connection_requests_to_user_id"),
        "connection_requests",
        ["to_user_id", "created_at", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        op.f("ix_connection_requests_from_user_id"),
        "connection_requests",
        ["from_user_id", "created_at", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )

    op.create_table(
        "connections",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("user_a_id", sa.BigInteger(), nullable=False),
        sa.Column("user_b_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default=sa.text("'connected'"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
        sa.ForeignKeyConstraint(
            ["user_a_id"], ["users.id"], name=op.f("fk_connections_user_a_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_b_id"], ["users.id"], name=op.f("fk_connections_user_b_id_users"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("user_a_id", "user_b_id", name=op.f("uq_connections_user_a_id_user_b_id")),
        sa.CheckConstraint("user_a_id < user_b_id", name=op.f("ck_connections_ordered_pair")),
        sa.CheckConstraint("status IN ('connected')", name=op.f("ck_connections_status")),
    )
    op.create_index(op.f("ix_connections_user_a_id"), "connections", ["user_a_id", "user_b_id", "status"], unique=False)
    op.create_index(op.f("ix_connections_user_b_id"), "connections", ["user_b_id", "user_a_id"], unique=False)

    op.create_table(
        "blocks",
        sa.Column("blocker_id", sa.BigInteger(), nullable=False),
        sa.Column("blocked_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id", name=op.f("pk_blocks")),
        sa.ForeignKeyConstraint(
            ["blocker_id"], ["users.id"], name=op.f("fk_blocks_blocker_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["blocked_id"], ["users.id"], name=op.f("fk_blocks_blocked_id_users"), ondelete="CASCADE"
        ),
        sa.CheckConstraint("blocker_id <> blocked_id", name=op.f("ck_blocks_not_self")),
    )
    op.create_index(op.f("ix_blocks_blocked_id"), "blocks", ["blocked_id"], unique=False)

    op.create_table(
        "user_tags",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("owner_user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_tags")),
        sa.ForeignKeyConstraint(
            ["owner_user_id"], ["users.id"], name=op.f("fk_user_tags_owner_user_id_users"), ondelete="CASCADE"
        ),
        sa.CheckConstraint("char_length(name) >= 1", name=op.f("ck_user_tags_name_not_empty")),
    )
    # one name per owner, case-insensitively
    op.create_index(
        op.f("uq_user_tags_owner_user_id_lower_name"),
        "user_tags",
        ["owner_user_id", sa.text("lower(name)")],
        unique=True,
    )

    op.create_table(
        "user_tag_members",
        sa.Column("tag_id", sa.BigInteger(), nullable=False),
        sa.Column("target_user_id", sa.BigInteger(), nullable=False),
        sa.Column("owner_user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("tag_id", "target_user_id", name=op.f("pk_user_tag_members")),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["user_tags.id"], name=op.f("fk_user_tag_members_tag_id_user_tags"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["target_user_id"],
            ["users.id"],
            name=op.f("fk_user_tag_members_target_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["users.id"],
            name=op.f("fk_user_tag_members_owner_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("owner_user_id <> target_user_id", name=op.f("ck_user_tag_members_not_self")),
    )
    op.create_index(
        op.f("ix_user_tag_members_owner_user_id"),
        "user_tag_members",
        ["owner_user_id", "target_user_id", "tag_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_user_tag_members_target_user_id"), "user_tag_members", ["target_user_id", "tag_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_user_tag_members_target_user_id"), table_name="user_tag_members")
    op.drop_index(op.f("ix_user_tag_members_owner_user_id"), table_name="user_tag_members")
    op.drop_table("user_tag_members")
    op.drop_index(op.f("uq_user_tags_owner_user_id_lower_name"), table_name="user_tags")
    op.drop_table("user_tags")
    op.drop_index(op.f("ix_blocks_blocked_id"), table_name="blocks")
    op.drop_table("blocks")
    op.drop_index(op.f("ix_connections_user_b_id"), table_name="connections")
    op.drop_index(op.f("ix_connections_user_a_id"), table_name="connections")
    op.drop_table("connections")
    op.drop_index(op.f("ix_connection_requests_from_user_id"), table_name="connection_requests")
    op.drop_index(op.f("ix_connection_requests_to_user_id"), table_name="connection_requests")
    op.drop_index(op.f("uq_connection_requests_pending_pair"), table_name="connection_requests")
    op.drop_table("connection_requests")
