"""The Media API end to end, on the local backend (the default) and on a real S3-compatible server.

A client announces an upload (POST /media), PUTs the bytes to the URL it got, then reads the media
(GET /media/{id}) and downloads the same bytes through its URL.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

API = "/api/v1"


@dataclass
class MediaApi:
    """One app (local or S3 backend) and how a client moves bytes to and from its URLs."""

    backend: str
    client: TestClient

    def transfer(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if self.backend == "local":  # the app serves its own URLs: go through the test client
            parts = urlsplit(url)
            response: httpx.Response = self.client.request(method, f"{parts.path}?{parts.query}", **kwargs)
            return response
        return httpx.request(method, url, timeout=10, **kwargs)

    def create(self, headers: dict[str, str], content_type: str = "image/png", size: int = 11) -> dict[str, Any]:
        r = self.client.post(f"{API}/media", json={"content_type": content_type, "size_bytes": size}, headers=headers)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    def upload(self, created: dict[str, Any], body: bytes) -> httpx.Response:
        up = created["upload"]
        return self.transfer(up["method"], up["url"], content=body, headers=up["headers"])


@pytest.fixture(scope="module")
def s3_client(make_app: Callable[..., FastAPI], s3_server: Any) -> Iterator[TestClient]:
    with TestClient(make_app(**s3_server.settings_overrides())) as c:
        yield c


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def api(request: pytest.FixtureRequest, client: TestClient) -> MediaApi:
    if request.param == "s3":
        return MediaApi("s3", request.getfixturevalue("s3_client"))
    return MediaApi("local", client)


def _problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    assert body["code"] == code
    return body


PRESIGN_CACHE = "storage.presign"  # the cache storage keeps its download URLs in


def _presign_count(result: str) -> float:
    return REGISTRY.get_sample_value("hearth_cache_requests_total", {"cache": PRESIGN_CACHE, "result": result}) or 0.0


# -- the whole flow, on both backends -----------------------------------------------------------


def test_upload_read_and_download(api: MediaApi, make_user: Callable[..., Any]) -> None:
    owner = make_user()
    body = secrets.token_bytes(1234)
    created = api.create(owner.headers, "image/jpeg", len(body))
    media, upload = created["media"], created["upload"]
    assert media["status"] == "pending"
    assert media["url"] is None and media["url_expires_at"] is None
    assert media["content_type"] == "image/jpeg" and media["size_bytes"] == len(body)
    assert upload["method"] == "PUT"
    assert upload["headers"] == {"Content-Type": "image/jpeg"}
    assert upload["expires_at"].endswith("Z")

    before = api.client.get(f"{API}/media/{media['id']}", headers=owner.headers)
    assert before.status_code == 200
    assert before.json()["status"] == "pending" and before.json()["url"] is None

    r = api.upload(created, body)
    assert r.status_code == 200, r.text

    after = api.client.get(f"{API}/media/{media['id']}", headers=owner.headers)
    assert after.status_code == 200
    shown = after.json()
    assert shown["status"] == "ready"
    assert shown["url"] and shown["url_expires_at"]

    download = api.transfer("GET", shown["url"])
    assert download.status_code == 200
    assert download.content == body
    assert download.headers["content-type"] == "image/jpeg"


def test_a_second_user_gets_404(api: MediaApi, make_user: Callable[..., Any]) -> None:
    owner, stranger = make_user(), make_user()
    created = api.create(owner.headers)
    assert api.upload(created, b"x" * 11).status_code == 200
    media_id = created["media"]["id"]
    assert api.client.get(f"{API}/media/{media_id}", headers=owner.headers).status_code == 200

    r = api.client.get(f"{API}/media/{media_id}", headers=stranger.headers)
    _problem(r, 404, "not_found")
    # exactly as if it did not exist
    missing = api.client.get(f"{API}/media/{media_id + 10_000_000}", headers=stranger.headers)
    assert _problem(missing, 404, "not_found")["title"] == r.json()["title"]


def test_download_url_is_cached_until_near_expiry(api: MediaApi, make_user: Callable[..., Any]) -> None:
    owner = make_user()
    created = api.create(owner.headers)
    assert api.upload(created, b"y" * 11).status_code == 200
    path = f"{API}/media/{created['media']['id']}"
    first = api.client.get(path, headers=owner.headers).json()
    hits = _presign_count("hit")
    second = api.client.get(path, headers=owner.headers).json()
    assert second["url"] == first["url"]
    assert second["url_expires_at"] == first["url_expires_at"]
    assert _presign_count("hit") == hits + 1

    metrics = api.client.get("/metrics").text
    assert f'hearth_cache_requests_total{{cache="{PRESIGN_CACHE}",result="hit"}}' in metrics
    assert "hearth_presign" not in metrics  # counted once, by the cache


def test_health_reports_storage(api: MediaApi) -> None:
    r = api.client.get("/health/ready")
    assert r.status_code == 200, r.text
    assert r.json()["checks"]["storage"]["status"] == "ok"


# -- validation and auth --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        {"content_type": "image/svg+xml", "size_bytes": 10},
        {"content_type": "text/html", "size_bytes": 10},
        {"content_type": "image/png", "size_bytes": 10 * 1024 * 1024 + 1},
        {"content_type": "image/png", "size_bytes": 0},
        {"content_type": "image/png"},
        {"size_bytes": 10},
    ],
    ids=["svg", "html", "too-large", "empty", "no-size", "no-type"],
)
def test_bad_upload_requests_get_422(
    client: TestClient, make_user: Callable[..., Any], payload: dict[str, Any]
) -> None:
    owner = make_user()
    r = client.post(f"{API}/media", json=payload, headers=owner.headers)
    body = _problem(r, 422, "validation_error")
    assert body["errors"]


def test_size_limit_follows_the_settings(make_app: Callable[..., FastAPI], make_user: Callable[..., Any]) -> None:
    owner = make_user()
    with TestClient(make_app(media_max_bytes=100)) as small:
        ok = small.post(f"{API}/media", json={"content_type": "image/gif", "size_bytes": 100}, headers=owner.headers)
        assert ok.status_code == 201
        r = small.post(f"{API}/media", json={"content_type": "image/gif", "size_bytes": 101}, headers=owner.headers)
        body = _problem(r, 422, "validation_error")
        assert body["errors"][0]["loc"] == ["body", "size_bytes"]


def test_content_type_is_case_insensitive(client: TestClient, make_user: Callable[..., Any]) -> None:
    owner = make_user()
    r = client.post(f"{API}/media", json={"content_type": "Image/PNG", "size_bytes": 3}, headers=owner.headers)
    assert r.status_code == 201
    assert r.json()["media"]["content_type"] == "image/png"


def test_unauthenticated_requests_get_401(client: TestClient, make_user: Callable[..., Any]) -> None:
    r = client.post(f"{API}/media", json={"content_type": "image/png", "size_bytes": 3})
    _problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"
    owner = make_user()
    media_id = client.post(f"{API}/media", json={"content_type": "image/png", "size_bytes": 3}, headers=owner.headers)
    _problem(client.get(f"{API}/media/{media_id.json()['media']['id']}"), 401, "unauthorized")


def test_out_of_range_id(client: TestClient, make_user: Callable[..., Any]) -> None:
    owner = make_user()
    assert client.get(f"{API}/media/{2**70}", headers=owner.headers).status_code in (404, 422)
    assert client.get(f"{API}/media/0", headers=owner.headers).status_code == 404
