"""The connections services, one per use case, each built per unit of work by the container.

- :class:`RequestsService` (``requests.py``): send, list, accept, reject, cancel; list and remove connections.
- :class:`BlocksService` (``blocks.py``): block, unblock, list blocks.
- :class:`TagsService` (``tags.py``): audience tags and their members.
- :class:`ProfilesService` (``profiles.py``): other users' profiles and search, with the caller's relationship.
- :class:`ConnectionGraph` (``graph.py``): the read face the layers above use (who is connected, who is
  in which tag, as values or as SQL to embed).
"""

from __future__ import annotations

from .blocks import BlocksService
from .graph import ConnectionGraph
from .profiles import ProfilesService
from .requests import RequestsService
from .tags import TagsService

__all__ = ["BlocksService", "ConnectionGraph", "ProfilesService", "RequestsService", "TagsService"]
