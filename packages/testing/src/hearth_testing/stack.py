"""A whole deployment of a test's own: its PostgreSQL, Redis and S3 as asked for, ``hearth serve`` in front."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .database import OwnPostgres
from .redis_server import OwnRedis
from .seaweed import OwnSeaweed
from .serve import Serve, serve


@dataclass
class Stack:
    pg: OwnPostgres
    server: Serve
    prefix: str  # the server's Redis key prefix
    own_redis: OwnRedis | None = None
    own_s3: OwnSeaweed | None = None

    @property
    def redis(self) -> OwnRedis:
        assert self.own_redis is not None, "this stack has no Redis: own_stack(redis=True)"
        return self.own_redis

    @property
    def s3(self) -> OwnSeaweed:
        assert self.own_s3 is not None, "this stack has no S3 server: own_stack(s3=True)"
        return self.own_s3


@contextlib.contextmanager
def own_stack(*, redis: bool = False, s3: bool = False, **serve_options: Any) -> Iterator[Stack]:
    """Start an own PostgreSQL (and Redis, and SeaweedFS), then ``serve(...)`` on them with
    ``serve_options`` (``workers=2``, ``HEARTH_...="..."``); everything is closed on the way out, last
    started first, even when a close fails."""
    prefix = f"hearth-stack-{uuid.uuid4().hex[:8]}:"
    with contextlib.ExitStack() as started:

        def owned(thing: Any) -> Any:
            started.callback(_quietly(thing.close))
            return thing

        pg: OwnPostgres = owned(OwnPostgres())
        env = {"HEARTH_REDIS_KEY_PREFIX": prefix}
        own_redis: OwnRedis | None = owned(OwnRedis()) if redis else None
        if own_redis is not None:
            env["HEARTH_REDIS_URL"] = own_redis.url
        own_s3: OwnSeaweed | None = owned(OwnSeaweed()) if s3 else None
        if own_s3 is not None:
            env.update(own_s3.env())
        env.update(serve_options.pop("env", None) or {})
        server: Serve = owned(serve(pg.url, env=env, **serve_options))
        yield Stack(pg, server, serve_options.get("HEARTH_REDIS_KEY_PREFIX", prefix), own_redis, own_s3)


def _quietly(close: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        with contextlib.suppress(Exception):
            close()

    return run
