"""Object storage (S3) stopped under a running ``hearth serve``: media routes 503, the rest unaffected.

The test owns its S3 server: a SeaweedFS ``weed mini`` on free loopback ports with its own data
directory, stopped (SIGTERM to its process group) and started again on the same ports and data, so
the app keeps its endpoint and is never restarted. Also here, because it needs the S3 server: the size
of an upload is bound into the presigned URL, so the store itself refuses any other size.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hearth_testing import (
    API,
    Stack,
    answered_within,
    assert_not_ready,
    assert_problem,
    connect,
    new_post,
    own_stack,
    register,
    wait_until,
)
from hearth_testing import AppUser as User

pytestmark = pytest.mark.slow

MEDIA_MAX_BYTES = 64 * 1024
EACH_REQUEST_WITHIN_S = 8.0  # boto3: 3 s connect timeout, 2 attempts; a refused connection fails at once


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with own_stack(s3=True, HEARTH_MEDIA_MAX_BYTES=str(MEDIA_MAX_BYTES)) as stack:
        yield stack


def _announce(http: httpx.Client, owner: User, size: int, content_type: str = "image/png") -> dict[str, Any]:
    r = http.post(f"{API}/media", json={"content_type": content_type, "size_bytes": size}, headers=owner.headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    assert body["upload"]["url"].startswith(("http://127.0.0.1", "https://")), body["upload"]["url"]
    return body


def _put(ticket: dict[str, Any], content: Any, **headers: str) -> httpx.Response:
    upload = ticket["upload"]
    return httpx.request(
        upload["method"], upload["url"], content=content, headers={**upload["headers"], **headers}, timeout=30
    )


def _status(http: httpx.Client, owner: User, media_id: int) -> str:
    r = http.get(f"{API}/media/{media_id}", headers=owner.headers)
    assert r.status_code == 200, r.text
    return str(r.json()["status"])


def _timed(call: Any) -> httpx.Response:
    return answered_within(EACH_REQUEST_WITHIN_S, call)


def test_the_upload_size_is_bound_into_the_presigned_url(stack: Stack) -> None:
    with stack.server.client() as http:
        owner = register(http, "s3size")
        size = 1000
        ticket = _announce(http, owner, size)
        media_id = ticket["media"]["id"]
        key_refused = []
        for body in (b"x" * (size + 1), b"x" * (size - 1), b"x" * (size * 50)):
            r = _put(ticket, body)
            key_refused.append(r.status_code)
            assert r.status_code == 403, (len(body), r.status_code, r.text[:200])
        # no Content-Length at all (chunked), the declared size or more: the store refuses it too
        chunked = _put(ticket, iter([b"x" * 600, b"x" * 600]))
        assert "content-length" not in chunked.request.headers
        assert chunked.status_code in (400, 403, 411, 501), chunked.status_code
        # another content type than the one signed
        other_type = _put(ticket, b"x" * size, **{"Content-Type": "image/gif"})
        assert other_type.status_code == 403
        assert _status(http, owner, media_id) == "pending"  # nothing was stored
        assert _put(ticket, secrets.token_bytes(size)).status_code == 200
        assert _status(http, owner, media_id) == "ready"
        # over the configured limit: no URL is handed out at all
        over = http.post(
            f"{API}/media", json={"content_type": "image/png", "size_bytes": MEDIA_MAX_BYTES + 1}, headers=owner.headers
        )
        assert_problem(over, 422, "validation_error")


def test_storage_stopped_media_routes_503_everything_else_works_and_media_works_again(stack: Stack) -> None:
    server, s3 = stack.server, stack.s3
    with server.client() as http:
        a, b = register(http, "s3a"), register(http, "s3b")
        connect(http, a, b)
        content = secrets.token_bytes(2048)
        ready_ticket = _announce(http, a, len(content))
        assert _put(ready_ticket, content).status_code == 200
        ready_id = ready_ticket["media"]["id"]
        assert _status(http, a, ready_id) == "ready"
        with_media = http.post(
            f"{API}/posts",
            json={"body": "with a picture", "audience": {"type": "connections"}, "media_ids": [ready_id]},
            headers=a.headers,
        )
        assert with_media.status_code == 201, with_media.text
        pending_content = secrets.token_bytes(512)
        pending_ticket = _announce(http, a, len(pending_content))
        pending_id = pending_ticket["media"]["id"]

        # ---- the store goes away ------------------------------------------------------------------------
        s3.stop()
        assert_not_ready(http.get("/health/ready"), "storage")

        # media that must be checked against the store (is the pending upload there yet?): 503
        r = _timed(lambda: http.get(f"{API}/media/{pending_id}", headers=a.headers))
        assert_problem(r, 503, "service_unavailable")
        assert int(r.headers["retry-after"]) >= 1
        r = _timed(
            lambda: http.post(
                f"{API}/posts",
                json={"body": "with the pending one", "audience": {"type": "connections"}, "media_ids": [pending_id]},
                headers=a.headers,
            )
        )
        assert_problem(r, 503, "service_unavailable")
        r = _timed(lambda: http.patch(f"{API}/users/me", json={"avatar_media_id": pending_id}, headers=a.headers))
        assert_problem(r, 503, "service_unavailable")

        # what needs no round trip to the store keeps working: a ready media's URL is signed locally, and an
        # upload ticket is too (the client's PUT is what fails, until the store is back)
        for viewer in (a, b):
            r = _timed(lambda v=viewer: http.get(f"{API}/media/{ready_id}", headers=v.headers))
            assert r.status_code == 200 and r.json()["status"] == "ready" and r.json()["url"], r.text
        outage_ticket = _announce(http, a, 300)
        with pytest.raises(httpx.TransportError):
            _put(outage_ticket, b"y" * 300)

        # everything without media is unaffected
        unaffected = [
            lambda: new_post(http, a, "no media here"),
            lambda: http.get(f"{API}/feed", headers=b.headers),
            lambda: http.get(f"{API}/posts/{with_media.json()['id']}", headers=b.headers),
            lambda: http.post(
                f"{API}/posts/{with_media.json()['id']}/comments", json={"body": "nice"}, headers=b.headers
            ),
            lambda: http.post(f"{API}/tags", json={"name": "during the outage"}, headers=a.headers),
            lambda: http.get(f"{API}/tags", headers=a.headers),
            lambda: http.get(f"{API}/users/me", headers=a.headers),
            lambda: http.get(f"{API}/users/{a.id}/posts", headers=b.headers),
            lambda: http.get(f"{API}/connections", headers=b.headers),
            lambda: http.get(f"{API}/digest", headers=b.headers),
        ]
        for call in unaffected:
            r = _timed(call)
            assert r.status_code in (200, 201), r.text
        feed = {p["body"]: p for p in http.get(f"{API}/feed", headers=b.headers).json()["items"]}
        assert "no media here" in feed
        assert feed["with a picture"]["media"][0]["url"]

        # ---- the store is back (same ports, same data) ------------------------------------------------------
        s3.start()
        wait_until(lambda: http.get("/health/ready").status_code == 200, 30, "ready again with the store back")
        assert _status(http, a, pending_id) == "pending"
        url = http.get(f"{API}/media/{ready_id}", headers=b.headers).json()["url"]
        got = httpx.get(url, timeout=30)
        assert got.status_code == 200 and got.content == content  # stored before the outage, still there
        assert _put(pending_ticket, pending_content).status_code == 200
        assert _status(http, a, pending_id) == "ready"
        assert _put(outage_ticket, b"y" * 300).status_code == 200  # the ticket from the outage works now
        assert _status(http, a, outage_ticket["media"]["id"]) == "ready"
        r = http.post(
            f"{API}/posts",
            json={"body": "with the late one", "audience": {"type": "connections"}, "media_ids": [pending_id]},
            headers=a.headers,
        )
        assert r.status_code == 201, r.text
        assert http.patch(f"{API}/users/me", json={"avatar_media_id": pending_id}, headers=a.headers).status_code == 200
        fresh = _announce(http, a, 10)
        assert _put(fresh, b"z" * 10).status_code == 200
        assert _status(http, a, fresh["media"]["id"]) == "ready"

    records = server.log_records()
    assert [r for r in records if r.get("message") == "unhandled error"] == []
