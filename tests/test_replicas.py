"""Read replicas, with a real streaming replica (``pg_basebackup`` of the test's own primary, started as a hot
standby: ``hearth_testing.replica``). What a user notices: reads are served by the replica (counted); their
own write is in their very next read while the replica's replay is paused, and others see it once replay
resumes; a logout or a block takes effect at once though the replica has not replayed it; with the replica
stopped every read still succeeds, from the primary; writes never reach the replica."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hearth_api import create_app
from hearth_platform.replica_writes import ReplicaMisuse
from hearth_platform.replicas import ReadRouter, may_fill_shared_cache
from hearth_testing import API, AppUser, connect, create_tag, new_post, register, wait_until
from hearth_testing.queries import statements_on
from hearth_testing.replica import ReplicatedPostgres, pg_bin

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(pg_bin() is None, reason="needs the embedded PostgreSQL's initdb, pg_ctl and pg_basebackup"),
]


@pytest.fixture(scope="module")
def pg() -> Iterator[ReplicatedPostgres]:
    pair = ReplicatedPostgres()
    try:
        yield pair
    finally:
        pair.close()


@pytest.fixture(scope="module")
def client(pg: ReplicatedPostgres, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = pg.settings(
        tmp_path_factory.mktemp("hearth-data"),
        redis_url=redis_url,
        # no test here waits for a lag to be noticed: a paused replica stays "usable" the whole module
        replica_max_lag_seconds=600.0,
        replica_poll_interval_seconds=0.05,
        # limits on (never met): the caller's write mark rides on the rate limit's Redis round trip
        rate_limit_enabled=True,
        rate_limit_default="100000/minute",
        rate_limit_write="100000/minute",
        rate_limit_register="100000/minute",
        rate_limit_login="100000/minute",
    )
    with TestClient(create_app(settings, configure_logs=False)) as c:
        yield c


@pytest.fixture(scope="module")
def router(client: TestClient) -> ReadRouter:
    app: FastAPI = client.app  # type: ignore[assignment]
    found = app.state.read_router
    assert isinstance(found, ReadRouter)
    return found


def caught_up(pg: ReplicatedPostgres, router: ReadRouter) -> None:
    """Until the replica has replayed every write so far, and the app's poller has seen it do so."""
    pg.wait_replayed()
    target = pg.sql("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint")[0][0]
    wait_until(lambda: router.replicas[0].replay_lsn >= target and router.replicas[0].usable, 30, "poller sees it")


def feed_ids(client: TestClient, user: AppUser) -> list[int]:
    r = client.get(f"{API}/feed", headers=user.headers)
    assert r.status_code == 200, r.text
    return [int(p["id"]) for p in r.json()["items"]]


def metric(client: TestClient, name: str, **labels: str) -> float:
    text = client.get("/metrics").text
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    total = 0.0
    for line in text.splitlines():
        m = re.match(rf"^{name}\{{([^}}]*)\}} (\S+)$", line)
        if m and all(part in m.group(1).split(",") for part in wanted.split(",")):
            total += float(m.group(2))
    return total


def reads(router: ReadRouter) -> dict[str, int]:
    return dict(router.reads)


def test_reads_are_served_by_the_replica(
    client: TestClient, pg: ReplicatedPostgres, router: ReadRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = register(client, "ra"), register(client, "rb")
    connect(client, alice, bob)
    caught_up(pg, router)
    before, counted = reads(router), metric(client, "hearth_db_reads_total", target="replica")
    lookups = []
    get = router.marks.get
    monkeypatch.setattr(router.marks, "get", lambda user_id: lookups.append(user_id) or get(user_id))
    for path in ("/feed", "/users/me", f"/users/{alice.id}", "/connections", "/notifications", "/digest"):
        r = client.get(f"{API}{path}", headers=bob.headers)
        assert r.status_code == 200, (path, r.text)
    assert lookups == []  # bob's write mark and the floor rode on the rate limit's round trip to Redis
    after = reads(router)
    assert after["replica"] - before["replica"] == 6
    assert after["primary"] == before["primary"]
    assert metric(client, "hearth_db_reads_total", target="replica") - counted == 6
    ready = client.get("/health/ready").json()
    assert ready["checks"]["replicas"]["status"] == "ok"
    (replica,) = ready["checks"]["replicas"]["replicas"]
    assert replica["status"] == "ok" and replica["lag_seconds"] is not None


def test_own_post_seen_at_once_while_replay_is_paused(
    client: TestClient, pg: ReplicatedPostgres, router: ReadRouter
) -> None:
    alice, bob = register(client, "pa"), register(client, "pb")
    connect(client, alice, bob)
    caught_up(pg, router)
    pg.pause_replay()
    try:
        with statements_on(router.replicas[0].engine) as on_replica:
            r = new_post(client, alice, "written while the replica sleeps")
        assert r.status_code == 201, r.text
        # the write request, its token check included, never reached the replica (only the poller did)
        assert [s for s in on_replica.statements if "wal_" not in s] == []
        post_id = int(r.json()["id"])
        before = reads(router)
        assert post_id in feed_ids(client, alice)  # the very next request: the author sees it
        assert client.get(f"{API}/posts/{post_id}", headers=alice.headers).status_code == 200
        assert reads(router)["primary"] - before["primary"] == 2  # from the primary: the replica lacks it
        before = reads(router)
        assert post_id not in feed_ids(client, bob)  # another user reads the replica, which has not replayed it
        assert reads(router)["replica"] - before["replica"] == 1
    finally:
        pg.resume_replay()
    caught_up(pg, router)
    before = reads(router)
    assert post_id in feed_ids(client, bob)  # once replayed, everyone sees it, from the replica
    assert reads(router)["replica"] - before["replica"] == 1


def test_logout_and_block_take_effect_at_once_while_replay_is_paused(
    client: TestClient, pg: ReplicatedPostgres, router: ReadRouter
) -> None:
    alice, bob, carol = register(client, "la"), register(client, "lb"), register(client, "lc")
    connect(client, alice, bob)
    connect(client, alice, carol)
    post_id = int(new_post(client, alice, "for my connections").json()["id"])
    caught_up(pg, router)
    assert post_id in feed_ids(client, bob)
    pg.pause_replay()
    try:
        assert client.post(f"{API}/blocks", json={"user_id": bob.id}, headers=alice.headers).status_code == 204
        # the replica still has bob connected to alice: bob is not served from it
        assert post_id not in feed_ids(client, bob)
        assert client.get(f"{API}/posts/{post_id}", headers=bob.headers).status_code == 404
        assert client.post(f"{API}/auth/logout", headers=carol.headers).status_code == 204
        # the replica still has carol's token: it is refused all the same
        assert client.get(f"{API}/feed", headers=carol.headers).status_code == 401
    finally:
        pg.resume_replay()
    caught_up(pg, router)
    assert post_id not in feed_ids(client, bob)
    assert client.get(f"{API}/feed", headers=carol.headers).status_code == 401


def test_replica_stopped_every_read_succeeds_from_the_primary(
    client: TestClient, pg: ReplicatedPostgres, router: ReadRouter
) -> None:
    alice, bob = register(client, "sa"), register(client, "sb")
    connect(client, alice, bob)
    post_id = int(new_post(client, alice, "still here").json()["id"])
    caught_up(pg, router)
    pg.stop_replica()
    try:
        # at once, whether or not the poller has noticed yet: a replica that cannot be reached is skipped
        assert post_id in feed_ids(client, bob)
        wait_until(
            lambda: client.get("/health/ready").json()["checks"]["replicas"]["replicas"][0]["status"] == "down",
            30,
            "the replica reported down",
        )
        ready = client.get("/health/ready")
        assert ready.status_code == 200  # a replica down degrades readiness, it does not fail it
        assert ready.json()["checks"]["replicas"]["status"] == "degraded"
        before, fallbacks = reads(router), metric(client, "hearth_db_replica_fallbacks_total", reason="down")
        for user in (alice, bob):
            assert post_id in feed_ids(client, user)
            assert client.get(f"{API}/users/me", headers=user.headers).status_code == 200
        assert (
            client.post(f"{API}/posts/{post_id}/comments", json={"body": "hi"}, headers=bob.headers).status_code == 201
        )
        assert reads(router)["primary"] - before["primary"] == 4
        assert reads(router)["replica"] == before["replica"]
        assert metric(client, "hearth_db_replica_fallbacks_total", reason="down") - fallbacks == 4
    finally:
        pg.start_replica()
    caught_up(pg, router)
    before = reads(router)
    assert post_id in feed_ids(client, bob)
    assert reads(router)["replica"] - before["replica"] == 1


def test_a_lagging_replica_is_skipped_until_it_catches_up(
    pg: ReplicatedPostgres, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """An app whose lag bound is short: with replay paused and the primary moving on, the replica is reported
    lagging (readiness stays 200, degraded) and reads go to the primary; once it caught up, back to it."""
    settings = pg.settings(
        tmp_path_factory.mktemp("hearth-data"),
        redis_url=redis_url,
        replica_max_lag_seconds=0.3,
        replica_poll_interval_seconds=0.05,
    )
    with TestClient(create_app(settings, configure_logs=False)) as short:
        app: FastAPI = short.app  # type: ignore[assignment]
        router: ReadRouter = app.state.read_router
        alice = register(short, "lg")

        def state() -> str:
            return str(short.get("/health/ready").json()["checks"]["replicas"]["replicas"][0]["status"])

        pg.execute("CREATE TABLE IF NOT EXISTS lag_probe (x int)")
        caught_up(pg, router)
        pg.pause_replay()
        try:
            # the primary moves on (writes the replica cannot replay): the lag grows past the bound
            wait_until(
                lambda: pg.execute("INSERT INTO lag_probe VALUES (1)") is None and state() == "lagging", 30, "lagging"
            )
            ready = short.get("/health/ready")
            assert ready.status_code == 200
            assert ready.json()["checks"]["replicas"]["status"] == "degraded"
            assert ready.json()["checks"]["replicas"]["replicas"][0]["lag_seconds"] > 0.3
            before = reads(router)
            assert short.get(f"{API}/users/me", headers=alice.headers).status_code == 200
            assert reads(router)["primary"] - before["primary"] == 1
            assert metric(short, "hearth_db_replica_fallbacks_total", reason="lagging") >= 1
        finally:
            pg.resume_replay()
        caught_up(pg, router)
        before = reads(router)
        assert short.get(f"{API}/users/me", headers=alice.headers).status_code == 200
        assert reads(router)["replica"] - before["replica"] == 1


def test_the_replica_adds_no_statement_to_a_read(
    client: TestClient, pg: ReplicatedPostgres, router: ReadRouter
) -> None:
    """The same feed page costs the same statements whether the replica or the primary serves it."""
    alice, bob = register(client, "qa"), register(client, "qb")
    connect(client, alice, bob)
    assert new_post(client, alice, "to count").status_code == 201
    caught_up(pg, router)
    app: FastAPI = client.app  # type: ignore[assignment]
    engines = (*app.state.database.engines, router.replicas[0].engine)

    def feed_statements() -> list[str]:
        with statements_on(*engines) as q:
            feed_ids(client, bob)
        return [s for s in q.statements if "wal_" not in s]  # not the poller's, which runs meanwhile

    before = reads(router)
    on_replica = feed_statements()
    assert reads(router)["replica"] - before["replica"] == 1
    pg.pause_replay()
    try:
        assert new_post(client, bob, "mine").status_code == 201  # bob's next reads need the primary
        before = reads(router)
        on_primary = feed_statements()
        assert reads(router)["primary"] - before["primary"] == 1
    finally:
        pg.resume_replay()
    assert [s[:60] for s in on_primary] == [s[:60] for s in on_replica]


def test_a_read_begun_before_an_untag_never_refills_the_shared_cache(
    client: TestClient, pg: ReplicatedPostgres, router: ReadRouter
) -> None:
    """A read that chose the replica before a write took access away (and invalidated the cached tag
    membership) may read the old membership there: it must not store that in the shared cache."""
    alice, bob = register(client, "ka"), register(client, "kb")
    connect(client, alice, bob)
    tag = create_tag(client, alice, bob)
    caught_up(pg, router)
    session = router.sessionmaker()
    route = router.route()
    session.route = route
    try:
        route.engine()  # the read begins, on the replica, which has everything so far
        assert route.on_replica and may_fill_shared_cache(session)
        pg.pause_replay()
        try:
            assert client.delete(f"{API}/tags/{tag}/members/{bob.id}", headers=alice.headers).status_code == 204
            assert not may_fill_shared_cache(session)  # what it reads there may predate the untag
            fresh = router.sessionmaker()
            fresh.route = router.route()
            fresh.route.engine()  # a read that begins now goes to the primary, and may fill
            assert not fresh.route.on_replica and may_fill_shared_cache(fresh)
            fresh.close()
            fresh.route.finish()
        finally:
            pg.resume_replay()
    finally:
        session.close()
        route.finish()


def test_a_replica_refuses_what_belongs_on_the_primary(router: ReadRouter) -> None:
    """Writes, row locks and advisory locks never run on a replica: a routing mistake fails loudly (an
    advisory lock would otherwise "succeed" on a standby and lock nothing)."""
    engine = router.replicas[0].engine
    for statement in (
        "SELECT pg_advisory_xact_lock(1)",
        "SELECT id FROM users WHERE id = 1 FOR UPDATE",
        "INSERT INTO blocks (blocker_id, blocked_id) VALUES (1, 2)",
        "LISTEN hearth",
    ):
        with engine.connect() as conn, pytest.raises(ReplicaMisuse):
            conn.exec_driver_sql(statement)
