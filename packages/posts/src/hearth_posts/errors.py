"""Errors of the posts package."""

from __future__ import annotations

from hearth_platform.errors import Conflict, Forbidden, ObjectNotFound


class PostNotFound(ObjectNotFound):
    noun = "Post"


class CommentNotFound(ObjectNotFound):
    noun = "Comment"


class NotPostAuthor(Forbidden):
    def __init__(self, post_id: int) -> None:
        super().__init__(f"Only the author may change post {post_id}.")


class NotCommentDeleter(Forbidden):
    def __init__(self, comment_id: int) -> None:
        super().__init__(f"Only the comment's author or the post's author may delete comment {comment_id}.")


class MediaNotReady(Conflict):
    """A well-formed media id whose upload has not arrived yet: the state, not the request, is wrong (409)."""

    code = "media_not_ready"

    def __init__(self, media_id: int) -> None:
        super().__init__(f"Media {media_id} has not been uploaded yet.")
