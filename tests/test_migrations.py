"""The one migration history: a fresh database upgrades to head with no drift, downgrades step by step
to an empty schema and upgrades again to the same schema."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from hearth_api import migrate as hearth_migrate
from hearth_api.cli import main as hearth

pytestmark = pytest.mark.timeout(600)


@dataclass(frozen=True)
class Schema:
    tables: frozenset[str]
    indexes: frozenset[str]
    types: frozenset[str]
    sequences: frozenset[str]

    @property
    def empty(self) -> bool:
        return self.tables <= {"alembic_version"} and not self.types and not self.sequences


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def fresh_url(database_url: str) -> Iterator[str]:
    """A new, empty database on the test server (HEARTH_TEST_DATABASE_URL's, or the embedded one)."""
    name = f"hearth_migrations_{uuid.uuid4().hex[:10]}"
    admin = _plain(database_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """``hearth migrate`` configures logging for its process; put the test process's back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    root.setLevel(level)


def _schema(url: str) -> Schema:
    with psycopg.connect(_plain(url)) as conn:

        def names(sql: str) -> frozenset[str]:
            return frozenset(str(row[0]) for row in conn.execute(sql))

        return Schema(
            tables=names("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"),
            indexes=names("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"),
            types=names(
                "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                "WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')"
            ),
            sequences=names("SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'"),
        )


def _current(url: str) -> str | None:
    with psycopg.connect(_plain(url)) as conn:
        exists = conn.execute("SELECT to_regclass('public.alembic_version')").fetchone()
        if not exists or exists[0] is None:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return str(row[0]) if row else None


def _history(url: str) -> list[str]:
    """Revisions from base to head."""
    script = ScriptDirectory.from_config(hearth_migrate.alembic_config(url))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_history_is_one_straight_line(database_url: str) -> None:
    script = ScriptDirectory.from_config(hearth_migrate.alembic_config(database_url))
    assert len(script.get_heads()) == 1, "more than one head: merge the branches"
    assert len(script.get_bases()) == 1
    for rev in script.walk_revisions():
        assert rev.path is not None
        assert Path(rev.path).name.startswith(f"{rev.revision}_"), f"{rev.path}: name it NNNN_name.py"


@pytest.mark.usefixtures("restore_logging")
def test_upgrade_check_downgrade_upgrade(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from hearth_platform.database import metadata

    history = _history(fresh_url)
    assert _schema(fresh_url).tables == frozenset()

    # upgrade head the way an operator does: `hearth migrate`
    monkeypatch.setenv("HEARTH_DATABASE_URL", fresh_url)
    monkeypatch.setenv("HEARTH_LOG_LEVEL", "WARNING")
    assert hearth(["migrate"]) == 0
    capsys.readouterr()
    cfg = hearth_migrate.alembic_config(fresh_url)
    head = _schema(fresh_url)
    print("head:", sorted(head.tables))
    assert _current(fresh_url) == history[-1]
    assert set(metadata.tables) <= head.tables, "tables in the models that no migration creates"

    command.check(cfg)  # raises when the models and the migrations differ

    # down one step at a time, each a clean downgrade, to an empty schema
    steps = [head]
    for expected in reversed([None, *history[:-1]]):
        command.downgrade(cfg, "-1")
        assert _current(fresh_url) == expected
        steps.append(_schema(fresh_url))
        print(f"at {expected or 'base'}:", sorted(steps[-1].tables))
    assert steps[-1].empty, f"left behind by the downgrades: {steps[-1]}"

    # and up again, one step at a time, to exactly the same schema
    for expected in history:
        command.upgrade(cfg, "+1")
        assert _current(fresh_url) == expected
    assert _schema(fresh_url) == head
    command.check(cfg)


def test_every_package_model_is_seen_by_the_migrations(repo_root: Path) -> None:
    """``migrations/env.py`` only sees tables whose models the composition root imports; a package whose
    ``models.py`` is not imported would pass ``alembic check`` while its tables are never created."""
    probe = (
        "import importlib, pathlib, sys\n"
        "import hearth_api.app\n"
        "from hearth_platform.database import metadata\n"
        "seen = set(metadata.tables)\n"
        "for models in sorted(pathlib.Path('packages').glob('*/src/*/models.py')):\n"
        "    importlib.import_module(f'{models.parent.name}.models')\n"
        "print(sorted(set(metadata.tables) - seen))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_")}
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo_root, env=env, capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]", f"tables unknown to migrations/env.py: {out.stdout}"
