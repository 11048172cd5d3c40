"""Racing requests over real HTTP (a uvicorn server, many threads): one consistent state, never a 5xx."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

API = "/api/v1"


def _race(base_url: str, calls: Sequence[tuple[str, str, Any, dict[str, Any] | None]]) -> list[httpx.Response]:
    """Fire every ``(method, path, user, json)`` at the same moment, one thread each; answers in order."""
    barrier = threading.Barrier(len(calls))
    limits = httpx.Limits(max_connections=len(calls), max_keepalive_connections=len(calls))
    with httpx.Client(base_url=base_url, limits=limits, timeout=60) as http:

        def fire(call: tuple[str, str, Any, dict[str, Any] | None]) -> httpx.Response:
            method, path, user, body = call
            barrier.wait()
            return http.request(method, path, json=body, headers=user.headers)

        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            return list(pool.map(fire, calls))


def _pair_state(sql: Callable[..., list[Any]], a: Any, b: Any) -> dict[str, Any]:
    params = {"a": a.id, "b": b.id}
    requests = sql(
        "SELECT from_user_id, status FROM connection_requests"
        " WHERE least(from_user_id, to_user_id) = least(:a, :b)"
        " AND greatest(from_user_id, to_user_id) = greatest(:a, :b) ORDER BY id",
        **params,
    )
    connections = sql(
        "SELECT count(*) FROM connections WHERE user_a_id = least(:a, :b) AND user_b_id = greatest(:a, :b)", **params
    )[0][0]
    memberships = sql(
        "SELECT count(*) FROM user_tag_members WHERE (owner_user_id = :a AND target_user_id = :b)"
        " OR (owner_user_id = :b AND target_user_id = :a)",
        **params,
    )[0][0]
    blocks = sql(
        "SELECT count(*) FROM blocks"
        " WHERE (blocker_id = :a AND blocked_id = :b) OR (blocker_id = :b AND blocked_id = :a)",
        **params,
    )[0][0]
    return {
        "requests": [(int(f), s) for f, s in requests],
        "pending": sum(1 for _, s in requests if s == "pending"),
        "connections": connections,
        "memberships": memberships,
        "blocks": blocks,
    }


def test_fifty_pairs_requesting_each_other_at_once(make_user, live_server, sql):
    pairs = [(make_user(), make_user()) for _ in range(50)]
    calls = [("POST", "/connections/requests", a, {"user_id": b.id}) for a, b in pairs]
    calls += [("POST", "/connections/requests", b, {"user_id": a.id}) for a, b in pairs]
    order = list(range(len(calls)))
    random.shuffle(order)
    answers = dict(zip(order, _race(live_server, [calls[i] for i in order]), strict=True))

    assert {r.status_code for r in answers.values()} <= {201, 409}, [r.text for r in answers.values()]
    for n, (a, b) in enumerate(pairs):
        one, other = answers[n], answers[n + len(pairs)]
        assert sorted([one.status_code, other.status_code]) == [201, 409]
        loser = one if one.status_code == 409 else other
        assert loser.json()["code"] == "request_pending"
        state = _pair_state(sql, a, b)
        assert state["pending"] == 1
        assert len(state["requests"]) == 1
        assert state["connections"] == 0


def test_the_same_request_twice_at_once(make_user, live_server, sql):
    pairs = [(make_user(), make_user()) for _ in range(10)]
    calls = [("POST", "/connections/requests", a, {"user_id": b.id}) for a, b in pairs for _ in range(2)]
    answers = _race(live_server, calls)
    for n, (a, b) in enumerate(pairs):
        codes = sorted(r.status_code for r in answers[2 * n : 2 * n + 2])
        assert codes == [201, 409]
        assert _pair_state(sql, a, b)["pending"] == 1


def test_double_accept(make_user, send_request, live_server, sql):
    pairs = [(make_user(), make_user()) for _ in range(15)]
    ids = [send_request(a, b).json()["id"] for a, b in pairs]
    calls = [("POST", f"/connections/requests/{rid}/accept", b, None) for (_, b), rid in zip(pairs, ids, strict=True)]
    answers = _race(live_server, calls + calls)
    assert {r.status_code for r in answers} <= {200, 404}
    for n, (a, b) in enumerate(pairs):
        first, second = answers[n], answers[n + len(pairs)]
        assert sorted([first.status_code, second.status_code]) == [200, 404]
        winner = first if first.status_code == 200 else second
        assert winner.json()["user"]["id"] == a.id
        assert _pair_state(sql, a, b) | {"requests": None} == {
            "requests": None,
            "pending": 0,
            "connections": 1,
            "memberships": 0,
            "blocks": 0,
        }
        assert _pair_state(sql, a, b)["requests"] == [(a.id, "accepted")]


def test_accept_racing_cancel(make_user, send_request, live_server, sql):
    pairs = [(make_user(), make_user()) for _ in range(15)]
    ids = [send_request(a, b).json()["id"] for a, b in pairs]
    calls: list[tuple[str, str, Any, dict[str, Any] | None]] = []
    for (a, b), rid in zip(pairs, ids, strict=True):
        calls.append(("POST", f"/connections/requests/{rid}/accept", b, None))
        calls.append(("DELETE", f"/connections/requests/{rid}", a, None))
    answers = _race(live_server, calls)
    outcomes = Counter()
    for n, (a, b) in enumerate(pairs):
        accept, cancel = answers[2 * n], answers[2 * n + 1]
        state = _pair_state(sql, a, b)
        if accept.status_code == 200:
            assert cancel.status_code == 404, cancel.text
            assert state["connections"] == 1
            assert state["requests"] == [(a.id, "accepted")]
            outcomes["accepted"] += 1
        else:
            assert (accept.status_code, cancel.status_code) == (404, 204), (accept.text, cancel.text)
            assert state["connections"] == 0
            assert state["requests"] == [(a.id, "cancelled")]
            outcomes["cancelled"] += 1
    assert sum(outcomes.values()) == len(pairs)


def test_block_racing_a_request(make_user, live_server, sql):
    pairs = [(make_user(), make_user()) for _ in range(15)]
    calls: list[tuple[str, str, Any, dict[str, Any] | None]] = []
    for a, b in pairs:
        calls.append(("POST", "/blocks", a, {"user_id": b.id}))
        calls.append(("POST", "/connections/requests", b, {"user_id": a.id}))
    answers = _race(live_server, calls)
    for n, (a, b) in enumerate(pairs):
        block, request = answers[2 * n], answers[2 * n + 1]
        assert block.status_code == 204
        assert request.status_code in (201, 403), request.text
        state = _pair_state(sql, a, b)
        assert state["blocks"] == 1
        assert state["pending"] == 0  # a request that got in first was ended by the block


def test_tagging_racing_a_disconnect(make_user, connect, make_tag, live_server, sql):
    pairs = [(make_user(), make_user()) for _ in range(15)]
    tags = []
    for a, b in pairs:
        connect(a, b)
        tags.append(make_tag(a))
    calls: list[tuple[str, str, Any, dict[str, Any] | None]] = []
    for (a, b), tag in zip(pairs, tags, strict=True):
        calls.append(("PUT", f"/tags/{tag}/members/{b.id}", a, None))
        calls.append(("DELETE", f"/connections/{a.id}", b, None))
    answers = _race(live_server, calls)
    for n, (a, b) in enumerate(pairs):
        tagging, disconnect = answers[2 * n], answers[2 * n + 1]
        assert tagging.status_code in (204, 409), tagging.text
        assert disconnect.status_code == 204
        state = _pair_state(sql, a, b)
        assert state["connections"] == 0
        assert state["memberships"] == 0  # no membership outlives its connection
