"""Settings for every process, read from the environment (prefix ``HEARTH_``) and ``.env``."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PUBLISHED_SECRET_KEYS = frozenset({"dev-insecure-secret-change-me"})
"""Keys once published as examples (an old ``.env.example``): never accepted, in any profile."""

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name
"""This install's own key, under the data directory, used when ``HEARTH_SECRET_KEY`` is unset."""

DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"

# settings that mean "unset" when empty, and whose being set or not is itself read (``model_fields_set``)
_UNSET_WHEN_EMPTY = ("secret_key", "public_base_url")


class Settings(BaseSettings):
    """All configuration. Defaults are safe for a laptop; production refuses the unsafe ones."""

    # An empty value (``HEARTH_REDIS_URL=`` in .env) means "unset", not an empty string or Path(".").
    model_config = SettingsConfigDict(env_prefix="HEARTH_", env_file=".env", extra="ignore", env_parse_none_str="")

    env: Literal["development", "production"] = "development"

    # Database: unset means an embedded PostgreSQL under data_dir (development only).
    database_url: str | None = None
    data_dir: Path = Path(".hearth")
    # per pool, two pools per process: workers x 2 x (size + overflow) must stay under PostgreSQL's
    # max_connections (100 by default): 60 for `hearth serve --workers 2`
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=5, ge=0, le=200)
    # Request handlers running at once per process (hearth_platform.routing): few, since they take turns at
    # Python's lock; more when the database is far away (each then waits longer per statement).
    handler_threads: int = Field(default=4, ge=1, le=256)
    # Streaming replicas (comma-separated URLs) that read-only requests read from when they have replayed what
    # the caller may not miss (see hearth_platform.replicas); empty: every read on the primary.
    database_replica_urls: Annotated[list[str], NoDecode] = []
    # A replica further behind than this is skipped until it catches up.
    replica_max_lag_seconds: float = Field(default=5.0, gt=0, le=3600)
    # How often each process reads the replicas' replay positions (and the primary's).
    replica_poll_interval_seconds: float = Field(default=0.2, ge=0.02, le=5)
    # Home timelines keep each reader's newest posts up to this depth; deeper pages are read at request time.
    timeline_depth: int = Field(default=1000, ge=20, le=100_000)
    # A new post reaching more readers than this (beside its author) is written into their timelines by a job
    # (posts.fan_out), not in its request; feeds read it from the pending list until then.
    timeline_fanout_max: int = Field(default=1000, ge=0, le=10_000_000)

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
    # Where clients reach the store, when not at s3_endpoint_url (e.g. the API talks to http://s3:8333 inside
    # a compose network, browsers to http://localhost:8333): presigned URLs are signed for this one.
    s3_public_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    media_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    # How long a download URL works: the longest a viewer who lost access to a post can still fetch its media.
    media_url_ttl_seconds: int = Field(default=300, ge=60)
    # Unset: `hearth serve` sets it to the address it serves on; an app built otherwise uses the default.
    public_base_url: str = DEFAULT_PUBLIC_BASE_URL

    # Unset: this install's own random key in <data_dir>/secret_key (created on first start; development only).
    secret_key: SecretStr = SecretStr("")
    token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60)

    max_body_bytes: int = Field(default=1_048_576, ge=1024)

    rate_limit_enabled: bool = True
    rate_limit_login: str = "10/minute"
    rate_limit_register: str = "5/hour"
    rate_limit_write: str = "60/minute"
    rate_limit_default: str = "600/minute"

    log_level: str = "INFO"
    # The interactive docs (/docs, /redoc; their assets are served by the app itself, nothing from a CDN):
    # unset means on, except in production.
    docs_enabled: bool | None = None
    # auto: readable console lines in a terminal, JSON lines otherwise
    log_format: Literal["auto", "json", "console"] = "auto"

    # Media quotas: what one user's media (uploaded or announced) may add up to, and how long a media never
    # attached to a post or avatar is kept before it is erased.
    media_quota_bytes: int = Field(default=1024 * 1024 * 1024, ge=1)
    media_unattached_ttl_seconds: int = Field(default=24 * 3600, ge=60)

    # -- The edges of HTTP: which hosts and proxies to believe, and how many wrong passwords an account takes --
    # Host names this server answers to (comma-separated; ".example.com" also matches its subdomains);
    # empty: any. Redirects never point at the request's Host either way.
    allowed_hosts: Annotated[list[str], NoDecode] = []
    # Addresses or networks of reverse proxies whose X-Forwarded-For / -Proto `hearth serve` believes.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    # Origins (scheme://host[:port], comma-separated) whose browser pages may call the API; empty: none.
    cors_origins: Annotated[list[str], NoDecode] = []
    # Failed logins per account (whatever the client address), on top of the per-address login limit.
    rate_limit_login_failures: str = "10/15minutes"

    # -- Jobs (hearth_platform.jobs): `hearth serve` runs a worker in process unless this is false --
    jobs_in_process: bool = True
    jobs_concurrency: int = Field(default=2, ge=1, le=64)  # jobs one worker runs at once
    # the queues a worker takes jobs from (comma-separated); empty: all of them
    jobs_queues: Annotated[list[str], NoDecode] = []
    # a failed job waits base ** attempt seconds before its next try (3: 9 s, 27 s, ... about 3 h over 8 tries)
    job_retry_base_seconds: int = Field(default=3, ge=0, le=60)

    # -- Mail: through SMTP when a host is set, else as files under <data_dir>/outbox --
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_tls: Literal["starttls", "ssl", "none"] = "starttls"  # ssl: implicit TLS (port 465)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = "Hearth <hearth@localhost>"
    # where links in mail point (`<this>/reset-password?token=...`, `/verify-email?token=...`: the client app
    # that handles them); unset: HEARTH_PUBLIC_BASE_URL
    mail_link_base_url: str | None = None

    # -- The account lifecycle (identity) --
    password_reset_ttl_seconds: int = Field(default=3600, ge=60)
    email_verification_ttl_seconds: int = Field(default=3 * 24 * 3600, ge=60)
    export_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60)  # an export's zip is deleted after this
    rate_limit_password_reset: str = "5/hour"  # noqa: S105 - requests per client address, not a secret
    # who may register: open (anyone), invite (a valid invite code), closed (nobody; `hearth admin create-user`).
    # `hearth admin registration-mode` changes it at run time, over this default
    registration_mode: Literal["open", "invite", "closed"] = "open"
    invite_quota: int = Field(default=10, ge=0, le=10_000)  # open (unused, unexpired) invites per user
    invite_ttl_seconds: int = Field(default=14 * 24 * 3600, ge=60)

    # -- The live stream (GET /api/v1/stream) --
    stream_max_per_user: int = Field(default=5, ge=1, le=100)  # open streams per user (every worker with Redis)
    stream_max_open: int = Field(default=1000, ge=1, le=100_000)  # open streams per worker process
    stream_heartbeat_seconds: float = Field(default=15.0, gt=0, le=30)  # a comment line at least this often
    stream_token_check_seconds: float = Field(default=5.0, gt=0, le=300)  # a revoked token ends a stream within it
    stream_queue_size: int = Field(default=256, ge=1, le=100_000)  # events waiting per stream; beyond: dropped
    stream_idle_seconds: float = Field(default=3600.0, gt=0)  # a stream is closed after this long (client reconnects)

    @model_validator(mode="before")
    @classmethod
    def _empty_is_unset(cls, data: Any) -> Any:
        # dropped rather than kept as None, so that ``model_fields_set`` says what was really configured
        if isinstance(data, dict):
            for name in _UNSET_WHEN_EMPTY:
                if name in data and data[name] in (None, ""):
                    data = {k: v for k, v in data.items() if k != name}
        return data

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _host_names(cls, value: Any) -> list[str]:
        names = []
        for raw in _comma_list(value):
            name = raw.lower().removeprefix("*")  # "*.example.com" is ".example.com"; "*" alone is empty
            names.append("*" if raw == "*" else name.removeprefix("[").removesuffix("]"))
        return names

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> list[str]:
        origins = [item.rstrip("/") for item in _comma_list(value)]
        for origin in origins:
            if "://" not in origin or origin == "*":
                raise ValueError(f"an origin is scheme://host[:port], not {origin!r}")
        return origins

    @field_validator("database_replica_urls", mode="before")
    @classmethod
    def _replica_urls(cls, value: Any) -> list[str]:
        return _comma_list(value)

    @field_validator("jobs_queues", mode="before")
    @classmethod
    def _queues(cls, value: Any) -> list[str]:
        return _comma_list(value)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(cls, value: Any) -> list[str]:
        # refused here when malformed: uvicorn would silently compare it as a literal and trust nobody
        return [str(ipaddress.ip_network(item, strict=False)) for item in _comma_list(value)]

    @model_validator(mode="after")
    def _secret_and_profile(self) -> Settings:
        problems = []
        configured = self.secret_key_configured
        secret = self.secret_key.get_secret_value()
        if configured and secret in PUBLISHED_SECRET_KEYS:
            problems.append("HEARTH_SECRET_KEY is a published example value: set a random one, or unset it")
        if self.env == "production":
            if not configured or len(secret) < 32:
                problems.append("HEARTH_SECRET_KEY must be set to a random value of at least 32 characters")
            if not self.database_url:
                problems.append("HEARTH_DATABASE_URL must be set (no embedded database in production)")
        if self.database_replica_urls and not self.database_url:
            problems.append("HEARTH_DATABASE_REPLICA_URLS needs HEARTH_DATABASE_URL (replicas of which primary?)")
        if problems:
            prefix = "refusing to start in production: " if self.env == "production" else "refusing to start: "
            raise ValueError(prefix + "; ".join(problems))
        if not configured:
            # set past __setattr__, which would count the key as configured
            self.__dict__["secret_key"] = InstallSecret(self.data_dir)
        return self

    @property
    def secret_key_configured(self) -> bool:
        """Whether ``HEARTH_SECRET_KEY`` was given (else the key is this install's own)."""
        return "secret_key" in self.model_fields_set

    @property
    def public_base_url_configured(self) -> bool:
        return "public_base_url" in self.model_fields_set

    @property
    def media_dir(self) -> Path:
        return self.storage_dir if self.storage_dir is not None else self.data_dir / "media"

    @property
    def mail_outbox_dir(self) -> Path:
        """Where mail is kept as files when no SMTP server is configured."""
        return self.data_dir / "outbox"

    def rate_limits(self) -> dict[str, str]:
        return {
            "login": self.rate_limit_login,
            "register": self.rate_limit_register,
            "write": self.rate_limit_write,
            "default": self.rate_limit_default,
            "login_failures": self.rate_limit_login_failures,
            "password_reset": self.rate_limit_password_reset,
        }


def _comma_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(item).strip() for item in items if str(item).strip()]


class InstallSecret(SecretStr):
    """This install's key (:func:`install_secret`), read or made only when something signs with it: loading
    the settings (``hearth migrate`` that then stops for a missing database, say) writes nothing."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__("")
        self._data_dir = data_dir
        self._loaded: str | None = None

    def get_secret_value(self) -> str:
        if self._loaded is None:
            self._loaded = install_secret(self._data_dir)
        return self._loaded

    def __len__(self) -> int:
        return len(self.get_secret_value())

    def __hash__(self) -> int:
        return hash(self.get_secret_value())


def install_secret(data_dir: Path) -> str:
    """This install's signing key: read from ``<data_dir>/secret_key``, created there (mode 0600) on first use.

    Created under a temporary name and linked into place, so that workers starting together all end up
    with the one key that won, never with a half-written file.
    """
    path = data_dir / SECRET_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = data_dir / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48) + "\n")
                out.flush()
                os.fsync(out.fileno())
            with contextlib.suppress(FileExistsError):  # another process got there first: its key is the key
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise ValueError(f"{path} holds no usable key (under 32 characters): remove it to have a new one made")
    return secret
