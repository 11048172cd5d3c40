"""Settings: HEARTH_ environment and .env, strict production, and a .env.example that lists them all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from hearth_platform.settings import PUBLISHED_SECRET_KEYS, SECRET_KEY_FILE, Settings

REPO = Path(__file__).resolve().parents[3]
GOOD_SECRET = "a-random-production-secret-0123456789abcdef"
PUBLISHED = "dev-insecure-secret-change-me"  # the key the old .env.example published
ENV_LINE = re.compile(r"^(HEARTH_[A-Z0-9_]+)=(.*)$")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No HEARTH_ variable or .env from the machine running the tests leaks into these."""
    for name in Settings.model_fields:
        monkeypatch.delenv(f"HEARTH_{name.upper()}", raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_are_for_a_laptop() -> None:
    s = Settings()
    assert s.env == "development"
    assert s.database_url is None  # the embedded database
    assert s.max_body_bytes == 1_048_576
    assert s.rate_limits() == {
        "login": "10/minute",
        "register": "5/hour",
        "write": "60/minute",
        "default": "600/minute",
        "login_failures": "10/15minutes",
        "password_reset": "5/hour",
    }
    assert s.allowed_hosts == [] and s.trusted_proxies == []
    assert s.media_dir == Path(".hearth") / "media"


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(ValidationError, match="HEARTH_SECRET_KEY"):
        Settings(env="production", database_url="postgresql://db/hearth")
    with pytest.raises(ValidationError, match="HEARTH_SECRET_KEY"):
        Settings(env="production", database_url="postgresql://db/hearth", secret_key=SecretStr(PUBLISHED))


def test_without_a_secret_each_install_makes_its_own(tmp_path: Path) -> None:
    """No published key is ever used: an unset key is a random one kept in the data directory (0600),
    the same for every process of the install and across restarts, another for another install."""
    first = Settings()
    assert not first.secret_key_configured
    key = first.secret_key.get_secret_value()
    assert len(key) >= 32 and key not in PUBLISHED_SECRET_KEYS
    path = tmp_path / ".hearth" / SECRET_KEY_FILE
    assert path.read_text().strip() == key
    assert path.stat().st_mode & 0o777 == 0o600
    assert Settings().secret_key.get_secret_value() == key  # another worker, or the next start
    other = Settings(data_dir=tmp_path / "elsewhere")
    assert other.secret_key.get_secret_value() != key


def test_an_empty_secret_is_unset(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("HEARTH_SECRET_KEY=\n")
    s = Settings()
    assert not s.secret_key_configured and len(s.secret_key.get_secret_value()) >= 32


def test_a_published_secret_is_refused_in_every_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    assert PUBLISHED in PUBLISHED_SECRET_KEYS
    monkeypatch.setenv("HEARTH_SECRET_KEY", PUBLISHED)
    with pytest.raises(ValidationError, match="published"):
        Settings()


def test_production_refuses_a_short_secret() -> None:
    with pytest.raises(ValidationError, match="HEARTH_SECRET_KEY"):
        Settings(env="production", database_url="postgresql://db/hearth", secret_key=SecretStr("short-secret"))


def test_production_refuses_the_embedded_database() -> None:
    with pytest.raises(ValidationError, match="HEARTH_DATABASE_URL"):
        Settings(env="production", secret_key=SecretStr(GOOD_SECRET))


def test_production_starts_with_a_secret_and_a_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEARTH_ENV", "production")
    monkeypatch.setenv("HEARTH_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("HEARTH_DATABASE_URL", "postgresql://hearth@db:5432/hearth")
    s = Settings()
    assert s.env == "production"
    assert s.secret_key.get_secret_value() == GOOD_SECRET
    assert GOOD_SECRET not in repr(s)  # the secret never shows in logs or tracebacks


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEARTH_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("HEARTH_RATE_LIMIT_ENABLED", "false")
    monkeypatch.setenv("HEARTH_RATE_LIMIT_LOGIN", "3/minute")
    monkeypatch.setenv("HEARTH_LOG_FORMAT", "console")
    s = Settings()
    assert (s.max_body_bytes, s.rate_limit_enabled, s.rate_limit_login, s.log_format) == (
        2048,
        False,
        "3/minute",
        "console",
    )


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("HEARTH_LOG_LEVEL=DEBUG\nHEARTH_S3_BUCKET=from-dotenv\n")
    monkeypatch.setenv("HEARTH_S3_BUCKET", "from-env")
    s = Settings()
    assert s.log_level == "DEBUG"
    assert s.s3_bucket == "from-env"


def test_empty_value_means_unset(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("HEARTH_DATABASE_URL=\nHEARTH_REDIS_URL=\nHEARTH_STORAGE_DIR=\n")
    s = Settings()
    assert s.database_url is None and s.redis_url is None
    assert s.media_dir == Path(".hearth") / "media"  # not the current directory


def test_hosts_and_proxies_are_comma_separated_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEARTH_ALLOWED_HOSTS", "Hearth.Example, *.example.org,[::1]")
    monkeypatch.setenv("HEARTH_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7")
    s = Settings()
    assert s.allowed_hosts == ["hearth.example", ".example.org", "::1"]
    assert s.trusted_proxies == ["10.0.0.0/8", "192.0.2.7/32"]
    assert Settings(_env_file=None, allowed_hosts="", trusted_proxies="").allowed_hosts == []  # type: ignore[call-arg]


def test_replica_urls_are_a_comma_separated_list_of_a_configured_primary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEARTH_DATABASE_URL", "postgresql://hearth@primary/hearth")
    monkeypatch.setenv("HEARTH_DATABASE_REPLICA_URLS", "postgresql://hearth@r1/hearth, postgresql://hearth@r2/hearth")
    assert Settings(_env_file=None).database_replica_urls == [  # type: ignore[call-arg]
        "postgresql://hearth@r1/hearth",
        "postgresql://hearth@r2/hearth",
    ]
    monkeypatch.setenv("HEARTH_DATABASE_REPLICA_URLS", "")
    assert Settings(_env_file=None).database_replica_urls == []  # type: ignore[call-arg]
    monkeypatch.delenv("HEARTH_DATABASE_URL")
    monkeypatch.setenv("HEARTH_DATABASE_REPLICA_URLS", "postgresql://hearth@r1/hearth")
    with pytest.raises(ValidationError, match="HEARTH_DATABASE_REPLICA_URLS needs HEARTH_DATABASE_URL"):
        Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HEARTH_TRUSTED_PROXIES", "proxy.internal"),
        ("HEARTH_ENV", "staging"),
        ("HEARTH_LOG_FORMAT", "xml"),
        ("HEARTH_MAX_BODY_BYTES", "10"),
        ("HEARTH_DB_POOL_SIZE", "0"),
    ],
)
def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


# ---- .env.example ---------------------------------------------------------------------------------


def _example() -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        m = ENV_LINE.match(line)
        if m:
            assert m.group(1) not in entries, f"{m.group(1)} is listed twice"
            entries[m.group(1)] = m.group(2)
    return entries


def test_env_example_lists_every_setting() -> None:
    expected = {f"HEARTH_{name.upper()}" for name in Settings.model_fields}
    listed = set(_example())
    assert listed - expected == set(), "listed but not a setting"
    assert expected - listed == set(), "settings missing from .env.example"


def test_env_example_gives_each_setting_a_comment() -> None:
    lines = (REPO / ".env.example").read_text().splitlines()
    for i, line in enumerate(lines):
        if ENV_LINE.match(line):
            assert i > 0 and lines[i - 1].startswith("# "), f"no comment above {line}"


def test_env_example_publishes_no_key() -> None:
    assert _example()["HEARTH_SECRET_KEY"] == ""


def test_env_example_values_are_the_defaults() -> None:
    from_example = Settings(_env_file=str(REPO / ".env.example"))  # type: ignore[call-arg]
    assert from_example.model_dump() == Settings(_env_file=None).model_dump()  # type: ignore[call-arg]
