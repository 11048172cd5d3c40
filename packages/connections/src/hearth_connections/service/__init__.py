"""The connections service: one class, its parts split by use case.

Built per unit of work by the container (``ConnectionsService(session, cache, users)``); it never
commits. Routers use the use-case methods; neighbours use the graph face (:mod:`.graph`), which is
also available alone as :class:`ConnectionGraph` (session and cache only, no user directory).
"""

from __future__ import annotations

from .blocks import BlocksMixin
from .graph import ConnectionGraph, Relationship
from .requests import RequestsMixin
from .tags import TagsMixin


class ConnectionsService(RequestsMixin, BlocksMixin, TagsMixin, ConnectionGraph):
    """Requests, connections, blocks and audience tags, plus the graph face neighbours use."""


__all__ = ["ConnectionGraph", "ConnectionsService", "Relationship"]
