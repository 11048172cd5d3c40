"""Abuse limits on a running ``hearth serve --workers 2`` whose rate-limit counters are shared through Redis.

Each request is sent on a keep-alive connection whose serving worker is known: the test opens
connections until each of the two worker processes holds some (it asks the kernel, through psutil,
which worker owns the server side of each connection), then alternates between the workers. With
per-process counters each worker would allow the whole limit (8 logins where 4 are allowed); shared
through Redis, the limit holds across both, and the refusal comes from whichever worker answers.

The server runs with ``--proxy-headers`` (as behind a reverse proxy on the same host), so each test
uses its own client address through ``X-Forwarded-For`` and the per-address families do not mix.

Also here: upload sizes bound into the local backend's signed URLs, and page sizes capped.
"""

from __future__ import annotations

import http.client
import itertools
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import psutil
import pytest

from hearth_testing import API, INTERNALS, PASSWORD, Serve, Stack, connect, new_post, own_stack
from hearth_testing import AppUser as User

pytestmark = pytest.mark.slow

LOGIN, REGISTER, WRITE, DEFAULT = 4, 6, 5, 40
MEDIA_MAX_BYTES = 4096
_addresses = itertools.count(10)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with own_stack(
        redis=True,
        workers=2,
        args=("--proxy-headers",),
        HEARTH_RATE_LIMIT_LOGIN=f"{LOGIN}/minute",
        HEARTH_RATE_LIMIT_REGISTER=f"{REGISTER}/minute",
        HEARTH_RATE_LIMIT_WRITE=f"{WRITE}/minute",
        HEARTH_RATE_LIMIT_DEFAULT=f"{DEFAULT}/minute",
        HEARTH_MEDIA_MAX_BYTES=str(MEDIA_MAX_BYTES),
    ) as stack:
        yield stack


def _address() -> str:
    return f"203.0.113.{next(_addresses)}"  # TEST-NET-3: one client address per test


# ---- connections pinned to a worker ---------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str
    worker: int

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class Pinned:
    """A keep-alive connection and the worker process that serves it."""

    conn: http.client.HTTPConnection
    worker: int

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
        raw = json.dumps(body).encode() if body is not None else None
        hdrs = {"Content-Type": "application/json"} if raw is not None else {}
        hdrs.update(headers or {})
        self.conn.request(method, path, body=raw, headers=hdrs)
        resp = self.conn.getresponse()
        text = resp.read().decode()
        return Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, text, self.worker)


@dataclass
class Workers:
    """Connections to each of the server's workers: ``on(i)`` alternates between the two."""

    by_worker: dict[int, list[Pinned]] = field(default_factory=dict)

    @property
    def pids(self) -> list[int]:
        return sorted(self.by_worker)

    def on(self, i: int) -> Pinned:
        conns = self.by_worker[self.pids[i % 2]]
        return conns[(i // 2) % len(conns)]

    def close(self) -> None:
        for conns in self.by_worker.values():
            for p in conns:
                p.conn.close()


def _worker_pids(server: Serve) -> list[int]:
    children = psutil.Process(server.process.pid).children(recursive=True)
    return [p.pid for p in children if "spawn_main" in " ".join(p.cmdline())]


def _owner(server: Serve, pids: list[int], local_port: int) -> int | None:
    for pid in pids:
        for c in psutil.Process(pid).net_connections(kind="tcp"):
            if c.laddr and c.raddr and c.laddr.port == server.port and c.raddr.port == local_port:
                return pid
    return None


@pytest.fixture
def workers(stack: Stack) -> Iterator[Workers]:
    """At least two connections on each of the two workers (uvicorn closes idle ones after 5 s: per test)."""
    server = stack.server
    pids = _worker_pids(server)
    assert len(pids) == 2, f"expected 2 worker processes, found {pids}"
    found = Workers({pid: [] for pid in pids})
    spare: list[http.client.HTTPConnection] = []
    try:
        for _ in range(200):
            if all(len(v) >= 2 for v in found.by_worker.values()):
                break
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            conn.connect()
            conn.request("GET", "/health/live")
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 200
            owner = _owner(server, pids, conn.sock.getsockname()[1])
            if owner is not None and len(found.by_worker[owner]) < 2:
                found.by_worker[owner].append(Pinned(conn, owner))
            else:
                spare.append(conn)  # kept open meanwhile: the next one is more likely to go to the other worker
        else:
            pytest.fail(f"could not reach both workers: { ({k: len(v) for k, v in found.by_worker.items()}) }")
    finally:
        for conn in spare:
            conn.close()
    try:
        yield found
    finally:
        found.close()


def _register(w: Workers, i: int, address: str, prefix: str = "ab") -> tuple[Answer, User | None]:
    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    a = w.on(i).request(
        "POST",
        f"{API}/auth/register",
        {"username": name, "email": f"{name}@example.com", "password": PASSWORD, "display_name": name},
        {"X-Forwarded-For": address},
    )
    user = User(int(a.json()["user"]["id"]), name, a.json()["access_token"]) if a.status == 201 else None
    return a, user


def _user(w: Workers, address: str) -> User:
    a, user = _register(w, 0, address)
    assert a.status == 201 and user is not None, a.text
    return user


def _assert_429(a: Answer, window_s: int = 60) -> None:
    assert a.status == 429, (a.status, a.text)
    assert a.headers["content-type"].startswith("application/problem+json")
    body = a.json()
    assert body["status"] == 429 and body["code"] == "rate_limited"
    assert 1 <= int(a.headers["retry-after"]) <= window_s
    assert INTERNALS.search(a.text) is None


def _refused_on_both_workers(answers: list[Answer]) -> None:
    refused = [a for a in answers if a.status == 429]
    assert {a.worker for a in refused} == {a.worker for a in answers}, "a worker did not refuse"


# ---- the families ---------------------------------------------------------------------------------------


def test_the_fifth_login_from_one_address_is_refused_by_whichever_worker_answers(
    stack: Stack, workers: Workers
) -> None:
    user = _user(workers, _address())
    address = _address()
    good = {"username": user.username, "password": PASSWORD}
    bad = {"username": user.username, "password": "not the password at all"}
    attempts = [good, bad, good, bad]  # wrong passwords count too: that is what the limit is for
    answers = [
        workers.on(i).request("POST", f"{API}/auth/login", body, {"X-Forwarded-For": address})
        for i, body in enumerate(attempts)
    ]
    assert [a.status for a in answers] == [200, 401, 200, 401]
    assert len({a.worker for a in answers}) == 2, "both workers served the allowed logins"
    over = [workers.on(i).request("POST", f"{API}/auth/login", good, {"X-Forwarded-For": address}) for i in range(4, 8)]
    for a in over:
        _assert_429(a)
    _refused_on_both_workers(over)
    # per address: another client is not affected
    other = workers.on(1).request("POST", f"{API}/auth/login", good, {"X-Forwarded-For": _address()})
    assert other.status == 200, other.text


def test_registrations_per_address_are_counted_across_workers(stack: Stack, workers: Workers) -> None:
    address = _address()
    answers = [_register(workers, i, address, "rg")[0] for i in range(REGISTER + 4)]
    assert [a.status for a in answers] == [201] * REGISTER + [429] * 4, [a.status for a in answers]
    for a in answers[REGISTER:]:
        _assert_429(a)
    _refused_on_both_workers(answers[REGISTER:])
    assert len({a.worker for a in answers[:REGISTER]}) == 2


def test_writes_per_user_are_counted_across_workers(stack: Stack, workers: Workers) -> None:
    address = _address()
    writer, other = _user(workers, address), _user(workers, address)
    answers = [
        workers.on(i).request(
            "POST", f"{API}/posts", {"body": f"w{i}", "audience": {"type": "connections"}}, writer.headers
        )
        for i in range(WRITE + 4)
    ]
    assert [a.status for a in answers] == [201] * WRITE + [429] * 4, [a.status for a in answers]
    # the tightest quota (writes, not the default family) on every answer, counted down across both workers
    assert [a.headers["ratelimit-remaining"] for a in answers] == [str(WRITE - 1 - i) for i in range(WRITE)] + ["0"] * 4
    assert {a.headers["ratelimit-limit"] for a in answers} == {str(WRITE)}
    for a in answers[WRITE:]:
        _assert_429(a)
        assert a.headers["ratelimit-reset"] == a.headers["retry-after"]
    _refused_on_both_workers(answers[WRITE:])
    # the family is "writes", not "posts": a connection request is refused too, on either worker
    for i in range(2):
        r = workers.on(i).request("POST", f"{API}/connections/requests", {"user_id": other.id}, writer.headers)
        _assert_429(r)
    # per user: another user writes on
    assert (
        workers.on(0)
        .request("POST", f"{API}/posts", {"body": "mine", "audience": {"type": "connections"}}, other.headers)
        .status
        == 201
    )
    # reads are another family: the writer still reads
    assert workers.on(1).request("GET", f"{API}/feed", headers=writer.headers).status == 200
    # and only WRITE posts exist
    page = workers.on(0).request("GET", f"{API}/users/{writer.id}/posts?limit=100", headers=writer.headers).json()
    assert len(page["items"]) == WRITE
    # the counters are in Redis, under the deployment's prefix
    client = stack.redis.client()
    try:
        keys = [k.decode() for k in client.scan_iter(match=f"{stack.prefix}ratelimit:*/write/user:{writer.id}/*")]
        assert keys and sum(int(client.get(k) or 0) for k in keys) >= WRITE
    finally:
        client.close()


def test_every_authenticated_request_counts_in_the_default_family_per_user(stack: Stack, workers: Workers) -> None:
    address = _address()
    reader, other = _user(workers, address), _user(workers, address)
    answers = [workers.on(i).request("GET", f"{API}/users/me", headers=reader.headers) for i in range(DEFAULT + 4)]
    assert [a.status for a in answers] == [200] * DEFAULT + [429] * 4, Counter(a.status for a in answers)
    for a in answers[DEFAULT:]:
        _assert_429(a)
    _refused_on_both_workers(answers[DEFAULT:])
    assert workers.on(0).request("GET", f"{API}/feed", headers=reader.headers).status == 429  # any route
    assert workers.on(1).request("GET", f"{API}/users/me", headers=other.headers).status == 200  # per user


# ---- upload size bound into the signed URL (local backend) -----------------------------------------------


def test_the_upload_size_is_bound_into_the_local_signed_url(stack: Stack, workers: Workers) -> None:
    owner = _user(workers, _address())
    size = 100
    r = httpx.post(
        f"{stack.server.base}{API}/media",
        json={"content_type": "image/webp", "size_bytes": size},
        headers=owner.headers,
        timeout=30,
    )
    assert r.status_code == 201, r.text
    media_id, upload = r.json()["media"]["id"], r.json()["upload"]
    assert upload["url"].startswith(stack.server.base + "/files/")

    def put(content: Any, **headers: str) -> httpx.Response:
        return httpx.request(
            upload["method"], upload["url"], content=content, headers={**upload["headers"], **headers}, timeout=30
        )

    for body in (b"x" * (size + 1), b"x" * (size - 1), b"x" * (MEDIA_MAX_BYTES + 10)):
        refused = put(body)
        assert refused.status_code in (403, 413), (len(body), refused.status_code, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    chunked = put(iter([b"x" * 60, b"x" * 60]))  # no Content-Length: refused once it passes the size
    assert "content-length" not in chunked.request.headers
    assert chunked.status_code == 403, chunked.text
    assert put(b"x" * size, **{"Content-Type": "image/png"}).status_code == 403  # another type than signed
    state = httpx.get(f"{stack.server.base}{API}/media/{media_id}", headers=owner.headers, timeout=30).json()
    assert state["status"] == "pending"
    assert put(b"x" * size).status_code == 200
    state = httpx.get(f"{stack.server.base}{API}/media/{media_id}", headers=owner.headers, timeout=30).json()
    assert state["status"] == "ready"
    got = httpx.get(state["url"], timeout=30)
    assert got.status_code == 200 and got.content == b"x" * size
    over = httpx.post(
        f"{stack.server.base}{API}/media",
        json={"content_type": "image/png", "size_bytes": MEDIA_MAX_BYTES + 1},
        headers=owner.headers,
        timeout=30,
    )
    assert over.status_code == 422 and over.json()["code"] == "validation_error"


# ---- page sizes -----------------------------------------------------------------------------------------


def test_page_sizes_are_capped_on_every_list(stack: Stack, workers: Workers) -> None:
    address = _address()
    me, friend = _user(workers, address), _user(workers, address)
    with stack.server.client() as http:
        connect(http, me, friend)
        post = new_post(http, me, "a post to list comments of")
        assert post.status_code == 201
        tag = http.post(f"{API}/tags", json={"name": "capped"}, headers=me.headers).json()["id"]
        lists = [
            f"{API}/feed",
            f"{API}/users/{me.id}/posts",
            f"{API}/posts/{post.json()['id']}/comments",
            f"{API}/connections",
            f"{API}/connections/requests?direction=incoming",
            f"{API}/blocks",
            f"{API}/users?q=a",
            f"{API}/tags/{tag}/members",
        ]
        for path in lists:
            sep = "&" if "?" in path else "?"
            for limit in (1000, 101):
                r = http.get(f"{path}{sep}limit={limit}", headers=me.headers)
                assert r.status_code == 422, (path, limit, r.status_code, r.text)
                assert r.headers["content-type"].startswith("application/problem+json")
                assert r.json()["code"] == "validation_error"
            ok = http.get(f"{path}{sep}limit=100", headers=me.headers)
            assert ok.status_code == 200, (path, ok.text)
            assert len(ok.json()["items"]) <= 100


# ---- one Redis, two deployments ---------------------------------------------------------------------------


def test_deployments_sharing_a_redis_keep_their_counters_apart(stack: Stack) -> None:
    """``HEARTH_REDIS_KEY_PREFIX`` separates deployments: user 1 of one is not user 1 of the other, and
    resetting one's counters leaves the other's alone; instances of one deployment do share them."""
    from hearth_platform.errors import RateLimited
    from hearth_platform.ratelimit import RateLimiter

    limits = {"login": "2/minute", "register": "2/minute", "write": "2/minute", "default": "2/minute"}
    prefix_one, prefix_two = f"dep-one-{uuid.uuid4().hex[:6]}:", f"dep-two-{uuid.uuid4().hex[:6]}:"
    one = RateLimiter(limits, redis_url=stack.redis.url, key_prefix=prefix_one)
    one_again = RateLimiter(limits, redis_url=stack.redis.url, key_prefix=prefix_one)  # another worker
    two = RateLimiter(limits, redis_url=stack.redis.url, key_prefix=prefix_two)
    one.check("write", "user:1")
    one_again.check("write", "user:1")
    with pytest.raises(RateLimited):
        one.check("write", "user:1")
    two.check("write", "user:1")  # the other deployment's user 1 has written nothing yet
    two.check("write", "user:1")
    with pytest.raises(RateLimited):
        two.check("write", "user:1")
    two.reset()
    with pytest.raises(RateLimited):
        one_again.check("write", "user:1")  # not cleared by the other deployment's reset
    two.check("write", "user:1")
    client = stack.redis.client()
    try:
        keys = {k.decode() for k in client.scan_iter(match="*")}
    finally:
        client.close()
    assert any(k.startswith(prefix_one) for k in keys) and any(k.startswith(prefix_two) for k in keys), keys
    outside = {k for k in keys if not k.startswith((prefix_one, prefix_two, stack.prefix))}
    assert outside == set(), f"keys outside every deployment's prefix: {outside}"
