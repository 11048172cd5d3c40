"""Notifications' test app; the shared fixtures (``client``, ``make_user``, ...) come from hearth_testing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from hearth_platform.app import build_app
from hearth_platform.settings import Settings

TESTED_LAYER = "hearth_notifications"  # the layer guard: these tests import nothing above notifications


def build_test_app(settings: Settings) -> FastAPI:
    """An app of notifications and the layers below it."""
    import hearth_connections
    import hearth_identity
    import hearth_notifications
    import hearth_posts
    import hearth_storage

    return build_app(
        settings,
        [
            hearth_storage.package,
            hearth_identity.package,
            hearth_connections.package,
            hearth_posts.package,
            hearth_notifications.package,
        ],
        configure_logs=False,
    )


@pytest.fixture(scope="session")
def app_factory() -> Callable[[Settings], FastAPI]:
    return build_test_app
