"""Run the Alembic migrations (one history at the repository root) programmatically."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config


def find_alembic_ini() -> Path:
    candidates = [Path.cwd(), *Path(__file__).resolve().parents]
    for base in candidates:
        ini = base / "alembic.ini"
        if ini.is_file() and (base / "migrations").is_dir():
            return ini
    raise FileNotFoundError("alembic.ini not found: run hearth from the repository checkout")


def alembic_config(database_url: str) -> Config:
    ini = find_alembic_ini()
    cfg = Config(str(ini))
    cfg.set_main_option("script_location", str(ini.parent / "migrations"))
    cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
