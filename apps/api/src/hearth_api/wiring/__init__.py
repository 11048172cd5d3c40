"""The composition root: every service and port is registered here, and nowhere else.

Domain packages never import each other. Each declares the Protocols (ports) it needs from its
neighbours; here those ports are satisfied by the neighbours' services (structural typing: neither
side imports the other). Services are built per unit of work: ``container.resolve(X, session=s)``
passes the request's session down the whole object graph.

One module per package (``wiring/identity.py`` ...) holds that package's registrations, so the teams
don't edit each other's lines. Each module offers ``register(container, settings)``, ``routers()`` and
optionally ``health_checks(container)``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import punq
from fastapi import APIRouter
from sqlalchemy.orm import Session

from hearth_platform.cache import Cache
from hearth_platform.security import TokenAuthenticator
from hearth_platform.settings import Settings

from . import connections, identity, posts, storage

MODULES: tuple[ModuleType, ...] = (identity, connections, posts, storage)


def build_container(settings: Settings, *, cache: Cache, extras: dict[type, Any] | None = None) -> punq.Container:
    container = punq.Container()
    container.register(Settings, instance=settings)
    container.register(Cache, instance=cache)  # type: ignore[type-abstract]
    for kind, instance in (extras or {}).items():
        container.register(kind, instance=instance)
    for module in MODULES:
        module.register(container, settings)
    return container


def routers() -> list[APIRouter]:
    """Every package's routers, mounted under ``/api/v1``."""
    out: list[APIRouter] = []
    for module in MODULES:
        out.extend(module.routers())
    return out


def root_routers() -> list[APIRouter]:
    """Routers mounted at the root, outside ``/api/v1`` (e.g. the local storage backend's signed URLs)."""
    out: list[APIRouter] = []
    for module in MODULES:
        hook = getattr(module, "root_routers", None)
        if hook is not None:
            out.extend(hook())
    return out


def extra_health_checks(container: punq.Container) -> dict[str, Callable[[], float | None]]:
    checks: dict[str, Callable[[], float | None]] = {}
    for module in MODULES:
        hook = getattr(module, "health_checks", None)
        if hook is not None:
            checks.update(hook(container))
    return checks


def authenticator_factory(container: punq.Container) -> Callable[[Session], TokenAuthenticator]:
    """How ``CurrentUser`` checks a token: identity's authenticator, built on the request's session."""
    kind = identity.authenticator_type()

    def factory(session: Session) -> TokenAuthenticator:
        return container.resolve(kind, session=session)  # type: ignore[no-any-return]

    return factory
