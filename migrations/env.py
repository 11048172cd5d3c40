"""Alembic environment: one history for the one database, reading every package's tables."""

from __future__ import annotations

import os
from typing import Any

from alembic import context
from sqlalchemy import create_engine, pool

from hearth_platform.database import normalize_url

config = context.config


def _target_metadata() -> Any:
    """Every package's tables, for ``alembic check`` and autogenerate. Upgrades and downgrades need none:
    a caller that only applies the history (a package's tests) sets ``schema_only`` and imports no package."""
    if config.attributes.get("schema_only"):
        return None
    import hearth_api.app  # noqa: F401 - importing the composition root registers every package's tables
    from hearth_platform.database import metadata

    return metadata


def _ours(name: str | None, type_: str, parent_names: Any) -> bool:
    """The job engine's tables (``procrastinate_*``, created by ``0008`` from its own SQL) have no
    models: ``alembic check`` compares everything else."""
    return not (type_ == "table" and name is not None and name.startswith("procrastinate_"))


def _url() -> str:
    url = config.attributes.get("database_url") or os.environ.get("HEARTH_DATABASE_URL")
    if not url:
        raise RuntimeError("set HEARTH_DATABASE_URL (or use `hearth migrate`, which knows the embedded one)")
    return str(normalize_url(url).render_as_string(hide_password=False))


def run_offline() -> None:
    context.configure(
        url=_url(), target_metadata=_target_metadata(), literal_binds=True, compare_type=True, include_name=_ours
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=_target_metadata(), compare_type=True, include_name=_ours
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=_target_metadata(), compare_type=True, include_name=_ours)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
