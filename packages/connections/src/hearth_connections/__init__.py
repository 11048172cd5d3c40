"""Hearth connections: connection requests, connections, blocks, private audience tags and members.

The face: ``ConnectionGraph`` (the read face for the layers above: who is connected, who is in which tag,
as values or as SQL to embed), the events it publishes (``ConnectionRequested``, ``ConnectionAccepted``,
``TagMemberAdded``),
``TagNotFound``, and ``package`` (its services and routes, ``GET /users/{id}`` and ``GET /users`` included:
they show the caller's relationship to each user).
"""

from .errors import TagNotFound
from .events import ConnectionAccepted, ConnectionRequested, TagMemberAdded
from .package import package
from .service import ConnectionGraph

__all__ = [
    "ConnectionAccepted",
    "ConnectionGraph",
    "ConnectionRequested",
    "TagMemberAdded",
    "TagNotFound",
    "package",
]
