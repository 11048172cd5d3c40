"""Issue 12, item 7: the edges of HTTP, on running servers.

- A 500 carries the security headers every other response carries.
- No redirect points at whatever a client put in ``Host``; with ``HEARTH_ALLOWED_HOSTS`` another host is
  refused outright.
- Behind a reverse proxy (``HEARTH_TRUSTED_PROXIES``) the client address comes from ``X-Forwarded-For``,
  so the per-address login limit is per client again; from any other peer that header changes nothing.
- Failed logins have a budget per account, whatever the address they come from.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from hearth_testing import API, PASSWORD, AppUser, Serve, assert_problem, free_port, register, serve, wait_until

pytestmark = pytest.mark.slow

LOGINS_PER_ADDRESS = 3
FAILURES_PER_ACCOUNT = 3
_addresses = itertools.count(1)


def _address() -> str:
    return f"198.51.100.{next(_addresses)}"  # TEST-NET-2: a client address of its own per call


def _assert_security_headers(r: httpx.Response) -> None:
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert r.headers["x-request-id"]


# ---- 500 -------------------------------------------------------------------------------------------------


@pytest.fixture
def crashing_server(make_app: Callable[..., FastAPI]) -> Iterator[str]:
    """The whole app with one route that fails unexpectedly, served by uvicorn on a socket."""
    app = make_app()

    @app.get(f"{API}/crash")
    def crash() -> None:
        raise RuntimeError("boom")

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, 30, "uvicorn started")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_a_500_carries_the_security_headers(crashing_server: str) -> None:
    r = httpx.get(f"{crashing_server}{API}/crash", headers={"X-Request-ID": "crash-1"}, timeout=30)
    body = assert_problem(r, 500, "internal_error")
    assert body["detail"] == "An unexpected error occurred."
    _assert_security_headers(r)
    assert r.headers["x-request-id"] == "crash-1"
    assert r.headers["cache-control"] == "no-store"


# ---- Host, proxies, login budgets ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plain(database_url: str) -> Iterator[Serve]:
    """No allowed hosts, no trusted proxy: as ``hearth serve`` starts with nothing configured."""
    s = serve(database_url, HEARTH_RATE_LIMIT_LOGIN=f"{LOGINS_PER_ADDRESS}/minute")
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(scope="module")
def fronted(database_url: str) -> Iterator[Serve]:
    """Behind a reverse proxy on this host, answering to ``hearth.test`` (and its loopback address)."""
    s = serve(
        database_url,
        HEARTH_ALLOWED_HOSTS="hearth.test,127.0.0.1",
        HEARTH_TRUSTED_PROXIES="127.0.0.1",
        HEARTH_RATE_LIMIT_LOGIN=f"{LOGINS_PER_ADDRESS}/minute",
        HEARTH_RATE_LIMIT_LOGIN_FAILURES=f"{FAILURES_PER_ACCOUNT}/minute",
    )
    try:
        yield s
    finally:
        s.close()


def test_no_redirect_points_at_a_forged_host(plain: Serve, fronted: Serve) -> None:
    for server in (plain, fronted):
        r = httpx.get(f"{server.base}{API}/feed/", headers={"Host": "127.0.0.1"})
        assert r.status_code in (307, 308), r.text
        assert r.headers["location"] == f"{API}/feed"  # relative: on the host the client asked
    forged = httpx.get(f"{plain.base}{API}/feed/", headers={"Host": "evil.example"})
    assert "evil.example" not in forged.headers.get("location", ""), forged.headers
    assert forged.headers["location"] == f"{API}/feed"


def test_a_host_outside_the_allowed_hosts_is_refused(fronted: Serve) -> None:
    for path in (f"{API}/feed/", f"{API}/users/me", f"{API}/auth/login"):
        r = httpx.get(f"{fronted.base}{path}", headers={"Host": "evil.example"})
        assert_problem(r, 400, "bad_request")
        assert "location" not in r.headers
        _assert_security_headers(r)
    allowed = httpx.get(f"{fronted.base}{API}/users/me", headers={"Host": "hearth.test:8443"})
    assert allowed.status_code == 401  # answered: a host it serves (with any port)
    assert httpx.get(f"{fronted.base}/health/live", headers={"Host": "10.1.2.3:8000"}).status_code == 200  # probes


def _login(server: Serve, username: str, password: str, address: str | None) -> httpx.Response:
    headers = {"X-Forwarded-For": address} if address else {}
    return httpx.post(
        f"{server.base}{API}/auth/login", json={"username": username, "password": password}, headers=headers
    )


def _user(server: Serve) -> AppUser:
    with server.client(headers={"X-Forwarded-For": _address()}) as http:
        return register(http, "edge")


def test_behind_a_trusted_proxy_each_client_has_its_own_login_limit(fronted: Serve) -> None:
    user = _user(fronted)
    crowded, other = _address(), _address()
    answers = [_login(fronted, user.username, PASSWORD, crowded).status_code for _ in range(LOGINS_PER_ADDRESS + 1)]
    assert answers == [200] * LOGINS_PER_ADDRESS + [429]
    assert _login(fronted, user.username, PASSWORD, other).status_code == 200  # another client behind the proxy


def test_a_forwarded_address_from_an_untrusted_peer_changes_nothing(plain: Serve) -> None:
    """Without a trusted proxy, X-Forwarded-For is the client's own text: it does not buy a new budget."""
    user = _user(plain)
    answers = [_login(plain, user.username, PASSWORD, _address()) for _ in range(LOGINS_PER_ADDRESS + 10)]
    assert [a.status_code for a in answers] == [200] * LOGINS_PER_ADDRESS + [429] * 10


def test_failed_logins_have_a_budget_per_account_from_any_address(fronted: Serve) -> None:
    victim, bystander = _user(fronted), _user(fronted)
    for _ in range(FAILURES_PER_ACCOUNT):
        assert _login(fronted, victim.username, "not the password at all", _address()).status_code == 401
    # spent: even the right password, from a fresh address, waits for the window to end
    refused = _login(fronted, victim.username, PASSWORD, _address())
    body = assert_problem(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["retry-after"]) <= 60, body
    # another account's success neither suffers nor refills the victim's budget
    assert _login(fronted, bystander.username, PASSWORD, _address()).status_code == 200
    assert _login(fronted, victim.username, PASSWORD, _address()).status_code == 429


def test_successful_logins_spend_no_budget_and_unknown_names_have_one(fronted: Serve) -> None:
    regular = _user(fronted)
    for _ in range(FAILURES_PER_ACCOUNT + 2):
        assert _login(fronted, regular.username, PASSWORD, _address()).status_code == 200
    # an unknown name is answered exactly as a known one: its budget runs out the same way
    nobody = f"nobody{uuid.uuid4().hex[:12]}"
    statuses = [_login(fronted, nobody, PASSWORD, _address()).status_code for _ in range(FAILURES_PER_ACCOUNT + 1)]
    assert statuses == [401] * FAILURES_PER_ACCOUNT + [429]
