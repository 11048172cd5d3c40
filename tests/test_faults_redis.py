"""Redis killed under a running ``hearth serve``: requests go on, limits hold in-process, Redis is used again.

The test owns its ``redis-server`` (a free loopback port, no persistence) and kills it with SIGKILL, as
a crash would. While it is away every request must still succeed (the cache and the rate limiter fall
back to in-process state), the write limit must still refuse the 6th write of a minute, and readiness
must say the cache is down. When a new ``redis-server`` answers on the same port, the counters and the
cache go back to it by themselves: the test reads the keys in Redis to see it.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from hearth_testing import (
    API,
    OwnPostgres,
    OwnRedis,
    answered_within,
    assert_not_ready,
    assert_problem,
    closing_all,
    connect,
    new_post,
    register,
    serve,
    wait_until,
)
from hearth_testing import AppUser as User

pytestmark = pytest.mark.slow

WRITE_LIMIT = 5
EACH_REQUEST_WITHIN_S = 3.0  # Redis calls time out after 0.5 s and are not retried for 5 s


def _keys(redis: OwnRedis, pattern: str) -> list[str]:
    client = redis.client()
    try:
        return sorted(k.decode() for k in client.scan_iter(match=pattern, count=1000))
    finally:
        client.close()


def _write_counter(redis: OwnRedis, prefix: str, user: User) -> int | None:
    keys = _keys(redis, f"{prefix}ratelimit:*/write/user:{user.id}/*")
    if not keys:
        return None
    client = redis.client()
    try:
        return sum(int(client.get(k) or 0) for k in keys)
    finally:
        client.close()


def _timed(call: Any) -> httpx.Response:
    return answered_within(EACH_REQUEST_WITHIN_S, call)


def _upload_media(http: httpx.Client, owner: User) -> int:
    body = b"\x89PNG fault"
    r = http.post(f"{API}/media", json={"content_type": "image/png", "size_bytes": len(body)}, headers=owner.headers)
    assert r.status_code == 201, r.text
    upload = r.json()["upload"]
    put = httpx.request(upload["method"], upload["url"], content=body, headers=upload["headers"], timeout=30)
    assert put.status_code in (200, 204), put.text
    media_id = int(r.json()["media"]["id"])
    got = http.get(f"{API}/media/{media_id}", headers=owner.headers)
    assert got.status_code == 200 and got.json()["status"] == "ready", got.text
    return media_id


def test_redis_killed_mid_run_requests_go_on_limits_hold_and_redis_is_used_again() -> None:
    pg = OwnPostgres()
    redis = OwnRedis()
    prefix = f"hearth-fault-{uuid.uuid4().hex[:8]}:"
    server = serve(
        pg.url,
        HEARTH_REDIS_URL=redis.url,
        HEARTH_REDIS_KEY_PREFIX=prefix,
        HEARTH_RATE_LIMIT_WRITE=f"{WRITE_LIMIT}/minute",
    )
    with closing_all(pg, redis, server), server.client() as http:
        a, b = register(http, "ra"), register(http, "rb")
        connect(http, a, b)  # a's first write (the request)
        tag = http.post(f"{API}/tags", json={"name": "inner"}, headers=a.headers)
        assert tag.status_code == 201, tag.text
        tag_id = tag.json()["id"]
        assert http.put(f"{API}/tags/{tag_id}/members/{b.id}", headers=a.headers).status_code == 204
        p1 = new_post(http, a, "to all my connections")
        p2 = http.post(
            f"{API}/posts",
            json={"body": "to the inner circle", "audience": {"type": "tags", "tag_ids": [tag_id]}},
            headers=a.headers,
        )
        assert p1.status_code == 201 and p2.status_code == 201
        media_id = _upload_media(http, a)  # a's 4th write
        assert http.get(f"{API}/feed", headers=b.headers).status_code == 200

        # ---- Redis up: the counters and the cache are in Redis ---------------------------------------------
        assert _write_counter(redis, prefix, a) == 4
        assert _keys(redis, f"{prefix}ratelimit:*/default/user:{b.id}/*")
        assert _keys(redis, f"{prefix}storage.presign:*"), "the presigned URL cache is not in Redis"
        assert _keys(redis, "LIMITS*") == [], "rate-limit counters outside the deployment's key prefix"

        # ---- Redis killed -----------------------------------------------------------------------------
        redis.kill()
        outage = [
            lambda: http.get(f"{API}/feed", headers=b.headers),
            lambda: http.get(f"{API}/posts/{p1.json()['id']}", headers=b.headers),
            lambda: http.get(f"{API}/posts/{p2.json()['id']}", headers=b.headers),
            lambda: http.get(f"{API}/users/me", headers=a.headers),
            lambda: http.get(f"{API}/tags", headers=a.headers),
            lambda: http.post(f"{API}/tags", json={"name": "outer"}, headers=a.headers),
            lambda: http.get(f"{API}/tags/{tag_id}/members", headers=a.headers),
            lambda: http.post(
                f"{API}/posts/{p1.json()['id']}/comments", json={"body": "still here"}, headers=b.headers
            ),
            lambda: http.get(f"{API}/media/{media_id}", headers=a.headers),
            lambda: http.get(f"{API}/users/{a.id}/posts", headers=b.headers),
            lambda: http.get(f"{API}/digest", headers=b.headers),
            lambda: new_post(http, a, "written while Redis is away"),  # a's 5th write: the last one allowed
        ]
        for call in outage:
            r = _timed(call)
            assert r.status_code in (200, 201), r.text
        feed = http.get(f"{API}/feed", headers=b.headers).json()["items"]
        assert "written while Redis is away" in {p["body"] for p in feed}
        # a's earlier writes were counted in Redis, which is gone: in-process counting starts afresh
        c = register(http, "rc")  # registering (a rate-limited family too) works without Redis
        codes = [_timed(lambda i=i: new_post(http, c, f"c{i}")).status_code for i in range(WRITE_LIMIT)]
        assert codes == [201] * WRITE_LIMIT
        refused = _timed(lambda: new_post(http, c, "one too many"))
        assert_problem(refused, 429, "rate_limited")
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert http.get(f"{API}/users/me", headers=c.headers).status_code == 200  # only writes are limited
        assert_not_ready(http.get("/health/ready"), "cache")

        # ---- Redis back (a new, empty server on the same port) -------------------------------------------
        redis.start()
        wait_until(lambda: http.get("/health/ready").status_code == 200, 20, "ready again with Redis back")
        d = register(http, "rd")
        waited = wait_until(
            lambda: (
                http.get(f"{API}/users/me", headers=d.headers).status_code == 200
                and bool(_keys(redis, f"{prefix}ratelimit:*/default/user:{d.id}/*"))
            ),
            20,
            "the rate limiter counts in Redis again",
        )
        print(f"\nrate limiter back on Redis {waited:.1f} s after the restart")
        codes = [new_post(http, d, f"d{i}").status_code for i in range(WRITE_LIMIT)]
        assert codes == [201] * WRITE_LIMIT
        assert _write_counter(redis, prefix, d) == WRITE_LIMIT, "the writes were not counted in Redis"
        assert_problem(new_post(http, d, "one too many"), 429, "rate_limited")
        # and the cache is written to Redis again
        wait_until(
            lambda: (
                http.get(f"{API}/media/{media_id}", headers=a.headers).status_code == 200
                and bool(_keys(redis, f"{prefix}storage.presign:*"))
            ),
            20,
            "the cache stores in Redis again",
        )

        records = server.log_records()
        assert [r for r in records if r.get("message") == "unhandled error"] == []
        statuses = [r["status"] for r in records if r.get("logger") == "hearth.access"]
        assert not [s for s in statuses if s >= 500 and s != 503], statuses
        fallbacks = [
            r
            for r in records
            if "falling back" in str(r.get("message")) or "in-process counters" in str(r.get("message"))
        ]
        assert fallbacks, "the fallback was not logged"
