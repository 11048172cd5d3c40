"""Storage's test app; the shared fixtures (``client``, ``s3_server``, ...) come from hearth_testing.

Storage sits below identity, so its app has no accounts: callers are minted here, with a token check of
the tests' own (``Bearer storage-test-<id>``). Real accounts and tokens meet storage in the posts and
cross-package tests.
"""

import itertools
from collections.abc import Callable
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI

from hearth_platform.app import Package, build_app
from hearth_platform.container import Container
from hearth_platform.ids import PathId
from hearth_platform.routing import Router
from hearth_platform.security import CurrentUser, Principal, TokenAuthenticator
from hearth_platform.settings import Settings
from hearth_platform.uow import provide
from hearth_testing import AppUser

TESTED_LAYER = "hearth_storage"  # the layer guard: these tests import nothing above storage
_TOKEN = "storage-test-"
_ids = itertools.count(9_000_000_000)


class TestTokens:
    """``Bearer storage-test-<id>`` is user ``<id>``."""

    def authenticate(self, token: str) -> Principal | None:
        if not token.startswith(_TOKEN) or not token[len(_TOKEN) :].isdigit():
            return None
        user_id = int(token[len(_TOKEN) :])
        return Principal(user_id=user_id, token_id=user_id)


def _register(container: Container, settings: Settings) -> None:
    container.register(TokenAuthenticator, TestTokens)  # type: ignore[type-abstract]


def _owner_router() -> APIRouter:
    """``GET /media/{id}`` as its owner sees it, through storage's face (posts serves the real route,
    which also lets a post's viewers see it)."""
    from hearth_storage import Media, MediaService

    router = Router()

    @router.get("/media/{media_id}")
    def get_own_media(
        media_id: PathId, user: CurrentUser, media: Annotated[MediaService, Depends(provide(MediaService, writes=True))]
    ) -> Media:
        return media.get_media(user.user_id, media_id)

    return router


def build_test_app(settings: Settings) -> FastAPI:
    """An app of storage and the layers below it, with the tests' token check."""
    import hearth_storage

    test_auth = Package(name="storage-test-auth", register=_register, routers=(_owner_router(),))
    return build_app(settings, [hearth_storage.package, test_auth], configure_logs=False)


@pytest.fixture(scope="session")
def app_factory() -> Callable[[Settings], FastAPI]:
    return build_test_app


@pytest.fixture
def make_user() -> Callable[..., AppUser]:
    """A caller of storage's routes (an id and its token; no account: identity is a layer above)."""

    def _make(prefix: str = "u", display_name: str | None = None) -> AppUser:
        user_id = next(_ids)
        return AppUser(user_id, f"{prefix}{user_id}", f"{_TOKEN}{user_id}")

    return _make
