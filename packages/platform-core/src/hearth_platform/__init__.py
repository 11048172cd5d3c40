"""Hearth platform core: the shared kernel every package builds on.

Its modules are public to the domain packages: ``settings``, ``database``, ``uow``, ``errors``,
``security``, ``pagination``, ``ratelimit``, ``cache``, ``metrics``, ``logging``, ``middleware``, ``http``.
The most used names are re-exported here.
"""

from .cache import Cache, MemoryCache, RedisCache
from .database import Base, Database, EmbeddedPostgres, count_statements, metadata
from .errors import (
    Conflict,
    Forbidden,
    HearthError,
    InvalidCursor,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    Unauthorized,
    Unprocessable,
)
from .pagination import Page, PageRequest, Pagination
from .ratelimit import RateLimiter, WriteLimit, limit_per_address
from .security import CurrentUser, Principal
from .settings import Settings
from .uow import UnitOfWork, provide

__all__ = [
    "Base",
    "Cache",
    "Conflict",
    "CurrentUser",
    "Database",
    "EmbeddedPostgres",
    "Forbidden",
    "HearthError",
    "InvalidCursor",
    "MemoryCache",
    "NotFound",
    "Page",
    "PageRequest",
    "Pagination",
    "Principal",
    "RateLimited",
    "RateLimiter",
    "RedisCache",
    "ServiceUnavailable",
    "Settings",
    "Unauthorized",
    "UnitOfWork",
    "Unprocessable",
    "WriteLimit",
    "count_statements",
    "limit_per_address",
    "metadata",
    "provide",
]
