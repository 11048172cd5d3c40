"""The S3 backend against a real S3-compatible server: what a client uploading and downloading sees."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from hearth_platform.settings import Settings
from hearth_storage.s3 import S3Backend

pytestmark = pytest.mark.s3


@pytest.fixture
def settings(s3_server: Any) -> Settings:
    return Settings(_env_file=None, **s3_server.settings_overrides())


@pytest.fixture
def backend(settings: Settings) -> S3Backend:
    return S3Backend(settings)


def _key() -> str:
    return f"u1/{secrets.token_urlsafe(16)}"


def _put(ticket_url: str, body: bytes, content_type: str) -> httpx.Response:
    return httpx.put(ticket_url, content=body, headers={"Content-Type": content_type}, timeout=10)


def test_upload_through_presigned_put_then_download(backend: S3Backend) -> None:
    key, body = _key(), secrets.token_bytes(1500)
    ticket = backend.create_upload(key, "image/png", len(body))
    assert ticket.method == "PUT"
    assert ticket.headers == {"Content-Type": "image/png"}
    assert ticket.expires_at > datetime.now(UTC)
    assert backend.head(key) is None

    r = httpx.request(ticket.method, ticket.url, content=body, headers=ticket.headers, timeout=10)
    assert r.status_code == 200, r.text
    assert backend.head(key) is None  # the upload URL never writes the object viewers download ...
    assert backend.finish_upload(key, len(body))  # ... finishing the upload puts it there
    assert backend.head(key) == len(body)

    url, expires_at = backend.presign_download(key)
    assert 250 < (expires_at - datetime.now(UTC)).total_seconds() <= 300  # the default 5 minutes
    got = httpx.get(url, timeout=10)
    assert got.status_code == 200
    assert got.content == body
    assert got.headers["content-type"] == "image/png"


def test_wrong_content_type_is_refused(backend: S3Backend) -> None:
    key = _key()
    ticket = backend.create_upload(key, "image/png", 5)
    r = _put(ticket.url, b"hello", "image/gif")
    assert r.status_code == 403
    assert not backend.finish_upload(key, 5)


@pytest.mark.parametrize("body", [b"hello!", b"hell"], ids=["longer", "shorter"])
def test_wrong_length_is_refused(backend: S3Backend, body: bytes) -> None:
    key = _key()
    ticket = backend.create_upload(key, "image/jpeg", 5)
    r = _put(ticket.url, body, "image/jpeg")
    assert r.status_code == 403
    assert not backend.finish_upload(key, 5)


def test_expired_upload_url_is_refused(settings: Settings) -> None:
    backend = S3Backend(settings, upload_ttl=1)
    key = _key()
    ticket = backend.create_upload(key, "image/webp", 5)
    time.sleep(2.5)
    r = _put(ticket.url, b"hello", "image/webp")
    assert r.status_code == 403
    assert not backend.finish_upload(key, 5)


def test_expired_download_url_is_refused(settings: Settings, backend: S3Backend) -> None:
    key = _key()
    assert _put(backend.create_upload(key, "video/mp4", 3).url, b"mp4", "video/mp4").status_code == 200
    assert backend.finish_upload(key, 3)
    short = S3Backend(settings, download_ttl=1)
    url, _ = short.presign_download(key)
    time.sleep(2.5)
    assert httpx.get(url, timeout=10).status_code == 403


def test_download_url_is_bound_to_its_key(backend: S3Backend) -> None:
    key = _key()
    assert _put(backend.create_upload(key, "image/gif", 3).url, b"gif", "image/gif").status_code == 200
    assert backend.finish_upload(key, 3)
    url, _ = backend.presign_download(key)
    other = url.replace(key, _key())
    assert httpx.get(other, timeout=10).status_code == 403


def test_a_replayed_upload_url_changes_nothing_once_finished(backend: S3Backend) -> None:
    key = _key()
    ticket = backend.create_upload(key, "image/png", 5)
    assert _put(ticket.url, b"first", "image/png").status_code == 200
    assert not backend.finish_upload(key, 6)  # not the declared size: nothing is fixed
    assert backend.head(key) is None
    assert backend.finish_upload(key, 5)
    assert backend.finish_upload(key, 5)  # again (a rolled-back attempt): still the same object
    url, _ = backend.presign_download(key)
    assert _put(ticket.url, b"other", "image/png").status_code == 200  # the store takes it, but ...
    got = httpx.get(url, timeout=10)
    assert (got.content, got.headers["content-type"]) == (b"first", "image/png")  # ... viewers never see it


def test_delete_removes_the_object_and_any_upload_left(backend: S3Backend) -> None:
    key = _key()
    ticket = backend.create_upload(key, "image/png", 5)
    assert _put(ticket.url, b"first", "image/png").status_code == 200
    assert backend.finish_upload(key, 5)
    assert _put(ticket.url, b"again", "image/png").status_code == 200  # a leftover under incoming/
    backend.delete([key, _key()])  # an unknown key is no error
    assert backend.head(key) is None
    assert not backend.finish_upload(key, 5)


def test_health_check(backend: S3Backend, settings: Settings) -> None:
    assert backend.check() >= 0
    missing = S3Backend(settings.model_copy(update={"s3_bucket": "no-such-bucket-here"}))
    with pytest.raises(Exception):  # noqa: B017 - any error: the check reports it as down
        missing.check()


def test_keys_are_validated(backend: S3Backend) -> None:
    for key in ("../escape", "u1/../x", "", "u1/a.b"):
        with pytest.raises(ValueError):
            backend.create_upload(key, "image/png", 1)


def test_urls_are_signed_for_the_public_endpoint_when_one_is_set(s3_server: Any) -> None:
    """The API reaches the store at one address, clients at another (a compose network and the host):
    upload and download URLs name the public one, and work there."""
    overrides = s3_server.settings_overrides()
    inside = overrides["s3_endpoint_url"]
    public = inside.replace("127.0.0.1", "localhost")
    assert public != inside
    backend = S3Backend(Settings(_env_file=None, **{**overrides, "s3_public_endpoint_url": public}))
    key, body = _key(), secrets.token_bytes(700)
    ticket = backend.create_upload(key, "image/png", len(body))
    assert ticket.url.startswith(public + "/")
    assert _put(ticket.url, body, "image/png").status_code == 200
    assert backend.finish_upload(key, len(body))  # the API itself still talks to the inside address
    url, _ = backend.presign_download(key)
    assert url.startswith(public + "/")
    got = httpx.get(url, timeout=10)
    assert got.status_code == 200 and got.content == body
