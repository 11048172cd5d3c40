"""Security headers of the assembled app, on real routes: a JSON API's headers on every response, no
caching of anything authenticated (or carrying a token), a strict CSP on the docs page, and no docs page
in production.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from hearth_testing import register

API = "/api/v1"


@pytest.fixture(scope="module")
def user(client: TestClient) -> dict[str, Any]:
    u = register(client, "hdr")
    return {"id": u.id, "username": u.username, "headers": u.headers}


def _requests(user: dict[str, Any]) -> dict[str, Callable[[TestClient], httpx.Response]]:
    """One of each kind of response: success, created, no content, every error layer, docs, operations."""
    h = user["headers"]
    return {
        "200 authenticated": lambda c: c.get(f"{API}/users/me", headers=h),
        "200 page": lambda c: c.get(f"{API}/feed", headers=h),
        "201 created": lambda c: c.post(f"{API}/tags", json={"name": uuid.uuid4().hex[:8]}, headers=h),
        "204 no content": lambda c: c.delete(
            f"{API}/tags/{c.post(f'{API}/tags', json={'name': uuid.uuid4().hex[:8]}, headers=h).json()['id']}",
            headers=h,
        ),
        "201 register (a token)": lambda c: c.post(
            f"{API}/auth/register",
            json={
                "username": (n := f"hdr{uuid.uuid4().hex[:12]}"),
                "email": f"{n}@example.com",
                "password": "correct horse battery",
                "display_name": n,
            },
        ),
        "200 login (a token)": lambda c: c.post(
            f"{API}/auth/login", json={"username": user["username"], "password": "correct horse battery"}
        ),
        "401": lambda c: c.get(f"{API}/users/me"),
        "401 bad token": lambda c: c.get(f"{API}/users/me", headers={"Authorization": "Bearer nope"}),
        "404 authenticated": lambda c: c.get(f"{API}/posts/999999999999", headers=h),
        "404 unknown route": lambda c: c.get("/no/such/page"),
        "405": lambda c: c.put(f"{API}/users/me", headers=h),
        "413": lambda c: c.post(f"{API}/posts", content=b"x" * (1024 * 1024 + 1), headers=h),
        "422": lambda c: c.post(f"{API}/posts", json={"body": ""}, headers=h),
        "422 invalid cursor": lambda c: c.get(f"{API}/feed", params={"cursor": "x.y"}, headers=h),
        "docs": lambda c: c.get("/docs"),
        "openapi.json": lambda c: c.get("/openapi.json"),
        "health": lambda c: c.get("/health/live"),
        "metrics": lambda c: c.get("/metrics"),
    }


KINDS = list(_requests({"headers": {}, "username": ""}))


@pytest.mark.parametrize("kind", KINDS)
def test_every_response_has_the_json_api_headers(client: TestClient, user: dict[str, Any], kind: str) -> None:
    r = _requests(user)[kind](client)
    assert r.status_code < 500, r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    csp = _directives(r.headers["content-security-policy"])
    assert csp["default-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    if kind != "docs":  # nothing but the docs page may run or load anything
        assert set(csp) == {"default-src", "frame-ancestors"}, csp
    if r.status_code >= 400:
        assert r.headers["content-type"] == "application/problem+json"


NEVER_STORED = [k for k in KINDS if k not in ("docs", "openapi.json", "health", "metrics", "404 unknown route")]


@pytest.mark.parametrize("kind", NEVER_STORED)
def test_authenticated_and_token_responses_are_never_stored(
    client: TestClient, user: dict[str, Any], kind: str
) -> None:
    """Every ``/api`` response (authenticated, or carrying a token as register and login do) is ``no-store``."""
    r = _requests(user)[kind](client)
    assert r.headers["cache-control"] == "no-store", (kind, r.status_code, r.headers.get("cache-control"))


@pytest.mark.parametrize("path", ["/health/live", "/openapi.json", "/no/such/page"])
def test_any_request_with_credentials_is_never_stored(client: TestClient, user: dict[str, Any], path: str) -> None:
    assert client.get(path, headers=user["headers"]).headers["cache-control"] == "no-store"


# -- the docs page ---------------------------------------------------------------------------------------


def _directives(csp: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            assert words[0].lower() not in out, f"directive {words[0]} given twice: {csp}"
            out[words[0].lower()] = words[1:]
    return out


def test_the_docs_page_has_a_strict_csp_that_still_lets_it_work(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = _directives(r.headers["content-security-policy"])
    # nothing is allowed unless named; no framing, no <base> or form tricks
    assert csp["default-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp.get("base-uri") in (["'none'"], ["'self'"]), "base-uri does not fall back to default-src"
    assert csp.get("form-action") in (["'none'"], ["'self'"]), "form-action does not fall back to default-src"
    assert csp.get("object-src", ["'none'"]) == ["'none'"]
    # strict scripts: no inline script but the page's own (by hash), no eval, no wildcards or schemes
    scripts = csp["script-src"]
    for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "http:", "https:", "blob:"):
        assert unsafe not in scripts, f"script-src allows {unsafe}: {scripts}"
    for directive, sources in csp.items():
        assert "*" not in sources and "http:" not in sources, (directive, sources)
    # ... and the page works under it: each inline script is allowed by its hash, each external one by its host
    html = r.text
    for inline in re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL):
        digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in scripts, "an inline script of the docs page is blocked by its own CSP"
    # offline: every script and stylesheet is this server's own, and it serves them; no other host is named
    assert "'self'" in scripts and "'self'" in csp["style-src"]
    assets = re.findall(r'<script src="([^"]+)"', html) + [
        next(u for u in href if u)
        for href in re.findall(
            r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"|<link[^>]*href="([^"]+)"[^>]*rel="stylesheet"', html
        )
    ]
    assert assets
    for url in assets:
        assert url.startswith("/"), url
        assert client.get(url).status_code == 200, url
    assert "://" not in csp.__repr__(), csp
    assert "'self'" in csp["connect-src"], "the page must fetch /openapi.json"
    assert "/openapi.json" in html


@pytest.fixture
def production_client(make_app: Callable[..., FastAPI], database_url: str) -> Iterator[TestClient]:
    app = make_app(env="production", secret_key=SecretStr("p" * 48), database_url=database_url)
    with TestClient(app) as c:
        yield c


def test_redoc_works_offline_too(client: TestClient) -> None:
    r = client.get("/redoc")
    assert r.status_code == 200
    assert re.findall(r'<script src="([^"]+)"', r.text) == ["/docs/static/redoc.standalone.js"]
    assert "fonts.googleapis" not in r.text and "://" not in r.headers["content-security-policy"]


def test_the_docs_can_be_switched_off(make_app: Callable[..., FastAPI]) -> None:
    with TestClient(make_app(docs_enabled=False)) as c:
        assert c.get("/docs").status_code == 404 and c.get("/docs/static/swagger-ui.css").status_code == 404
        assert c.get("/openapi.json").status_code == 200  # the schema stays: clients generate from it


@pytest.mark.parametrize("path", ["/docs", "/docs/oauth2-redirect", "/redoc", "/docs/static/swagger-ui.css"])
def test_no_docs_page_in_production(production_client: TestClient, path: str) -> None:
    r = production_client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_production_still_serves_the_api(production_client: TestClient) -> None:
    assert production_client.get("/health/live").status_code == 200
    r = production_client.get(f"{API}/users/me")
    assert r.status_code == 401 and r.headers["cache-control"] == "no-store"
