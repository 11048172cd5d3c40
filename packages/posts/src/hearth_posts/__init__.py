"""Hearth posts: posts that reach exactly their audience, comments, reactions, the home feed, the digest, and
media access by post.

The face: the ``Post`` and ``Comment`` API objects, ``PostNotFound``, ``PostVisibility`` (who may see a post,
as SQL for the layers above), the events it publishes (``CommentCreated``, ``PostReachedTimelines``, ``ReactionAdded``,
``ReactionRemoved``, ``UsersMentioned``), and ``package`` (its services, its handlers of connections'
events, its routes).
"""

from .errors import PostNotFound
from .events import CommentCreated, PostReachedTimelines, ReactionAdded, ReactionRemoved, UsersMentioned
from .package import package
from .schemas import Comment, Post
from .service import PostVisibility

__all__ = [
    "Comment",
    "CommentCreated",
    "Post",
    "PostNotFound",
    "PostReachedTimelines",
    "PostVisibility",
    "ReactionAdded",
    "ReactionRemoved",
    "UsersMentioned",
    "package",
]
