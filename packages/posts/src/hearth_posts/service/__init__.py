"""Posts' services, one module per use case, each built per unit of work by the container:

- :class:`PostsService` (``posts.py``): create, read, edit and delete posts and comments, within audience;
  :class:`PostMediaAccess`: ``GET /media/{id}`` for a post's viewers.
- :class:`FeedService` (``feed.py``): the home feed (from home timelines), a user's posts, the digest.
- :class:`TimelineService` (``timeline.py``): writing home timelines (fan-out, backfill, cut to depth).
- ``assembly.py``: post and comment rows into API objects, one batched read per kind of data.
"""

from __future__ import annotations

from .feed import FeedService
from .posts import PostMediaAccess, PostsService
from .timeline import TimelineService

__all__ = ["FeedService", "PostMediaAccess", "PostsService", "TimelineService"]
