"""Settings for every process, read from the environment (prefix ``HEARTH_``) and ``.env``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "dev-insecure-secret-change-me"  # noqa: S105 - the documented laptop default


class Settings(BaseSettings):
    """All configuration. Defaults are safe for a laptop; production refuses the unsafe ones."""

    # An empty value (``HEARTH_REDIS_URL=`` in .env) means "unset", not an empty string or Path(".").
    model_config = SettingsConfigDict(env_prefix="HEARTH_", env_file=".env", extra="ignore", env_parse_none_str="")

    env: Literal["development", "production"] = "development"

    # Database: unset means an embedded PostgreSQL under data_dir (development only).
    database_url: str | None = None
    data_dir: Path = Path(".hearth")
    db_pool_size: int = Field(default=20, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    # Home timelines keep each reader's newest posts up to this depth; deeper pages are read at request time.
    timeline_depth: int = Field(default=1000, ge=20, le=100_000)

    # Shared cache and rate-limit counters; unset means in-process.
    redis_url: str | None = None
    redis_key_prefix: str = "hearth:"  # keys of the cache and rate-limit counters; one per deployment
    # In-process cache when Redis is unset. `hearth serve --workers N` (N > 1) without Redis turns it off:
    # one worker's invalidation cannot reach another worker's memory.
    process_cache: bool = True

    # Media storage.
    storage_backend: Literal["local", "s3"] = "local"
    storage_dir: Path | None = None  # default: <data_dir>/media
    s3_bucket: str = "hearth-media"
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    media_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    # How long a download URL works: the longest a viewer who lost access to a post can still fetch its media.
    media_url_ttl_seconds: int = Field(default=300, ge=60)
    public_base_url: str = "http://127.0.0.1:8000"

    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60)

    max_body_bytes: int = Field(default=1_048_576, ge=1024)

    rate_limit_enabled: bool = True
    rate_limit_login: str = "10/minute"
    rate_limit_register: str = "5/hour"
    rate_limit_write: str = "60/minute"
    rate_limit_default: str = "600/minute"

    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"

    # Media quotas: what one user's media (uploaded or announced) may add up to, and how long a media never
    # attached to a post or avatar is kept before it is erased.
    media_quota_bytes: int = Field(default=1024 * 1024 * 1024, ge=1)
    media_unattached_ttl_seconds: int = Field(default=24 * 3600, ge=60)

    @model_validator(mode="after")
    def _production_is_strict(self) -> Settings:
        if self.env == "production":
            problems = []
            if self.secret_key.get_secret_value() == DEFAULT_SECRET_KEY or len(self.secret_key.get_secret_value()) < 32:
                problems.append("HEARTH_SECRET_KEY must be set to a random value of at least 32 characters")
            if not self.database_url:
                problems.append("HEARTH_DATABASE_URL must be set (no embedded database in production)")
            if problems:
                raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self

    @property
    def media_dir(self) -> Path:
        return self.storage_dir if self.storage_dir is not None else self.data_dir / "media"

    def rate_limits(self) -> dict[str, str]:
        return {
            "login": self.rate_limit_login,
            "register": self.rate_limit_register,
            "write": self.rate_limit_write,
            "default": self.rate_limit_default,
        }
