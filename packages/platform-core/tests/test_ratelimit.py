"""Rate limits: N allowed then 429 with Retry-After; shared through Redis; in memory when Redis is away."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from hearth_platform.errors import RateLimited
from hearth_platform.ratelimit import RateLimiter, limit_per_address

UNREACHABLE = "redis://127.0.0.1:1/0"
LIMITS = {
    "login": "3/minute",
    "register": "2/hour",
    "write": "5/minute",
    "default": "10/minute",
    "login_failures": "2/minute",
}


def _key() -> str:
    return f"addr:test-{uuid.uuid4().hex}"


def _refused(family: str) -> float:
    return REGISTRY.get_sample_value("hearth_rate_limited_requests_total", {"family": family}) or 0.0


def test_n_allowed_then_refused_with_retry_after() -> None:
    limiter, key = RateLimiter(LIMITS), _key()
    for _ in range(3):
        limiter.check("login", key)
    with pytest.raises(RateLimited) as refused:
        limiter.check("login", key)
    assert 1 <= refused.value.retry_after <= 60
    assert refused.value.headers["Retry-After"] == str(refused.value.retry_after)
    assert refused.value.status == 429 and refused.value.code == "rate_limited"


def test_hour_window_gives_a_long_retry_after() -> None:
    limiter, key = RateLimiter(LIMITS), _key()
    limiter.check("register", key)
    limiter.check("register", key)
    with pytest.raises(RateLimited) as refused:
        limiter.check("register", key)
    assert 60 < refused.value.retry_after <= 3600


def test_keys_and_families_are_counted_apart() -> None:
    limiter, a, b = RateLimiter(LIMITS), _key(), _key()
    for _ in range(3):
        limiter.check("login", a)
    limiter.check("login", b)  # another address is not affected
    limiter.check("write", a)  # nor is another family
    with pytest.raises(RateLimited):
        limiter.check("login", a)


def test_disabled_limiter_never_refuses() -> None:
    limiter, key = RateLimiter(LIMITS, enabled=False), _key()
    for _ in range(20):
        limiter.check("login", key)


def test_refusals_are_counted_in_metrics() -> None:
    limiter, key = RateLimiter(LIMITS), _key()
    before = _refused("login")
    for _ in range(5):
        with contextlib.suppress(RateLimited):
            limiter.check("login", key)
    assert _refused("login") - before == 2


def test_a_budget_is_spent_only_by_what_is_counted() -> None:
    """``ensure_allowed`` asks without spending; ``count`` spends without refusing (failed logins)."""
    limiter, key = RateLimiter(LIMITS), _key()
    for _ in range(5):
        limiter.ensure_allowed("login_failures", key)  # asking is free
    limiter.count("login_failures", key)
    limiter.count("login_failures", key)
    limiter.count("login_failures", key)  # past the budget: counted, not refused
    with pytest.raises(RateLimited) as refused:
        limiter.ensure_allowed("login_failures", key)
    assert 1 <= refused.value.retry_after <= 60
    limiter.ensure_allowed("login_failures", _key())  # another account's budget is whole


# ---- shared through Redis -----------------------------------------------------------------------


@pytest.mark.redis
def test_a_count_reads_other_keys_in_its_round_trip(redis_url: str) -> None:
    """What the read replicas' write marks ride on: values of further keys, read with the count."""
    import redis

    limiter, key, name = RateLimiter(LIMITS, redis_url=redis_url), _key(), f"hearth-test-peek:{uuid.uuid4().hex}"
    client = redis.Redis.from_url(redis_url)
    try:
        client.set(name, "1234", ex=60)
        assert limiter.check("default", key, peek=[name, name + ":missing"]) == [b"1234", None]
        assert limiter.check("default", key) == []  # nothing asked, nothing read
        assert RateLimiter(LIMITS).check("default", key, peek=[name]) is None  # in process: not read
    finally:
        client.delete(name)
        client.close()


@pytest.mark.redis
def test_instances_on_one_redis_share_counters(redis_url: str) -> None:
    one, two, key = RateLimiter(LIMITS, redis_url=redis_url), RateLimiter(LIMITS, redis_url=redis_url), _key()
    assert one.shared and two.shared
    one.check("login", key)
    two.check("login", key)
    one.check("login", key)
    with pytest.raises(RateLimited) as refused:
        two.check("login", key)  # the fourth hit overall, although this instance saw only one
    assert 1 <= refused.value.retry_after <= 60
    with pytest.raises(RateLimited):
        one.check("login", key)


@pytest.mark.redis
def test_failure_budgets_are_shared_through_redis(redis_url: str) -> None:
    one, two, key = RateLimiter(LIMITS, redis_url=redis_url), RateLimiter(LIMITS, redis_url=redis_url), _key()
    one.count("login_failures", key)
    two.count("login_failures", key)
    with pytest.raises(RateLimited):
        one.ensure_allowed("login_failures", key)


def test_failure_budgets_fall_back_to_memory_without_redis() -> None:
    limiter, key = RateLimiter(LIMITS, redis_url=UNREACHABLE), _key()
    limiter.count("login_failures", key)
    limiter.ensure_allowed("login_failures", key)
    limiter.count("login_failures", key)
    with pytest.raises(RateLimited):
        limiter.ensure_allowed("login_failures", key)


def test_unreachable_redis_falls_back_to_memory(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="hearth.ratelimit")
    limiter, key = RateLimiter(LIMITS, redis_url=UNREACHABLE), _key()
    for _ in range(3):
        limiter.check("login", key)  # no error reaches the request
    with pytest.raises(RateLimited):
        limiter.check("login", key)  # and the limit still holds, per process
    warnings = [r for r in caplog.records if r.name == "hearth.ratelimit" and r.levelno == logging.WARNING]
    assert len(warnings) == 1, "one warning per outage, not one per request"


# ---- through HTTP -----------------------------------------------------------------------------------


def _login_app(make_app: Callable[..., FastAPI], **overrides: object) -> FastAPI:
    app = make_app(rate_limit_enabled=True, rate_limit_login="2/minute", **overrides)

    @app.post("/login-probe", dependencies=[limit_per_address("login")])
    def login_probe() -> dict[str, bool]:
        return {"ok": True}

    return app


def test_third_login_from_one_address_is_429(make_app: Callable[..., FastAPI], assert_problem: Any) -> None:
    app = _login_app(make_app)
    address = (f"10.0.0.{uuid.uuid4().int % 250}", 50000)
    with TestClient(app, client=address) as client, TestClient(app, client=("10.9.9.9", 50000)) as other:
        assert client.post("/login-probe").status_code == 200
        assert client.post("/login-probe").status_code == 200
        r = client.post("/login-probe")
        body = assert_problem(r, 429, "rate_limited")
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert "retry" in body["detail"].lower()
        assert other.post("/login-probe").status_code == 200  # per client address


@pytest.mark.parametrize("shared", [False, True], ids=["in-process", "redis"])
def test_a_limited_route_tells_its_quota_on_every_answer(
    make_app: Callable[..., FastAPI], redis_url: str, shared: bool
) -> None:
    """``RateLimit-Limit/-Remaining/-Reset`` on each answer of a limited route, the 429 included (API.md)."""
    overrides: dict[str, object] = {"redis_url": redis_url} if shared else {}
    app = _login_app(make_app, **overrides)
    address = (f"10.1.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}", 50000)
    with TestClient(app, client=address) as client:
        answers = [client.post("/login-probe") for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 429]
    assert [r.headers["ratelimit-limit"] for r in answers] == ["2", "2", "2"]
    assert [r.headers["ratelimit-remaining"] for r in answers] == ["1", "0", "0"]
    for r in answers:
        assert 1 <= int(r.headers["ratelimit-reset"]) <= 60
    assert int(answers[2].headers["retry-after"]) == int(answers[2].headers["ratelimit-reset"])
    with TestClient(app) as client:
        assert "ratelimit-limit" not in client.get("/health/live").headers  # not a limited route


def test_limits_can_be_switched_off(make_app: Callable[..., FastAPI]) -> None:
    app = make_app(rate_limit_enabled=False, rate_limit_login="1/minute")

    @app.post("/login-probe", dependencies=[limit_per_address("login")])
    def login_probe() -> dict[str, bool]:
        return {"ok": True}

    with TestClient(app) as client:
        assert [client.post("/login-probe").status_code for _ in range(5)] == [200] * 5


@pytest.mark.redis
def test_two_app_instances_on_one_redis_share_the_limit(
    make_app: Callable[..., FastAPI], redis_url: str, assert_problem: Any
) -> None:
    address = (f"test-{uuid.uuid4().hex[:12]}", 50000)
    first, second = _login_app(make_app, redis_url=redis_url), _login_app(make_app, redis_url=redis_url)
    with TestClient(first, client=address) as a, TestClient(second, client=address) as b:
        assert a.post("/login-probe").status_code == 200
        assert b.post("/login-probe").status_code == 200
        assert_problem(a.post("/login-probe"), 429, "rate_limited")
        assert_problem(b.post("/login-probe"), 429, "rate_limited")
