"""Errors of the posts package."""

from __future__ import annotations

from hearth_platform.errors import Forbidden, ObjectNotFound, Unprocessable


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


class EmptyBody(Unprocessable):
    def __init__(self, field: str, max_len: int) -> None:
        super().__init__(
            f"The {field} must have 1-{max_len} characters after sanitising.",
            errors=[
                {
                    "loc": ["body", "body"],
                    "msg": f"must be 1-{max_len} characters after sanitising",
                    "type": "value_error",
                }
            ],
        )


class MediaNotReady(Unprocessable):
    code = "media_not_ready"

    def __init__(self, media_id: int) -> None:
        super().__init__(f"Media {media_id} has not been uploaded yet.")
