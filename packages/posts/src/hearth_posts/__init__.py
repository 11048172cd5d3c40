"""Hearth posts: posts that reach exactly their audience, comments, the home feed and the digest.

The face of the package: its services (and their interfaces), DTOs, errors, the ports it needs from
neighbours, and its router. Everything else is private.
"""

from .errors import CommentNotFound, MediaNotReady, NotCommentDeleter, NotPostAuthor, PostNotFound
from .feed import FeedService, FeedServiceInterface
from .ports import AudienceGraph, MediaCatalog, UserDirectory
from .router import router
from .schemas import Comment, Digest, Post
from .service import PostMediaAccess, PostsService, PostsServiceInterface

__all__ = [
    "AudienceGraph",
    "Comment",
    "CommentNotFound",
    "Digest",
    "FeedService",
    "FeedServiceInterface",
    "MediaCatalog",
    "MediaNotReady",
    "NotCommentDeleter",
    "NotPostAuthor",
    "Post",
    "PostMediaAccess",
    "PostNotFound",
    "PostsService",
    "PostsServiceInterface",
    "UserDirectory",
    "router",
]
