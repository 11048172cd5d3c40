"""Issue 12, item 4, on a real ``hearth serve`` (local disk): a ``PUT /files/...`` is checked (signature,
expiry, type, declared size) before a byte of its body is read, and a body streams to disk as it arrives.

A body of unknown length (chunked) is where it showed: the request is sent with its first chunk only and
the rest held back. A server that reads the body before checking never answers; this one answers at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from http.client import HTTPConnection
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from hearth_testing import API, AppUser, Serve, register

CHUNK = 64 * 1024
HELD_BACK = 8 * 1024 * 1024  # what the client says it will send, and never does
NO_ANSWER_AFTER_S = 30  # a hang guard, not a timing assertion: the answer needs no more of the body


@pytest.fixture(scope="module")
def server(served: Serve) -> Serve:
    return served


@pytest.fixture
def api(server: Serve) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


def _announce(api: httpx.Client, owner: AppUser, size: int) -> dict[str, Any]:
    r = api.post(f"{API}/media", json={"content_type": "image/png", "size_bytes": size}, headers=owner.headers)
    assert r.status_code == 201, r.text
    return dict(r.json()["upload"])


def _target(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return f"{parts.path}?{urlencode(query)}"


def _put_holding_back(
    server: Serve, target: str, first: bytes, *, chunked: bool = True, length: int | None = None
) -> tuple[int, dict[str, Any]]:
    """Send the request line, headers and ``first`` of the body, keep the rest back, and read the answer."""
    conn = HTTPConnection("127.0.0.1", server.port, timeout=NO_ANSWER_AFTER_S)
    try:
        conn.putrequest("PUT", target)
        conn.putheader("Content-Type", "image/png")
        if chunked:
            conn.putheader("Transfer-Encoding", "chunked")
        else:
            conn.putheader("Content-Length", str(length))
        conn.endheaders()
        if first:
            conn.send(b"%x\r\n%s\r\n" % (len(first), first) if chunked else first)
        response = conn.getresponse()
        return response.status, httpx.Response(response.status, content=response.read()).json()
    finally:
        conn.close()


def test_a_wrong_signature_is_refused_before_the_body_is_read(server: Serve, api: httpx.Client) -> None:
    upload = _announce(api, register(api, "body"), 5 * 1024 * 1024)
    signature = parse_qs(urlsplit(upload["url"]).query)["signature"][0]
    forged = _target(upload["url"], signature=signature[::-1])
    status, problem = _put_holding_back(server, forged, secrets.token_bytes(CHUNK))
    assert (status, problem["code"]) == (403, "forbidden")
    assert "signature" in problem["detail"]
    # nothing at all of the body: refused on the request line and headers alone
    status, problem = _put_holding_back(server, forged, b"")
    assert (status, problem["code"]) == (403, "forbidden")


def test_a_declared_size_other_than_the_signed_one_is_refused_before_the_body(server: Serve, api: httpx.Client) -> None:
    upload = _announce(api, register(api, "body"), 1000)
    status, problem = _put_holding_back(server, _target(upload["url"]), b"", chunked=False, length=HELD_BACK)
    assert (status, problem["code"]) == (403, "forbidden")
    assert "1000 bytes" in problem["detail"]


def test_a_chunked_body_past_the_signed_size_is_refused_as_soon_as_it_passes(server: Serve, api: httpx.Client) -> None:
    upload = _announce(api, register(api, "body"), CHUNK)
    status, problem = _put_holding_back(server, _target(upload["url"]), secrets.token_bytes(CHUNK + 1))
    assert (status, problem["code"]) == (403, "forbidden")
    assert "larger" in problem["detail"]


def test_a_large_chunked_upload_streams_through_and_arrives_intact(server: Serve, api: httpx.Client) -> None:
    owner = register(api, "body")
    content = secrets.token_bytes(3 * 1024 * 1024 + 5)
    r = api.post(f"{API}/media", json={"content_type": "video/mp4", "size_bytes": len(content)}, headers=owner.headers)
    created = r.json()
    chunks = (content[i : i + CHUNK] for i in range(0, len(content), CHUNK))
    put = httpx.put(created["upload"]["url"], content=chunks, headers=created["upload"]["headers"], timeout=60)
    assert "content-length" not in put.request.headers
    assert put.status_code == 200, put.text
    media = api.get(f"{API}/media/{created['media']['id']}", headers=owner.headers).json()
    assert media["status"] == "ready"
    assert httpx.get(media["url"], timeout=60).content == content
