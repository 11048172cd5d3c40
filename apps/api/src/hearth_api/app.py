"""The app factory: every package, in layer order, over the platform. Nothing is built at import time:
``create_app(settings)`` and its lifespan do it."""

from __future__ import annotations

from fastapi import FastAPI

import hearth_connections
import hearth_identity
import hearth_notifications
import hearth_posts
import hearth_storage
from hearth_platform.app import Package, build_app
from hearth_platform.settings import Settings

from . import migrate, openapi

# bottom to top: each package may use the faces of those before it
PACKAGES: tuple[Package, ...] = (
    hearth_storage.package,
    hearth_identity.package,
    hearth_connections.package,
    hearth_posts.package,
    hearth_notifications.package,
)


def create_app(settings: Settings | None = None, *, configure_logs: bool = True) -> FastAPI:
    settings = settings or Settings()
    app = build_app(settings, PACKAGES, configure_logs=configure_logs, migrate=migrate.upgrade)
    openapi.install_openapi(app, settings)  # every operation declares its problem+json errors and limits
    return app
