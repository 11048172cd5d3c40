"""Posts' services, one module per use case, each built per unit of work by the container:

- :class:`PostsService` (``posts.py``): create, read, edit and delete posts and comments, within audience.
- :class:`PostMediaAccess` (``media.py``): who may read a media (``GET /media/{id}``) beside its owner, and
  which media were never attached (for their erasure).
- :class:`FeedService` (``feed.py``): the home feed (from home timelines), a user's posts, the digest.
- :class:`ReactionsService` (``reactions.py``): add and remove reactions, the reactors of a post.
- :class:`PostVisibility` (``visibility.py``): who may see a post, as SQL for the layers above.
- :class:`TimelineService` (``timeline.py``): writing home timelines (fan-out, backfill, cut to depth).
- ``assembly.py``: post and comment rows into API objects, one batched read per kind of data (reactions
  included).
"""

from __future__ import annotations

from .feed import FeedService
from .media import PostMediaAccess
from .posts import PostsService
from .reactions import ReactionsService
from .timeline import TimelineService
from .visibility import PostVisibility

__all__ = ["FeedService", "PostMediaAccess", "PostVisibility", "PostsService", "ReactionsService", "TimelineService"]
