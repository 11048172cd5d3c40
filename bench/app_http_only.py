"""The HTTP stack alone: Hearth's own app plus one route that returns a pre-built feed page.

``GET /bench/static-feed`` goes through the real app's middleware (request id, access log, HTTP metrics,
body limit, security headers: one pure-ASGI layer) and returns a ``Page[Post]`` with
the same typed return value as ``GET /api/v1/feed`` (so FastAPI validates and serialises it the same
way), but does no database work: no token check, no unit of work. The page is a real feed page captured
by ``bench/run.py`` (path in ``BENCH_STATIC_PAGE``).

Served by ``bench/run.py`` as
``uvicorn --factory --app-dir bench app_http_only:create_app --workers N`` with the same ``HEARTH_*``
environment as ``hearth serve``. The extra route exists only in this benchmark process.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import APIRouter, FastAPI

from hearth_api import create_app as create_hearth_app
from hearth_platform.pagination import Page
from hearth_platform.settings import Settings
from hearth_posts import Post


def create_app() -> FastAPI:
    app = create_hearth_app(Settings())
    page = Page[Post].model_validate_json(Path(os.environ["BENCH_STATIC_PAGE"]).read_text())
    router = APIRouter(tags=["bench"])

    @router.get("/bench/static-feed")
    def static_feed() -> Page[Post]:  # sync, like the feed handler: runs in the same thread pool
        return page

    app.include_router(router)
    return app
