"""Posts' test app and ``make_post``; the shared fixtures (``client``, ``make_user``, ...) come from hearth_testing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hearth_platform.app import build_app
from hearth_platform.settings import Settings

TESTED_LAYER = "hearth_posts"  # the layer guard: these tests import nothing above posts


def build_test_app(settings: Settings) -> FastAPI:
    """An app of posts and the layers below it."""
    import hearth_connections
    import hearth_identity
    import hearth_posts
    import hearth_storage

    return build_app(
        settings,
        [hearth_storage.package, hearth_identity.package, hearth_connections.package, hearth_posts.package],
        configure_logs=False,
    )


@pytest.fixture(scope="session")
def app_factory() -> Callable[[Settings], FastAPI]:
    return build_test_app


@pytest.fixture
def make_post(client: TestClient) -> Callable[..., dict[str, Any]]:
    """Create a post as ``author``; ``tags`` makes it a tags post, otherwise it goes to all connections."""

    def _make(author: Any, body: str = "hello", tags: list[int] | None = None, **extra: Any) -> dict[str, Any]:
        audience: dict[str, Any] = {"type": "tags", "tag_ids": tags} if tags else {"type": "connections"}
        r = client.post("/api/v1/posts", json={"body": body, "audience": audience, **extra}, headers=author.headers)
        assert r.status_code == 201, r.text
        return dict(r.json())

    return _make
