"""Reactions: add or remove one (idempotent), and the reactors of a post, each only within its audience."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hearth_connections import ConnectionGraph
from hearth_identity import UserDirectory
from hearth_platform.pagination import Page, PageRequest, split_page

from ..errors import PostNotFound
from ..reaction_repository import ReactionRepository
from ..repository import PostsRepository
from ..schemas import ReactionKind, Reactor


class ReactionsService:
    def __init__(self, session: Session, graph: ConnectionGraph, users: UserDirectory) -> None:
        self.posts = PostsRepository(session, graph)
        self.repo = ReactionRepository(session)
        self.users = users

    def react(self, viewer_id: int, post_id: int, kind: ReactionKind) -> None:
        """Whoever sees the post may react; reacting again with the same kind changes nothing."""
        if self.posts.share_visible(viewer_id, post_id) is None:
            raise PostNotFound(post_id)
        self.repo.add(post_id, viewer_id, kind)

    def unreact(self, viewer_id: int, post_id: int, kind: ReactionKind) -> None:
        if self.posts.share_visible(viewer_id, post_id) is None:
            raise PostNotFound(post_id)
        self.repo.remove(post_id, viewer_id, kind)

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
