"""Many users reacting to one post at once (each several times), over real HTTP on ``hearth serve --workers
2``: no 5xx, exact counts, and the author told exactly once per reactor (the notification is written by
notifications' handler in the same transaction as the reaction)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from hearth_testing import API, AppUser, Serve, connect, register, serve

pytestmark = pytest.mark.slow

FRIENDS = 12  # 36 requests at once
# Each worker's pools are bounded (a write and a read pool of 6 + 2 each, besides its job worker's two): the
# burst queues in the pools instead of opening a connection per request, which on the shared test server
# (max_connections 100, next to other suites) ran out of connections ("too many clients": 503s).
POOLS = {"HEARTH_DB_POOL_SIZE": "6", "HEARTH_DB_MAX_OVERFLOW": "2"}


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[Serve]:
    running = serve(database_url, workers=2, env=POOLS)
    try:
        yield running
    finally:
        running.close()


def test_many_users_reacting_at_once(server: Serve) -> None:
    with server.client() as http:
        author = register(http, "sa")
        friends = [register(http, "sf") for _ in range(FRIENDS)]
        for f in friends:
            connect(http, author, f)
        r = http.post(
            f"{API}/posts", json={"body": "react!", "audience": {"type": "connections"}}, headers=author.headers
        )
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
    # each friend: like twice and laugh, all at once; then all take the laugh back at once
    calls: list[tuple[str, str, AppUser]] = []
    for f in friends:
        calls += [("PUT", "like", f), ("PUT", "like", f), ("PUT", "laugh", f)]
    barrier = threading.Barrier(len(calls))
    limits = httpx.Limits(max_connections=len(calls))

    with server.client(limits=limits, timeout=60) as http:

        def fire(call: tuple[str, str, AppUser]) -> int:
            method, kind, user = call
            barrier.wait()
            return http.request(method, f"{API}/posts/{pid}/reactions/{kind}", headers=user.headers).status_code

        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            codes = list(pool.map(fire, calls))
        durations = sorted(
            int(r.get("duration_ms", 0)) for r in server.log_records() if "reactions" in str(r.get("path"))
        )
        assert set(codes) == {204}, (codes.count(503), durations)

        def drop(user: AppUser) -> int:
            return http.delete(f"{API}/posts/{pid}/reactions/laugh", headers=user.headers).status_code

        with ThreadPoolExecutor(max_workers=len(friends)) as pool:
            assert set(pool.map(drop, friends)) == {204}

        post = http.get(f"{API}/posts/{pid}", headers=author.headers).json()
        assert post["reactions"] == {"like": FRIENDS}
        listed = http.get(f"{API}/posts/{pid}/reactions", params={"limit": 100}, headers=author.headers).json()
        assert len(listed["items"]) == FRIENDS
        told = http.get(f"{API}/notifications", params={"limit": 100}, headers=author.headers).json()["items"]
        reactions = [n["actor"]["id"] for n in told if n["type"] == "reaction"]
        assert sorted(reactions) == sorted(f.id for f in friends)
