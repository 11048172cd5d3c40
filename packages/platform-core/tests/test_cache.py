"""The cache: in-process TTL caches, Redis shared by every worker, and the fallback when Redis is away."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from hearth_platform.cache import MemoryCache, RedisCache

UNREACHABLE = "redis://127.0.0.1:1/0"


def _name() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def _count(name: str, result: str) -> float:
    return REGISTRY.get_sample_value("hearth_cache_requests_total", {"cache": name, "result": result}) or 0.0


# ---- in process ---------------------------------------------------------------------------------


def test_memory_cache_set_get_delete() -> None:
    cache, name = MemoryCache(), _name()
    assert cache.get(name, "u:1") is None
    cache.set(name, "u:1", {"id": 1, "tags": [1, 2]}, ttl=60)
    cache.set(name, "u:2", "two", ttl=60)
    assert cache.get(name, "u:1") == {"id": 1, "tags": [1, 2]}
    assert cache.get_many(name, ["u:1", "u:2", "u:3"]) == {"u:1": {"id": 1, "tags": [1, 2]}, "u:2": "two"}
    cache.delete(name, "u:1", "u:2")
    assert cache.get_many(name, ["u:1", "u:2"]) == {}


def test_memory_cache_names_do_not_collide() -> None:
    cache, a, b = MemoryCache(), _name(), _name()
    cache.set(a, "k", "from a", ttl=60)
    cache.set(b, "k", "from b", ttl=60)
    cache.delete(a, "k")
    assert cache.get(a, "k") is None
    assert cache.get(b, "k") == "from b"


def test_memory_cache_entries_expire() -> None:
    cache, name = MemoryCache(), _name()
    cache.set(name, "short", 1, ttl=1)
    cache.set(name, "long", 2, ttl=60)
    time.sleep(1.2)
    assert cache.get_many(name, ["short", "long"]) == {"long": 2}


def test_memory_cache_overwrite_with_another_ttl_returns_the_new_value() -> None:
    cache, name = MemoryCache(), _name()
    cache.set(name, "url", "old", ttl=3600)
    cache.set(name, "url", "new", ttl=600)
    assert cache.get(name, "url") == "new"
    cache.delete(name, "url")
    assert cache.get(name, "url") is None


def test_hits_and_misses_are_counted_by_cache_name() -> None:
    cache, name = MemoryCache(), _name()
    cache.set(name, "a", 1, ttl=60)
    cache.get(name, "a")
    cache.get_many(name, ["a", "b", "c"])
    assert _count(name, "hit") == 2
    assert _count(name, "miss") == 2


# ---- Redis, shared by every worker --------------------------------------------------------------


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    prefix = f"hearth-test-{uuid.uuid4().hex[:10]}:"
    yield prefix
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.mark.redis
def test_redis_cache_is_shared_between_instances(redis_url: str, prefix: str) -> None:
    one, two, name = RedisCache(redis_url, prefix=prefix), RedisCache(redis_url, prefix=prefix), _name()
    try:
        one.set(name, "u:1", {"id": 1, "name": "Ada"}, ttl=60)
        one.set(name, "u:2", [1, 2, 3], ttl=60)
        assert two.get(name, "u:1") == {"id": 1, "name": "Ada"}
        assert two.get_many(name, ["u:1", "u:2", "u:3"]) == {"u:1": {"id": 1, "name": "Ada"}, "u:2": [1, 2, 3]}
        two.delete(name, "u:1")  # an invalidation in one worker reaches every other
        assert one.get(name, "u:1") is None
        assert two.get(name, "u:1") is None
        assert one.get(name, "u:2") == [1, 2, 3]
        assert not one.degraded and not two.degraded
    finally:
        one.close()
        two.close()


@pytest.mark.redis
def test_near_entries_are_read_without_a_round_trip_until_set_again(redis_url: str, prefix: str) -> None:
    one, two, name = RedisCache(redis_url, prefix=prefix), RedisCache(redis_url, prefix=prefix), _name()
    try:
        one.set(name, "k", "signed-1", ttl=60)
        assert two.get_many(name, ["k", "other"], near_ttl=30) == {"k": "signed-1"}
        one.delete(name, "k")  # Redis no longer has it: only the second process's near copy does
        assert two.get_many(name, ["k"], near_ttl=30) == {"k": "signed-1"}
        assert two.get_many(name, ["k"]) == {}, "a read without near_ttl goes to Redis"
        one.set(name, "k", "signed-2", ttl=60)
        two.set(name, "k", "signed-2", ttl=60)  # a process that stores a key again reads it from Redis next
        assert two.get_many(name, ["k"], near_ttl=30) == {"k": "signed-2"}
        two.delete(name, "k")  # and its own invalidation reaches its near copy
        assert two.get_many(name, ["k"], near_ttl=30) == {}
        assert _count(name, "hit") == 3
    finally:
        one.close()
        two.close()


@pytest.mark.redis
def test_redis_cache_entries_expire(redis_url: str, prefix: str) -> None:
    cache, name = RedisCache(redis_url, prefix=prefix), _name()
    try:
        cache.set(name, "short", "s", ttl=1)
        cache.set(name, "long", "l", ttl=60)
        time.sleep(1.3)
        assert cache.get_many(name, ["short", "long"]) == {"long": "l"}
    finally:
        cache.close()


@pytest.mark.redis
def test_redis_cache_counts_hits_and_misses(redis_url: str, prefix: str) -> None:
    cache, name = RedisCache(redis_url, prefix=prefix), _name()
    try:
        cache.set(name, "a", 1, ttl=60)
        cache.get_many(name, ["a", "b"])
        cache.get(name, "a")
        assert _count(name, "hit") == 2
        assert _count(name, "miss") == 1
    finally:
        cache.close()


@pytest.mark.redis
def test_redis_cache_answers_its_health_check(redis_url: str, prefix: str) -> None:
    cache = RedisCache(redis_url, prefix=prefix)
    try:
        assert cache.ping() >= 0
    finally:
        cache.close()


# ---- Redis unreachable ------------------------------------------------------------------------------


def test_unreachable_redis_falls_back_to_memory_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    cache, name = RedisCache(UNREACHABLE), _name()
    caplog.set_level(logging.WARNING, logger="hearth.cache")
    started = time.perf_counter()
    cache.set(name, "k", {"v": 1}, ttl=60)
    assert cache.get(name, "k") == {"v": 1}
    assert cache.get_many(name, ["k", "other"]) == {"k": {"v": 1}}
    cache.delete(name, "k")
    assert cache.get(name, "k") is None
    assert time.perf_counter() - started < 3  # no request waits on a dead Redis again and again
    assert cache.degraded
    warnings = [r for r in caplog.records if r.name == "hearth.cache" and r.levelno == logging.WARNING]
    assert len(warnings) == 1, "one warning per outage, not one per operation"
    assert "fall" in warnings[0].getMessage()


def test_unreachable_redis_fails_its_health_check() -> None:
    cache = RedisCache(UNREACHABLE)
    with pytest.raises(Exception):  # noqa: B017 - any connection error: /health/ready reports it
        cache.ping()
