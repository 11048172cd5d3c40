"""The local backend's signed URLs (``PUT``/``GET /files/{key}``): anything altered or late is refused."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hearth_platform.settings import Settings
from hearth_storage.local import LocalBackend

API = "/api/v1"


def _relative(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.path}?{urlencode(query)}"


def _problem(r: httpx.Response, code: str = "forbidden", status: int = 403) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code
    return str(body["detail"])


@pytest.fixture
def announce(client: TestClient, make_user: Callable[..., Any]) -> Callable[..., dict[str, Any]]:
    def _announce(content_type: str = "image/png", size: int = 10) -> dict[str, Any]:
        owner = make_user()
        r = client.post(f"{API}/media", json={"content_type": content_type, "size_bytes": size}, headers=owner.headers)
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        body["owner"] = owner
        return body

    return _announce


def _put(client: TestClient, url: str, body: bytes, content_type: str = "image/png") -> httpx.Response:
    response: httpx.Response = client.put(url, content=body, headers={"Content-Type": content_type})
    return response


def _ready_url(client: TestClient, created: dict[str, Any]) -> str:
    r = client.get(f"{API}/media/{created['media']['id']}", headers=created["owner"].headers)
    assert r.json()["status"] == "ready"
    return str(r.json()["url"])


# -- uploads ---------------------------------------------------------------------------------------


def test_upload_url_points_at_the_public_base_url(announce: Callable[..., dict[str, Any]]) -> None:
    url = announce()["upload"]["url"]
    assert url.startswith("http://127.0.0.1:8000/files/u")


def test_altered_signature_is_refused(client: TestClient, announce: Callable[..., dict[str, Any]]) -> None:
    url = announce()["upload"]["url"]
    signature = parse_qs(urlsplit(url).query)["signature"][0]
    forged = _with_query(url, signature=("0" if signature[0] != "0" else "1") + signature[1:])
    assert "signature" in _problem(_put(client, forged, b"0123456789"))
    assert "signature" in _problem(_put(client, _with_query(url, signature="é"), b"0123456789"))


def test_url_is_bound_to_its_key(client: TestClient, announce: Callable[..., dict[str, Any]]) -> None:
    mine, theirs = announce(), announce()
    # my signature on their key (e.g. to overwrite their file)
    mine_query = urlsplit(mine["upload"]["url"]).query
    theirs_path = urlsplit(theirs["upload"]["url"]).path
    _problem(_put(client, f"{theirs_path}?{mine_query}", b"0123456789"))
    # and on a key of my choosing
    _problem(_put(client, f"/files/u1/{secrets.token_urlsafe(24)}?{mine_query}", b"0123456789"))


def test_url_is_bound_to_its_content_type_and_size(client: TestClient, announce: Callable[..., dict[str, Any]]) -> None:
    url = announce()["upload"]["url"]
    # the signed fields cannot be changed in the URL ...
    _problem(_put(client, _with_query(url, type="image/gif"), b"0123456789", "image/gif"))
    _problem(_put(client, _with_query(url, size="11"), b"0123456789x"))
    # ... and the request must match them
    assert "Content-Type" in _problem(_put(client, _relative(url), b"0123456789", "image/gif"))
    assert "10 bytes" in _problem(_put(client, _relative(url), b"0123456789x"))
    assert "10 bytes" in _problem(_put(client, _relative(url), b"012345678"))
    # unchanged, it works
    assert _put(client, _relative(url), b"0123456789").status_code == 200


def test_body_without_length_is_counted(client: TestClient, announce: Callable[..., dict[str, Any]]) -> None:
    url = _relative(announce()["upload"]["url"])

    def chunks(*parts: bytes) -> Iterator[bytes]:
        yield from parts

    too_long = client.put(url, content=chunks(b"01234", b"56789", b"x"), headers={"Content-Type": "image/png"})
    assert "larger" in _problem(too_long) or "10 bytes" in _problem(too_long)
    too_short = client.put(url, content=chunks(b"01234"), headers={"Content-Type": "image/png"})
    _problem(too_short)
    ok = client.put(url, content=chunks(b"01234", b"56789"), headers={"Content-Type": "image/png"})
    assert ok.status_code == 200, ok.text


def test_refused_upload_leaves_nothing(
    client: TestClient, announce: Callable[..., dict[str, Any]], base_settings: Settings
) -> None:
    created = announce()
    key = urlsplit(created["upload"]["url"]).path.removeprefix("/files/")
    _problem(_put(client, _relative(created["upload"]["url"]), b"0123456789x"))
    folder = base_settings.media_dir / key.split("/")[0]
    assert not list(folder.glob(".upload-*"))
    r = client.get(f"{API}/media/{created['media']['id']}", headers=created["owner"].headers)
    assert r.json()["status"] == "pending"


def test_an_upload_url_writes_once(client: TestClient, announce: Callable[..., dict[str, Any]]) -> None:
    created = announce()
    url = _relative(created["upload"]["url"])
    assert _put(client, url, b"0123456789").status_code == 200
    assert "once" in _problem(_put(client, url, b"9876543210"), code="conflict", status=409)
    assert client.get(_relative(_ready_url(client, created))).content == b"0123456789"


def test_delete_removes_the_file(
    client: TestClient, announce: Callable[..., dict[str, Any]], base_settings: Settings
) -> None:
    created = announce()
    assert _put(client, _relative(created["upload"]["url"]), b"0123456789").status_code == 200
    url = _ready_url(client, created)
    key = urlsplit(url).path.removeprefix("/files/")
    LocalBackend(base_settings).delete([key, f"u1/{secrets.token_urlsafe(24)}"])  # an unknown key is no error
    _problem(client.get(_relative(url)), code="not_found", status=404)
    assert not list((base_settings.media_dir / key.split("/")[0]).glob(f"{key.split('/')[1]}*"))


def test_unsigned_or_malformed_urls_are_refused(client: TestClient, announce: Callable[..., dict[str, Any]]) -> None:
    url = announce()["upload"]["url"]
    path = urlsplit(url).path
    _problem(_put(client, path, b"0123456789"))
    _problem(_put(client, _with_query(url, expires="soon"), b"0123456789"))


def test_expired_upload_url_is_refused(client: TestClient, base_settings: Settings) -> None:
    backend = LocalBackend(base_settings)  # the app's own secret and directory
    key = f"u1/{secrets.token_urlsafe(24)}"
    expires = int(time.time()) - 1
    signature = backend.signer.sign("PUT", key, "image/png", 3, expires)
    url = f"/files/{key}?{urlencode({'type': 'image/png', 'size': 3, 'expires': expires, 'signature': signature})}"
    _problem(_put(client, url, b"abc"), code="url_expired")
    assert backend.head(key) is None


# -- downloads -------------------------------------------------------------------------------------


def test_download_headers(client: TestClient, announce: Callable[..., dict[str, Any]], base_settings: Settings) -> None:
    created = announce("image/webp", 4)
    assert _put(client, _relative(created["upload"]["url"]), b"RIFF", "image/webp").status_code == 200
    r = client.get(_relative(_ready_url(client, created)))
    assert r.status_code == 200
    assert r.content == b"RIFF"
    assert r.headers["content-type"] == "image/webp"
    assert r.headers["x-content-type-options"] == "nosniff"
    directive, max_age = r.headers["cache-control"].split(", ")
    assert directive == "private"
    assert 0 < int(max_age.removeprefix("max-age=")) <= base_settings.media_url_ttl_seconds


def test_altered_or_expired_download_url_is_refused(
    client: TestClient, announce: Callable[..., dict[str, Any]], base_settings: Settings
) -> None:
    created = announce()
    assert _put(client, _relative(created["upload"]["url"]), b"0123456789").status_code == 200
    url = _ready_url(client, created)
    signature = parse_qs(urlsplit(url).query)["signature"][0]
    _problem(client.get(_with_query(url, signature=signature[::-1])))
    _problem(client.get(_with_query(url, expires=str(int(time.time()) + 10 * 86400))))
    # another user's file under my signature
    other = announce()
    _problem(client.get(f"{urlsplit(other['upload']['url']).path}?{urlsplit(url).query}"))
    # an upload URL is not a download URL
    _problem(client.get(_relative(created["upload"]["url"])))

    key = urlsplit(url).path.removeprefix("/files/")
    backend = LocalBackend(base_settings)
    expires = int(time.time()) - 1
    signature = backend.signer.sign("GET", key, "", 0, expires)
    late = f"/files/{key}?{urlencode({'expires': expires, 'signature': signature})}"
    _problem(client.get(late), code="url_expired")


def test_signed_download_of_a_missing_file_is_404(client: TestClient, base_settings: Settings) -> None:
    backend = LocalBackend(base_settings)
    url, _ = backend.presign_download(f"u1/{secrets.token_urlsafe(24)}")
    _problem(client.get(_relative(url)), code="not_found", status=404)


@pytest.mark.parametrize(
    "path",
    ["/files/../../etc/passwd", "/files/u1/..%2F..%2Fsecret", "/files/%2e%2e/x", "/files/u1/.x.type", "/files/"],
)
def test_path_traversal_is_refused(client: TestClient, path: str) -> None:
    for method in ("GET", "PUT"):
        r = client.request(method, f"{path}?expires=9999999999&signature=00", content=b"x" if method == "PUT" else None)
        assert r.status_code in (403, 404), r.text
        assert r.headers["content-type"].startswith("application/problem+json")


def test_keys_are_validated(base_settings: Settings) -> None:
    backend = LocalBackend(base_settings)
    for key in ("../x", "u1/../../x", "/etc/passwd", "u1//x", "u1/.hidden", "u1/x.type", "", "u1/x\n"):
        with pytest.raises(ValueError):
            backend.create_upload(key, "image/png", 1)
        with pytest.raises(ValueError):
            backend.head(key)


def test_local_health_check(tmp_path: Any, base_settings: Settings) -> None:
    backend = LocalBackend(base_settings.model_copy(update={"storage_dir": tmp_path / "new" / "media"}))
    assert backend.check() >= 0
    assert (tmp_path / "new" / "media").is_dir()
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    with pytest.raises(OSError):
        LocalBackend(base_settings.model_copy(update={"storage_dir": blocked})).check()


@pytest.mark.s3
def test_files_routes_are_absent_under_s3(make_app: Callable[..., FastAPI], s3_server: Any) -> None:
    with TestClient(make_app(**s3_server.settings_overrides())) as s3_client:
        r = s3_client.get(f"/files/u1/{secrets.token_urlsafe(24)}?expires=1&signature=00")
        _problem(r, code="not_found", status=404)


def test_local_upload_up_to_the_media_limit(client: TestClient, announce: Callable[..., dict[str, Any]]) -> None:
    body = secrets.token_bytes(2 * 1024 * 1024)
    created = announce("video/mp4", len(body))
    r = _put(client, _relative(created["upload"]["url"]), body, "video/mp4")
    assert r.status_code == 200, r.text
    assert client.get(_relative(_ready_url(client, created))).content == body


def test_large_upload_streams_to_disk(make_app: Callable[..., FastAPI], make_user: Callable[..., Any]) -> None:
    """A multi-megabyte body (many chunks) arrives intact (with a body limit that lets it through)."""
    owner = make_user()
    body = secrets.token_bytes(3 * 1024 * 1024 + 17)
    with TestClient(make_app(max_body_bytes=8 * 1024 * 1024)) as big:
        created = big.post(
            f"{API}/media", json={"content_type": "video/mp4", "size_bytes": len(body)}, headers=owner.headers
        ).json()
        r = _put(big, _relative(created["upload"]["url"]), body, "video/mp4")
        assert r.status_code == 200, r.text
        media = big.get(f"{API}/media/{created['media']['id']}", headers=owner.headers).json()
        assert media["status"] == "ready"
        download = big.get(_relative(media["url"]))
        assert download.content == body
        assert download.headers["content-type"] == "video/mp4"
