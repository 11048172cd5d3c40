"""Reactions: add or remove one (idempotent), and the reactors of a post, each only within its audience."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hearth_connections import ConnectionGraph
from hearth_identity import UserDirectory
from hearth_platform.events import EventPublisher
from hearth_platform.pagination import Page, PageRequest, split_page

from ..errors import PostNotFound
from ..events import ReactionAdded, ReactionRemoved
from ..reaction_repository import ReactionRepository
from ..repository import PostsRepository
from ..schemas import ReactionKind, Reactor


class ReactionsService:
    def __init__(self, session: Session, graph: ConnectionGraph, users: UserDirectory, events: EventPublisher) -> None:
        self.posts = PostsRepository(session, graph)
        self.repo = ReactionRepository(session)
        self.users = users
        self.events = events

    def react(self, viewer_id: int, post_id: int, kind: ReactionKind) -> None:
        """Whoever sees the post may react; reacting again with the same kind changes nothing."""
        author = self.posts.share_visible(viewer_id, post_id)
        if author is None:
            raise PostNotFound(post_id)
        if self.repo.add(post_id, viewer_id, kind):
            self.events.publish(ReactionAdded(post_id, author, viewer_id, kind))

    def unreact(self, viewer_id: int, post_id: int, kind: ReactionKind) -> None:
        author = self.posts.share_visible(viewer_id, post_id)
        if author is None:
            raise PostNotFound(post_id)
        if self.repo.remove(post_id, viewer_id, kind):
            any_left = self.repo.has_any(post_id, viewer_id)
            self.events.publish(ReactionRemoved(post_id, author, viewer_id, kind, any_left))

    def reactors(self, viewer_id: int, post_id: int, kind: ReactionKind | None, page: PageRequest) -> Page[Reactor]:
        list_kind = f"reactions:{viewer_id}:{post_id}:{kind or ''}"
        rows = self.repo.reactors_page(viewer_id, post_id, kind, page.keyset(list_kind), page.limit + 1)
        if rows is None:
            raise PostNotFound(post_id)
        items, more = split_page(rows, page.limit)
        cursor = page.next_cursor(list_kind, [items[-1].created_at, items[-1].id]) if more else None
        users = self.users.summaries({r.user_id for r in items}) if items else {}
        return Page[Reactor](
            items=[
                Reactor(user=users[r.user_id], kind=r.kind, created_at=r.created_at)
                for r in items
                if r.user_id in users
            ],
            next_cursor=cursor,
        )
