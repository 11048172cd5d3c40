"""Hearth platform core: the shared kernel every package builds on.

Its modules are public to the domain packages: ``settings``, ``database``, ``uow`` (the unit of work),
``events`` (domain events), ``app`` (building an app from packages), ``ids``, ``errors``, ``security``,
``pagination``, ``ratelimit``, ``cache``, ``metrics``, ``logging``, ``middleware``, ``http``, ``health``,
``text``. The most used names are re-exported here.
"""

from .app import Package, build_app
from .errors import Conflict, Forbidden, HearthError, NotFound, ObjectNotFound, Unprocessable
from .events import DomainEvent, EventBus
from .ids import Id, PathId
from .pagination import Page, Pagination
from .security import CurrentUser
from .settings import Settings
from .uow import UnitOfWork, provide

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
