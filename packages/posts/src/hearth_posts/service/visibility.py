"""``PostVisibility``: who may see a post, as SQL for the layers above, which keep visibility one predicate
inside their own statements (notifications: at read time, and when choosing whom to tell)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, literal, select

from ..models import Comment, Post
from ..repository import PostsRepository, Viewer


class PostVisibility:
    @staticmethod
    def visible_clause(viewer: Viewer, post_id: ColumnElement[int] | int) -> ColumnElement[bool]:
        """The post ``post_id`` exists and ``viewer`` (an id, or a column of user ids) may see it now: the one
        rule of every read of posts, as a per-row probe."""
        return (
            select(literal(1))
            .where(Post.id == post_id, PostsRepository.visible_to(viewer))
            .offset(0)  # a fence: a probe per row read, never a join over every post
            .exists()
        )

    @staticmethod
    def commenter_ids_select(post_id: ColumnElement[int] | int) -> Select[Any]:
        """``SELECT author_id`` of everyone who commented on the post (each once)."""
        return select(Comment.author_id).where(Comment.post_id == post_id).distinct()
