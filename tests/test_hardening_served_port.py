"""Issue 12, the served port: ``hearth serve --port P`` hands out media URLs that work on port P.

Media URLs of the local storage backend used to point at port 8000 whatever port was served, unless
``HEARTH_PUBLIC_BASE_URL`` said otherwise; now an unset public URL is the address ``hearth serve`` serves on.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from hearth_testing import API, Serve, hearth_command, register, serve

pytestmark = pytest.mark.slow

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 24


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[Serve]:
    # HEARTH_PUBLIC_BASE_URL unset (serve() names its port otherwise), as in a shell with nothing configured
    s = serve(database_url, command=["env", "-u", "HEARTH_PUBLIC_BASE_URL", *hearth_command()])
    try:
        yield s
    finally:
        s.close()


def test_media_urls_point_at_the_served_port(server: Serve) -> None:
    assert server.port != 8000
    with server.client() as http:
        owner = register(http, "port")
        r = http.post(f"{API}/media", json={"content_type": "image/png", "size_bytes": len(PNG)}, headers=owner.headers)
        assert r.status_code == 201, r.text
        media_id, upload = r.json()["media"]["id"], r.json()["upload"]
        assert httpx.URL(upload["url"]).port == server.port, upload["url"]
        put = httpx.request(upload["method"], upload["url"], content=PNG, headers=upload["headers"], timeout=30)
        assert put.status_code == 200, put.text
        media = http.get(f"{API}/media/{media_id}", headers=owner.headers).json()
    assert media["status"] == "ready"
    assert httpx.URL(media["url"]).port == server.port, media["url"]
    got = httpx.get(media["url"], timeout=30)
    assert got.status_code == 200 and got.content == PNG
