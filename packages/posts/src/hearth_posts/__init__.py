"""Hearth posts: posts that reach exactly their audience, comments, the home feed, the digest, and media
access by post.

The face: the ``Post`` and ``Comment`` API objects, ``PostNotFound``, and ``package`` (its services, its
handlers of connections' events, its routes).
"""

from .errors import PostNotFound
from .package import package
from .schemas import Comment, Post

__all__ = ["Comment", "Post", "PostNotFound", "package"]
