"""Posts' part of an account's lifecycle: handlers of identity's events (subscribed in ``events.py``).

- ``AccountErasing``: the account's comments on others' posts go, and those posts' ``comment_count`` drops
  by as many; its reactions go; its posts go (with their comments, reactions, audience and media links); its
  home timeline and horizon go, and its posts' rows in everyone's timelines. In the erasure job's transaction.
- ``AccountExporting``: ``posts.json``, ``comments.json`` and ``reactions.json`` go into the archive.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from hearth_identity import AccountErasing, AccountExporting
from hearth_platform.uow import UnitOfWorkContext

from .models import Comment, HomeTimeline, Post, PostAudienceTag, Reaction, TimelineHorizon


class AccountPosts:
    """The SQL of an account's erasure and export (built per unit of work by the container)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def erase(self, user_id: int) -> None:
        s = self._session
        counts = (
            select(Comment.post_id, func.count().label("n"))
            .where(Comment.author_id == user_id)
            .group_by(Comment.post_id)
            .subquery()
        )
        # the counts of the posts the account commented on, others' posts (its own go below)
        s.execute(
            update(Post)
            .where(Post.id == counts.c.post_id, Post.author_id != user_id)
            .values(comment_count=Post.comment_count - counts.c.n)
        )
        s.execute(delete(Comment).where(Comment.author_id == user_id))
        s.execute(delete(Reaction).where(Reaction.user_id == user_id))  # counted when read: no count to lower
        s.execute(delete(Post).where(Post.author_id == user_id))  # their comments, audience and media rows too
        s.execute(delete(HomeTimeline).where(HomeTimeline.user_id == user_id))
        # its posts in others' timelines: no index leads there (timelines are written far more often than
        # accounts are erased), so this one scans; it runs in the erasure job, never in a request
        s.execute(delete(HomeTimeline).where(HomeTimeline.author_id == user_id))
        s.execute(delete(TimelineHorizon).where(TimelineHorizon.user_id == user_id))

    def export(self, user_id: int) -> dict[str, Any]:
        tag_ids = (
            select(func.array_agg(PostAudienceTag.tag_id)).where(PostAudienceTag.post_id == Post.id).scalar_subquery()
        )
        posts = [
            {
                "id": r.id,
                "body": r.body,
                "audience": {"type": r.audience_type}
                if r.audience_type != "tags"
                else {"type": "tags", "tag_ids": sorted(r.tag_ids or [])},
                "media_ids": list(r.media_ids),
                "comment_count": r.comment_count,
                "created_at": r.created_at,
                "updated_at": r.updated_at,
            }
            for r in self._session.execute(
                select(
                    Post.id, Post.body, Post.audience_type, Post.media_ids, Post.comment_count, Post.created_at,
                    Post.updated_at, tag_ids.label("tag_ids"),
                )
                .where(Post.author_id == user_id)
                .order_by(Post.created_at, Post.id)
            )
        ]  # fmt: skip
        comments = [
            {"id": c.id, "post_id": c.post_id, "body": c.body, "created_at": c.created_at}
            for c in self._session.scalars(
                select(Comment).where(Comment.author_id == user_id).order_by(Comment.created_at, Comment.id)
            )
        ]
        reactions = [
            {"post_id": r.post_id, "kind": r.kind, "created_at": r.created_at}
            for r in self._session.scalars(
                select(Reaction).where(Reaction.user_id == user_id).order_by(Reaction.created_at, Reaction.id)
            )
        ]
        return {"posts.json": posts, "comments.json": comments, "reactions.json": reactions}


def on_account_erasing(uow: UnitOfWorkContext, event: AccountErasing) -> None:
    uow.resolve(AccountPosts).erase(event.user_id)


def on_account_exporting(uow: UnitOfWorkContext, event: AccountExporting) -> None:
    for name, data in uow.resolve(AccountPosts).export(event.user_id).items():
        event.archive.add_json(name, data)
