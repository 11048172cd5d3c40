"""Two ``hearth serve`` instances on one PostgreSQL (with a real streaming replica) and one Redis, as behind a
load balancer. What a user notices: nothing depends on which instance answers. A rate limit counts across
both; a change made through one is served by the other at its next request (the shared cache invalidated);
a live event caused on one reaches a stream held by the other; a job enqueued by one is run by the other's
worker; a user's own write is read back through the other instance while the replica's replay is paused
(write marks in Redis), and reads are served by the replica."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from hearth_testing import (
    API,
    AppUser,
    OwnRedis,
    Serve,
    closing_all,
    connect,
    create_tag,
    new_post,
    open_stream,
    register,
    serve,
    wait_until,
)
from hearth_testing.replica import ReplicatedPostgres, pg_bin

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(pg_bin() is None, reason="needs the embedded PostgreSQL's initdb, pg_ctl and pg_basebackup"),
]

WRITES_PER_MINUTE = 6


@dataclass
class Pair:
    pg: ReplicatedPostgres
    redis: OwnRedis
    a: Serve
    b: Serve


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    pg = ReplicatedPostgres()
    with closing_all(pg):
        redis = OwnRedis()
        with closing_all(redis):
            env = {
                "HEARTH_REDIS_URL": redis.url,
                "HEARTH_REDIS_KEY_PREFIX": f"hearth-pair-{uuid.uuid4().hex[:8]}:",  # one deployment: shared
                "HEARTH_DATABASE_REPLICA_URLS": pg.replica_url,
                "HEARTH_REPLICA_MAX_LAG_SECONDS": "600",  # a paused replica stays in use: nothing here is timed
                "HEARTH_REPLICA_POLL_INTERVAL_SECONDS": "0.05",
                "HEARTH_RATE_LIMIT_WRITE": f"{WRITES_PER_MINUTE}/minute",
                "HEARTH_DB_POOL_SIZE": "3",
                "HEARTH_DB_MAX_OVERFLOW": "2",
                "HEARTH_STREAM_HEARTBEAT_SECONDS": "2",
            }
            a = serve(pg.url, env=env)
            with closing_all(a):
                # b runs no jobs itself: what it enqueues can only be run by a's worker
                b = serve(pg.url, env={**env, "HEARTH_JOBS_IN_PROCESS": "false"})
                with closing_all(b):
                    yield Pair(pg, redis, a, b)


def _feed(http: httpx.Client, base: str, user: AppUser) -> list[int]:
    r = http.get(f"{base}{API}/feed", headers=user.headers)
    assert r.status_code == 200, r.text
    return [int(p["id"]) for p in r.json()["items"]]


def _replica_reads(http: httpx.Client, base: str) -> float:
    m = re.search(r'^hearth_db_reads_total\{target="replica"\} (\S+)$', http.get(f"{base}/metrics").text, re.M)
    return float(m.group(1)) if m else 0.0


def _caught_up(pair: Pair, http: httpx.Client) -> None:
    """Until the replica has replayed everything, and both instances say it is in use."""
    pair.pg.wait_replayed()
    for server in (pair.a, pair.b):
        wait_until(
            lambda s=server: http.get(f"{s.base}/health/ready").json()["checks"]["replicas"]["status"] == "ok",
            30,
            "replica ok",
        )


def test_a_write_limit_counts_across_instances(pair: Pair) -> None:
    with httpx.Client(timeout=10) as http, pair.a.client() as on_a:
        writer = register(on_a, "lim")
        answers = []
        for i in range(WRITES_PER_MINUTE + 1):
            base = (pair.a, pair.b)[i % 2].base
            r = http.post(
                f"{base}{API}/posts",
                json={"body": f"post {i}", "audience": {"type": "connections"}},
                headers=writer.headers,
            )
            answers.append(r.status_code)
        assert answers == [201] * WRITES_PER_MINUTE + [429]
        assert r.json()["code"] == "rate_limited"


def test_a_change_through_one_instance_is_served_by_the_other(pair: Pair) -> None:
    with pair.a.client() as on_a, pair.b.client() as on_b:
        alice, bob = register(on_a, "ca"), register(on_a, "cb")
        connect(on_a, alice, bob)
        tag = create_tag(on_a, alice, bob, name="family")
        r = new_post(on_a, alice, "family only", audience={"type": "tags", "tag_ids": [tag]})
        assert r.status_code == 201, r.text
        post_id = int(r.json()["id"])
        _caught_up(pair, on_a)
        assert on_b.get(f"{API}/posts/{post_id}", headers=bob.headers).status_code == 200  # b caches bob's tags
        assert post_id in _feed(on_b, "", bob)
        r = on_a.delete(f"{API}/tags/{tag}/members/{bob.id}", headers=alice.headers)
        assert r.status_code == 204
        # b's very next answer: the cached membership was invalidated in Redis by a
        assert on_b.get(f"{API}/posts/{post_id}", headers=bob.headers).status_code == 404
        assert post_id not in _feed(on_b, "", bob)


def test_a_live_event_crosses_instances(pair: Pair) -> None:
    with pair.a.client() as on_a:
        author, reader = register(on_a, "sa"), register(on_a, "sr")
        connect(on_a, author, reader)
        stream = open_stream(pair.b.base, reader.token)  # held by b
        try:
            r = new_post(on_a, author, "live")  # written through a
            assert r.status_code == 201, r.text
            assert stream.next().data == {"id": int(r.json()["id"])}
        finally:
            stream.close()


def test_a_job_enqueued_by_one_instance_is_run_by_the_other(pair: Pair) -> None:
    with pair.b.client() as on_b:
        user = register(on_b, "job")
        r = on_b.post(f"{API}/users/me/exports", headers=user.headers)  # enqueued by b, which runs no jobs
        assert r.status_code == 202, r.text
        export_id = r.json()["id"]

        def ready() -> bool:
            status = on_b.get(f"{API}/users/me/exports/{export_id}", headers=user.headers).json()["status"]
            assert status != "failed"
            return bool(status == "ready")

        wait_until(ready, 60, "the export made by a's worker")


def test_own_write_read_back_through_the_other_instance_while_replay_is_paused(pair: Pair) -> None:
    with pair.a.client() as on_a, pair.b.client() as on_b:
        alice, bob = register(on_a, "ra"), register(on_a, "rb")
        connect(on_a, alice, bob)
        _caught_up(pair, on_a)
        replica_reads = _replica_reads(on_b, "")

        def read_on_replica() -> bool:  # once b's poller has seen the replay (a few times a second)
            assert on_b.get(f"{API}/users/me", headers=bob.headers).status_code == 200
            return _replica_reads(on_b, "") > replica_reads

        wait_until(read_on_replica, 30, "b reads from the replica")
        pair.pg.pause_replay()
        try:
            r = new_post(on_a, alice, "through a")
            assert r.status_code == 201, r.text
            post_id = int(r.json()["id"])
            assert post_id in _feed(on_b, "", alice)  # b knows alice's write mark (Redis): the primary answers
            assert post_id not in _feed(on_b, "", bob)  # bob reads the paused replica
        finally:
            pair.pg.resume_replay()
        wait_until(lambda: post_id in _feed(on_b, "", bob), 30, "bob sees it once the replica replayed it")
