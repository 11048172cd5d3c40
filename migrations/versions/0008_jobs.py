"""The job engine's schema: procrastinate 3.10's tables, types, functions and triggers (psycopg 3).

Its SQL is kept beside this file as procrastinate ships it (``procrastinate_3_10_schema.sql``), frozen:
a later procrastinate release brings its own schema migrations, applied as revisions after this one.
The tables are not the models' (``migrations/env.py`` leaves ``procrastinate_*`` out of ``alembic check``).

Revision ID: 0008
Revises: 0007_media
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007_media"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = Path(__file__).with_name("procrastinate_3_10_schema.sql")


def upgrade() -> None:
    # many statements with dollar-quoted bodies: sent as one simple query on the migration's connection
    # (its transaction), which SQLAlchemy's text() would try to parse for parameters
    op.get_bind().connection.driver_connection.execute(SCHEMA.read_text())


def downgrade() -> None:
    # functions first (some return rows of the jobs table; CASCADE: the triggers that call them), then tables
    op.execute(
        """
        DO $$
        DECLARE f record;
        BEGIN
            FOR f IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
                     JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'
            LOOP
                EXECUTE 'DROP FUNCTION ' || f.signature || ' CASCADE';
            END LOOP;
        END
        $$
        """
    )
    op.execute(
        "DROP TABLE procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, procrastinate_workers"
    )
    op.execute("DROP TYPE procrastinate_job_to_defer_v1, procrastinate_job_event_type, procrastinate_job_status")
