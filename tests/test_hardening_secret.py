"""Issue 12, item 1: no deployment runs on a published key.

Without ``HEARTH_SECRET_KEY`` a server used to sign media URLs and cursors with the key the old
``.env.example`` published, so anyone could forge an upload over another user's image. Now an unset key
is this install's own random one (``<data dir>/secret_key``, made on first start), ``hearth serve`` will
not serve beyond loopback on it, the image runs in the production profile (which requires a key), and
``.env.example`` holds no key.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from hearth_platform.settings import Settings
from hearth_storage.local import UrlSigner
from hearth_testing import API, Serve, free_port, hearth_command, register, scratch_dir, serve

pytestmark = pytest.mark.slow

PUBLISHED = "dev-insecure-secret-change-me"  # the key the old .env.example published
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8


@pytest.fixture(scope="module")
def data_dir() -> Path:
    return scratch_dir("hearth-keyless-")


def _serve_keyless(database_url: str, data_dir: Path) -> Serve:
    """``hearth serve`` as a laptop runs it: HEARTH_SECRET_KEY unset (serve() sets a test key otherwise)."""
    command = ["env", "-u", "HEARTH_SECRET_KEY", *hearth_command()]
    return serve(database_url, command=command, HEARTH_DATA_DIR=str(data_dir))


@pytest.fixture(scope="module")
def keyless(database_url: str, data_dir: Path) -> Iterator[Serve]:
    server = _serve_keyless(database_url, data_dir)
    try:
        yield server
    finally:
        server.close()


def _announce(server: Serve, user: Any) -> dict[str, Any]:
    r = httpx.post(
        f"{server.base}{API}/media",
        json={"content_type": "image/png", "size_bytes": len(PNG)},
        headers=user.headers,
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def _resigned(url: str, signer: UrlSigner) -> str:
    """The same upload URL (key, type, size, expiry) signed with another key."""
    parsed = httpx.URL(url)
    key = parsed.path.removeprefix("/files/")
    q = dict(parsed.params)
    signature = signer.sign("PUT", key, q["type"], int(q["size"]), int(q["expires"]))
    return str(parsed.copy_merge_params({"signature": signature}))


def test_an_upload_signed_with_the_published_key_is_refused(keyless: Serve, data_dir: Path) -> None:
    with keyless.client() as http:
        owner = register(http, "key")
    announced = _announce(keyless, owner)
    upload = announced["upload"]
    forged = httpx.put(_resigned(upload["url"], UrlSigner(PUBLISHED)), content=PNG, headers=upload["headers"])
    assert forged.status_code == 403, forged.text
    # the server signs with this install's own key: random, kept in the data directory, readable by it alone
    key_file = data_dir / "secret_key"
    install_key = key_file.read_text().strip()
    assert len(install_key) >= 32 and install_key != PUBLISHED
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert _resigned(upload["url"], UrlSigner(install_key)) == upload["url"]
    assert httpx.put(upload["url"], content=PNG, headers=upload["headers"]).status_code == 200
    media = httpx.get(f"{keyless.base}{API}/media/{announced['media']['id']}", headers=owner.headers).json()
    assert media["status"] == "ready" and httpx.get(media["url"]).content == PNG


def test_the_install_key_survives_a_restart(keyless: Serve, database_url: str, data_dir: Path) -> None:
    """Cursors and URLs handed out before a restart still work after it: the key is kept, not remade."""
    with keyless.client() as http:
        owner = register(http, "restart")
    announced = _announce(keyless, owner)
    upload = announced["upload"]
    again = _serve_keyless(database_url, data_dir)
    try:
        put = httpx.put(upload["url"].replace(keyless.base, again.base), content=PNG, headers=upload["headers"])
        assert put.status_code == 200, put.text
    finally:
        again.close()


def test_serving_beyond_loopback_needs_a_configured_key(database_url: str) -> None:
    work = scratch_dir("hearth-offloopback-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_")}
    env.update(HEARTH_DATABASE_URL=database_url, HEARTH_DATA_DIR=str(work / "data"))
    argv = [*hearth_command(), "serve", "--host", "0.0.0.0", "--port", str(free_port())]  # noqa: S104
    done = subprocess.run(argv, env=env, cwd=work, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    assert "HEARTH_SECRET_KEY" in done.stderr


def _image_env() -> dict[str, str]:
    """The ``ENV`` of the Dockerfile (``KEY=value`` pairs, continued lines joined)."""
    text = (Path(__file__).resolve().parents[1] / "Dockerfile").read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(re.findall(r"(\w+)=(\"[^\"]*\"|\S+)", line))
    return env


def test_the_image_runs_in_the_production_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """So a container never starts on a key it made up: without HEARTH_SECRET_KEY it refuses to start."""
    image = {k: v for k, v in _image_env().items() if k.startswith("HEARTH_")}
    assert image.get("HEARTH_ENV") == "production"
    for name in Settings.model_fields:
        monkeypatch.delenv(f"HEARTH_{name.upper()}", raising=False)
    monkeypatch.chdir(tmp_path)
    for name, value in {**image, "HEARTH_DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HEARTH_DATABASE_URL", "postgresql://hearth@db:5432/hearth")
    with pytest.raises(ValidationError, match="HEARTH_SECRET_KEY"):
        Settings()
    assert not (tmp_path / "secret_key").exists()
