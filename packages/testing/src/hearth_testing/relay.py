"""An ASGI app that hands each request to an app already running behind a ``TestClient``: for a tool that
sends requests of its own to an ASGI app (schemathesis' checks do) while the test's client runs the app's
lifespan, so both reach the same running app, its database and its state."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


class Relay:
    """Set ``client`` while it runs; the relay answers the lifespan itself (the client runs the real one)."""

    def __init__(self) -> None:
        self.client: TestClient | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        assert self.client is not None, "a relay forwards only while its client runs"
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"] if k.lower() != b"host"]
        query = scope["query_string"].decode("latin-1")
        url = scope["path"] + (f"?{query}" if query else "")
        r = self.client.request(scope["method"], url, headers=headers, content=body)
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in r.headers.multi_items()]
        await send({"type": "http.response.start", "status": r.status_code, "headers": raw})
        await send({"type": "http.response.body", "body": r.content})
