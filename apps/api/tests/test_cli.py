"""The ``hearth`` command: openapi prints the schema; a production profile refuses unsafe settings."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hearth_api.cli import main, serve_refusal, served_base_url
from hearth_platform.settings import Settings


@pytest.fixture(autouse=True)
def _no_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    for name in ("HEARTH_ENV", "HEARTH_SECRET_KEY", "HEARTH_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_openapi_prints_the_schema_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["openapi"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Hearth"
    assert isinstance(schema["paths"], dict)
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


def test_openapi_is_stable(capsys: pytest.CaptureFixture[str]) -> None:
    main(["openapi"])
    first = capsys.readouterr().out
    main(["openapi", "--indent"])
    indented = capsys.readouterr().out
    assert json.loads(first) == json.loads(indented)
    assert "\n  " in indented


def test_unknown_command_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["frobnicate"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["serve"], ["migrate"]])
def test_production_refuses_to_start_with_the_default_secret(
    monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("HEARTH_ENV", "production")
    monkeypatch.setenv("HEARTH_DATABASE_URL", "postgresql://hearth@127.0.0.1:1/hearth")
    with pytest.raises(ValueError, match="HEARTH_SECRET_KEY"):
        main(command)


def test_replicas_with_several_workers_need_redis(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HEARTH_DATABASE_URL", "postgresql://hearth@127.0.0.1:1/hearth")
    monkeypatch.setenv("HEARTH_DATABASE_REPLICA_URLS", "postgresql://hearth@127.0.0.1:2/hearth")
    monkeypatch.delenv("HEARTH_REDIS_URL", raising=False)
    assert main(["serve", "--workers", "2"]) == 2
    assert "HEARTH_REDIS_URL" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8123"),
        ("localhost", "http://localhost:8123"),
        ("0.0.0.0", "http://127.0.0.1:8123"),  # noqa: S104 - every interface, loopback among them
        ("::1", "http://[::1]:8123"),
        ("::", "http://127.0.0.1:8123"),
    ],
)
def test_media_urls_name_the_address_served(host: str, url: str) -> None:
    assert served_base_url(host, 8123) == url


def test_serving_beyond_loopback_needs_a_configured_key(tmp_path: object) -> None:
    own_key = Settings(_env_file=None)  # type: ignore[call-arg]
    assert serve_refusal(own_key, "127.0.0.1") is None
    assert serve_refusal(own_key, "::1") is None
    assert "HEARTH_SECRET_KEY" in (serve_refusal(own_key, "0.0.0.0") or "")  # noqa: S104
    assert "HEARTH_SECRET_KEY" in (serve_refusal(own_key, "192.0.2.10") or "")
    configured = Settings(_env_file=None, secret_key="k" * 40)  # type: ignore[call-arg]
    assert serve_refusal(configured, "0.0.0.0") is None  # noqa: S104


def test_help_loads_no_part_of_the_app() -> None:
    """``hearth --help`` (and each command's) answers from the standard library alone: no web framework, ORM
    or settings are imported to print it (what made it take seconds)."""
    probe = (
        "import sys\n"
        "from hearth_api.cli import main\n"
        "for argv in (['--help'], ['serve', '--help'], ['seed', '--help'], ['worker', '--help'],\n"
        "             ['admin', '--help'], ['admin', 'create-invite', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "modules = ('fastapi', 'sqlalchemy', 'pydantic', 'pydantic_settings', 'uvicorn', 'procrastinate')\n"
        "heavy = sorted(m for m in modules if m in sys.modules)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert "HEAVY []" in done.stderr, done.stderr
    assert "(default: 8000)" in done.stdout and "(default: demo)" in done.stdout


def test_reload_runs_one_worker(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--reload", "--workers", "2"]) == 2
    assert "--reload" in capsys.readouterr().err
