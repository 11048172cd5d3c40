"""PostgreSQL stopped under load, on a running ``hearth serve``: 503s, then recovery, and nothing lost.

The test owns its database: an embedded PostgreSQL in a ``mkdtemp()`` directory, stopped with
``pg_ctl stop -m fast`` (every session is cut at once, as a crash of the server process would) and
started again on the same data directory and unix socket, so the app keeps its URL and is never
restarted. Writers post from several threads the whole time; afterwards every post that was
acknowledged with a 201 must be there, exactly once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass

import httpx
import pytest

from hearth_testing import (
    API,
    OwnPostgres,
    all_pages,
    assert_no_internals,
    assert_not_ready,
    assert_problem,
    closing_all,
    register,
    serve,
    wait_until,
)
from hearth_testing import AppUser as User

pytestmark = pytest.mark.slow

WRITERS = 4
MAX_WRITES_PER_WRITER = 300  # the load is bounded whatever happens
OUTAGE_S = 3.0
RECOVERY_WITHIN_S = 30.0


@dataclass
class Attempt:
    writer: int
    body: str
    phase: str  # "before", "outage" or "after": when it was sent
    status: int | None  # None: no HTTP answer at all
    post_id: int | None
    error: str | None = None
    answered_at: float = 0.0  # time.monotonic()


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_postgres_stopped_mid_load_gives_503_then_recovers_with_every_acknowledged_write(mode: str) -> None:
    pg = OwnPostgres()
    server = serve(pg.url, HEARTH_DB_POOL_SIZE="8", HEARTH_DB_MAX_OVERFLOW="4")
    with closing_all(pg, server), server.client() as http:
        writers = [register(http, "dbw") for _ in range(WRITERS)]
        reader = register(http, "dbr")

        phase = "before"
        stop = threading.Event()
        attempts: list[Attempt] = []
        reads: list[tuple[str, httpx.Response | None]] = []
        lock = threading.Lock()
        after_ok = Counter[int]()  # writers' successful writes since the database came back

        def write_loop(n: int, user: User) -> None:
            with server.client(timeout=30) as client:
                for i in range(MAX_WRITES_PER_WRITER):
                    if stop.is_set():
                        return
                    sent_in = phase
                    body = f"fault-db w{n} #{i} {uuid.uuid4().hex[:8]}"
                    try:
                        r = client.post(
                            f"{API}/posts",
                            json={"body": body, "audience": {"type": "connections"}},
                            headers=user.headers,
                        )
                    except httpx.TransportError as exc:
                        a = Attempt(n, body, sent_in, None, None, repr(exc))
                    else:
                        post_id = int(r.json()["id"]) if r.status_code == 201 else None
                        a = Attempt(n, body, sent_in, r.status_code, post_id, None if r.status_code == 201 else r.text)
                        if r.status_code != 201:
                            assert_no_internals(r)
                    a.answered_at = time.monotonic()
                    with lock:
                        attempts.append(a)
                        if sent_in == "after" and a.status == 201:
                            after_ok[n] += 1
                    time.sleep(0.02 if a.status == 201 else 0.1)  # a little patience after a refusal

        def read_loop() -> None:
            with server.client(timeout=30) as client:
                while not stop.is_set():
                    sent_in = phase
                    try:
                        r: httpx.Response | None = client.get(f"{API}/feed", headers=reader.headers)
                    except httpx.TransportError:
                        r = None
                    with lock:
                        reads.append((sent_in, r))
                    time.sleep(0.05)

        threads = [threading.Thread(target=write_loop, args=(n, u), daemon=True) for n, u in enumerate(writers)]
        threads.append(threading.Thread(target=read_loop, daemon=True))
        for t in threads:
            t.start()
        try:
            time.sleep(1.5)  # some load against a healthy database first

            phase = "outage"
            stopping_at = time.monotonic()
            pg.stop(mode)  # fast: sessions in flight are terminated; immediate: a crash, WAL recovery on start
            outage_started = time.monotonic()
            live = http.get("/health/live")
            assert live.status_code == 200
            assert_not_ready(http.get("/health/ready"), "database")
            # a request of our own in the middle of the outage, besides the writers' ones
            during = http.post(
                f"{API}/posts",
                json={"body": "during the outage", "audience": {"type": "connections"}},
                headers=writers[0].headers,
            )
            body = assert_problem(during, 503, "service_unavailable")
            assert int(during.headers["retry-after"]) >= 1
            assert body["instance"] == f"{API}/posts"
            time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - outage_started)))

            pg.start()  # same data directory, same socket: the app's URL is valid again
            phase = "after"
            recovered_in = wait_until(
                lambda: http.get(f"{API}/users/me", headers=reader.headers).status_code == 200,
                RECOVERY_WITHIN_S,
                "the API answers again after the database came back",
            )
            recovered_at = time.monotonic()
            wait_until(lambda: http.get("/health/ready").status_code == 200, RECOVERY_WITHIN_S, "ready again")
            # every writer gets writes through again, by itself (no restart of the app)
            wait_until(
                lambda: all(after_ok[n] >= 3 for n in range(WRITERS)),
                RECOVERY_WITHIN_S,
                "every writer writes again",
            )
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "a client thread hung"

        # ---- what the clients saw ------------------------------------------------------------------
        by_phase = {p: Counter(a.status for a in attempts if a.phase == p) for p in ("before", "outage", "after")}
        print(f"\n[{mode}] writes by phase and status: {by_phase}; recovered {recovered_in:.2f} s after the restart")
        assert [a for a in attempts if a.status is None] == [], "a request got no HTTP answer at all"
        assert {a.status for a in attempts} <= {201, 503}, Counter(a.status for a in attempts)
        assert by_phase["before"][201] > 0
        assert by_phase["outage"][503] > 0, "the outage was not seen by any writer"
        for a in attempts:
            if a.status == 503:
                assert a.answered_at > stopping_at, "a 503 while the database was up"
                # once the API answered again, no pooled connection from before the outage is handed out
                assert a.answered_at < recovered_at + 1.0, "a 503 well after the database came back"
                assert '"code":"service_unavailable"' in (a.error or "").replace(" ", ""), a.error
        read_statuses = Counter((p, r.status_code if r is not None else None) for p, r in reads)
        assert {s for (_, s) in read_statuses} <= {200, 503}, read_statuses
        for _, r in reads:
            if r is not None and r.status_code == 503:
                assert_problem(r, 503, "service_unavailable")

        # ---- what is stored -------------------------------------------------------------------------
        acknowledged = [a for a in attempts if a.status == 201]
        assert len({a.post_id for a in acknowledged}) == len(acknowledged), "one id acknowledged twice"
        for a in acknowledged:
            r = http.get(f"{API}/posts/{a.post_id}", headers=writers[a.writer].headers)
            assert r.status_code == 200, (a, r.text)
            assert r.json()["body"] == a.body
        refused_bodies = {a.body for a in attempts if a.status != 201}
        for n, user in enumerate(writers):
            listed = all_pages(http, f"{API}/users/{user.id}/posts", user)
            bodies = Counter(p["body"] for p in listed)
            mine = {a.body for a in acknowledged if a.writer == n}
            assert mine <= set(bodies), f"acknowledged posts missing: {mine - set(bodies)}"
            assert all(c == 1 for c in bodies.values()), "a post is stored twice"
            # anything else stored was a write whose commit raced the shutdown: answered 503, never 201
            assert set(bodies) - mine <= refused_bodies | {"during the outage"}
        stored = dict(pg.sql("SELECT body, count(*) FROM posts GROUP BY body"))
        assert all(c == 1 for c in stored.values())
        print(
            f"acknowledged writes: {len(acknowledged)}, all present; refused with 503: "
            f"{sum(1 for a in attempts if a.status == 503)}; stored among the refused: "
            f"{len(refused_bodies & set(stored))}"
        )

        errors = [r for r in server.log_records() if r.get("message") == "unhandled error"]
        assert errors == [], errors[:3]
    assert server.process.returncode == 0, server.output()[-3000:]
