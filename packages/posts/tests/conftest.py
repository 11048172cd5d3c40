from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def make_post(client: TestClient) -> Callable[..., dict[str, Any]]:
    """Create a post as ``author``; ``tags`` makes it a tags post, otherwise it goes to all connections."""

    def _make(author: Any, body: str = "hello", tags: list[int] | None = None, **extra: Any) -> dict[str, Any]:
        audience: dict[str, Any] = {"type": "tags", "tag_ids": tags} if tags else {"type": "connections"}
        r = client.post("/api/v1/posts", json={"body": body, "audience": audience, **extra}, headers=author.headers)
        assert r.status_code == 201, r.text
        return dict(r.json())

    return _make
