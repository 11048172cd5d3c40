"""What a seed is asked for (:class:`SeedOptions`, sized by :data:`SIZES`), what it reports
(:class:`SeedReport`), and its constants."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PASSWORD = "hearth-bench-password"  # noqa: S105 - the documented password of every seeded user
GROWTH_DEGREES = (10, 100, 1000, 5000)
TAGS_PER_USER = 5
TAG_SHARE = 0.30  # of posts limited to tags
MEDIA_SHARE = 0.10  # of posts carrying media
KEY_PREFIX = "bench/"  # media keys: bench/u<owner>/m<id> (storage keys allow no dots)
TIMELINE_DEPTH = 1000  # newest visible posts kept per home timeline (the app's HEARTH_TIMELINE_DEPTH)
TIMELINE_DEPTH_ENV = "HEARTH_TIMELINE_DEPTH"


class SeedError(RuntimeError):
    pass


@dataclass(frozen=True)
class Size:
    users: int
    posts: int
    comments: int
    days: int
    tokens: int

    def override(self, **given: int | None) -> Size:
        """This size with the numbers given (``None``: the preset's)."""
        return replace(self, **{k: v for k, v in given.items() if v is not None})


# ``hearth seed --size``: a network to look around in (the default), and the benchmark's.
SIZES = {
    "demo": Size(users=200, posts=2_000, comments=4_000, days=30, tokens=5),
    "bench": Size(users=20_000, posts=1_000_000, comments=2_000_000, days=90, tokens=2_000),
}
BENCH = SIZES["bench"]
LOGINS_SHOWN = 5  # the best-connected users given a token, printed to log in as


def timeline_depth_setting() -> int:
    """The app's timeline depth (``HEARTH_TIMELINE_DEPTH``, from the environment or ``.env``, as the app reads
    it), so that the seed builds the timelines the app keeps; 1000 when the setting is not there."""
    from hearth_platform.settings import Settings

    try:
        depth = getattr(Settings(), "timeline_depth", None)
    except ValueError as exc:  # pydantic's ValidationError
        raise SeedError(f"invalid settings: {exc}") from None
    if depth is not None:
        return int(depth)
    raw = os.environ.get(TIMELINE_DEPTH_ENV, "").strip()  # a platform without the setting yet
    try:
        return int(raw) if raw else TIMELINE_DEPTH
    except ValueError:
        raise SeedError(f"{TIMELINE_DEPTH_ENV} must be an integer, not {raw!r}") from None


@dataclass(frozen=True)
class SeedOptions:
    users: int = BENCH.users
    posts: int = BENCH.posts
    comments: int = BENCH.comments
    seed: int = 42
    days: int = BENCH.days
    tokens: int = BENCH.tokens
    tokens_file: Path = Path(".hearth/seed-tokens.json")
    reset: bool = False
    now: datetime | None = None
    timeline_depth: int = field(default_factory=timeline_depth_setting)

    def params(self) -> dict[str, int]:
        return {
            "users": self.users,
            "posts": self.posts,
            "comments": self.comments,
            "seed": self.seed,
            "days": self.days,
            "tokens": self.tokens,
            "timeline_depth": self.timeline_depth,
        }

    def validate(self) -> None:
        if self.users < 10:
            raise SeedError("--users must be at least 10")
        if self.posts < 0 or self.comments < 0 or self.days < 1 or self.tokens < 0:
            raise SeedError("sizes must not be negative and --days at least 1")
        if self.comments and not self.posts:
            raise SeedError("comments need posts")
        if self.timeline_depth < 1:
            raise SeedError(f"the timeline depth ({TIMELINE_DEPTH_ENV}) must be at least 1")

    def end(self) -> datetime:
        """The time the dataset ends at: ``now`` or the current minute, in UTC."""
        return (self.now or datetime.now(UTC).replace(second=0, microsecond=0)).astimezone(UTC)


@dataclass
class SeedReport:
    params: dict[str, int]
    now: str
    password: str
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    max_ids: dict[str, int] = field(default_factory=dict)
    degree: dict[str, float] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)
    timelines: dict[str, Any] = field(default_factory=dict)  # depth, rows, horizons, or why they were skipped
    viewers: dict[str, dict[str, Any]] = field(default_factory=dict)  # "10" -> {id, username, degree, token}
    users: list[dict[str, Any]] = field(default_factory=list)  # [{id, username, token, connections}] (viewers too)
