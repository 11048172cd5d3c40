"""Alembic environment: one history for the one database, reading every package's tables."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool

import hearth_api.wiring  # noqa: F401 - importing the composition root registers every package's tables
from hearth_platform.database import metadata, normalize_url

config = context.config


def _url() -> str:
    url = config.attributes.get("database_url") or os.environ.get("HEARTH_DATABASE_URL")
    if not url:
        raise RuntimeError("set HEARTH_DATABASE_URL (or use `hearth migrate`, which knows the embedded one)")
    return str(normalize_url(url).render_as_string(hide_password=False))


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
