"""Hearth platform core: the shared kernel every package builds on.

Its modules are public to the domain packages: ``settings``, ``database``, ``uow`` (the unit of work),
``events`` (domain events), ``app`` (building an app from packages), ``ids``, ``errors``, ``security``,
``pagination``, ``ratelimit``, ``cache``, ``metrics``, ``logging``, ``middleware``, ``http``, ``health``,
``text``, ``routing`` (the router every package mounts its handlers on), ``examples`` (the OpenAPI
document's examples), ``jobs`` (the job port), ``mail`` (the mail port). The most used names are
re-exported here, imported on first use: importing one module (or running ``hearth --help``) does not load
FastAPI and the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import Package, build_app
    from .errors import Conflict, Forbidden, HearthError, NotFound, ObjectNotFound, Unprocessable
    from .events import DomainEvent, EventBus
    from .ids import Id, PathId
    from .pagination import Page, Pagination
    from .security import CurrentUser
    from .settings import Settings
    from .uow import UnitOfWork, provide

_EXPORTS = {
    "Package": ".app",
    "build_app": ".app",
    "Conflict": ".errors",
    "Forbidden": ".errors",
    "HearthError": ".errors",
    "NotFound": ".errors",
    "ObjectNotFound": ".errors",
    "Unprocessable": ".errors",
    "DomainEvent": ".events",
    "EventBus": ".events",
    "Id": ".ids",
    "PathId": ".ids",
    "Page": ".pagination",
    "Pagination": ".pagination",
    "CurrentUser": ".security",
    "Settings": ".settings",
    "UnitOfWork": ".uow",
    "provide": ".uow",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "Conflict",
    "CurrentUser",
    "DomainEvent",
    "EventBus",
    "Forbidden",
    "HearthError",
    "Id",
    "NotFound",
    "ObjectNotFound",
    "Package",
    "Page",
    "Pagination",
    "PathId",
    "Settings",
    "UnitOfWork",
    "Unprocessable",
    "build_app",
    "provide",
]
