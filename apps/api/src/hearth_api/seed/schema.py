"""The database side of loading: the tables the seed owns, emptying them, dropping and rebuilding their
indexes around the bulk load, identity sequences and statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from .options import SeedError

# Tables the seed owns, in foreign-key order (parents first).
TABLES = (
    "users",
    "auth_tokens",
    "connection_requests",
    "connections",
    "blocks",
    "user_tags",
    "user_tag_members",
    "media",
    "posts",
    "post_audience_tags",
    "post_media",
    "comments",
)
# Derived from the above (migration 0006); older schemas have none of them.
TIMELINE_TABLES = ("home_timelines", "home_timeline_horizons")
IDENTITY_TABLES = (
    "users",
    "auth_tokens",
    "connection_requests",
    "connections",
    "user_tags",
    "media",
    "posts",
    "comments",
)

Conn = psycopg.Connection[Any]


def check_empty(conn: Conn, reset: bool) -> None:
    """Refuse a database that holds users or posts, unless ``reset`` (tables not created yet: empty)."""
    if reset:
        return
    held = []
    for table in ("users", "posts"):
        if not missing_tables(conn, (table,)):
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 - our own names
            if row and row[0]:
                held.append(f"{row[0]:,} {table}")
    if held:
        raise SeedError(
            f"the database already holds {' and '.join(held)}: nothing was changed "
            "(pass --reset to replace everything in it, or point HEARTH_DATABASE_URL at an empty database)"
        )


def missing_tables(conn: Conn, tables: tuple[str, ...]) -> list[str]:
    rows = conn.execute(
        "SELECT t FROM unnest(%s::text[]) AS t WHERE to_regclass(quote_ident(t)) IS NULL", (list(tables),)
    ).fetchall()
    return [str(r[0]) for r in rows]


def skip_foreign_keys(conn: Conn) -> bool:
    """Skip foreign-key triggers for the session when the role may (``session_replication_role``)."""
    try:
        with conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")
    except psycopg.Error:
        return False
    conn.execute("SET session_replication_role = replica")
    return True


@dataclass(frozen=True)
class Index:
    name: str
    table: str
    definition: str  # CREATE INDEX ... for an index, ADD CONSTRAINT ... for a constraint
    constraint: bool = False

    def drop(self, conn: Conn) -> None:
        if self.constraint:
            conn.execute(f'ALTER TABLE "{self.table}" DROP CONSTRAINT "{self.name}"')
        else:
            conn.execute(f'DROP INDEX "{self.name}"')

    def create(self, conn: Conn) -> None:
        if self.constraint:
            conn.execute(f'ALTER TABLE "{self.table}" ADD CONSTRAINT "{self.name}" {self.definition}')
        else:
            conn.execute(self.definition)


def secondary_indexes(conn: Conn, tables: tuple[str, ...]) -> list[Index]:
    """Every index on these tables that does not back a constraint, with its exact definition."""
    rows = conn.execute(
        """
        SELECT i.relname, t.relname, pg_get_indexdef(i.oid)
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        JOIN pg_namespace ns ON ns.oid = t.relnamespace
        WHERE ns.nspname = current_schema()
          AND t.relname = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        ORDER BY t.relname, i.relname
        """,
        (list(tables),),
    ).fetchall()
    return [Index(r[0], r[1], r[2]) for r in rows]


def key_constraints(conn: Conn, tables: tuple[str, ...]) -> list[Index]:
    """Primary keys and unique constraints of tables nothing refers to (their indexes may be rebuilt)."""
    rows = conn.execute(
        """
        SELECT c.conname, t.relname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c
        JOIN pg_class t ON t.oid = c.conrelid
        JOIN pg_namespace ns ON ns.oid = t.relnamespace
        WHERE ns.nspname = current_schema() AND t.relname = ANY(%s) AND c.contype IN ('p', 'u')
          AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.confrelid = t.oid)
        ORDER BY t.relname, c.conname
        """,
        (list(tables),),
    ).fetchall()
    return [Index(r[0], r[1], r[2], constraint=True) for r in rows]


def prepare(conn: Conn, tables: tuple[str, ...]) -> list[Index]:
    """Session settings for a bulk load, every table emptied, their secondary indexes dropped (returned, to
    be rebuilt). Foreign-key triggers are skipped when the role may (see :func:`skip_foreign_keys`)."""
    conn.execute("SET synchronous_commit = off")
    conn.execute("SET maintenance_work_mem = '512MB'")
    conn.execute("SET max_parallel_maintenance_workers = 2")
    conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    indexes = secondary_indexes(conn, tables)
    for index in indexes:
        index.drop(conn)
    return indexes


def move_sequences(conn: Conn) -> None:
    """Move every identity sequence past the ids written."""
    for table in IDENTITY_TABLES:
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - our own table names
            f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
        )


def max_ids(conn: Conn) -> dict[str, int]:
    out: dict[str, int] = {}
    for table in ("users", "connections", "user_tags", "media", "posts", "comments"):
        top = conn.execute(f"SELECT COALESCE(max(id), 0) FROM {table}").fetchone()  # noqa: S608 - our own names
        out[table] = int(top[0]) if top else 0
    return out


def analyze(conn: Conn, tables: tuple[str, ...]) -> None:
    conn.execute(f"ANALYZE {', '.join(tables)}")


def vacuum_freeze(conn: Conn, tables: tuple[str, ...]) -> None:
    """Freeze and analyze (outside a transaction): rows written by INSERT then need no hint-bit writes."""
    conn.execute(f"VACUUM (FREEZE, ANALYZE) {', '.join(tables)}")
