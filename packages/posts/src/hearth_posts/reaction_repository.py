"""All SQL of reactions: adding and removing one with its post's exact count, the reactors of a post, and the
counts and the caller's kinds for a page of posts in one statement."""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    Select,
    String,
    Table,
    any_,
    bindparam,
    delete,
    exists,
    literal,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from hearth_connections import ConnectionGraph
from hearth_platform.statements import CompiledRead

from .models import REACTION_KINDS, Post, Reaction, ReactionCount
from .repository import PostsRepository

_KIND_ORDER = {kind: i for i, kind in enumerate(REACTION_KINDS)}
# the tables, for the writes that chain statements in CTEs (the ORM's bulk paths do not return their rows)
_REACTIONS = cast(Table, Reaction.__table__)
_COUNTS = cast(Table, ReactionCount.__table__)


@dataclass(frozen=True, slots=True)
class PostReactions:
    """A post's counts (kinds above zero, in the contract's order) and the viewer's own kinds."""

    counts: dict[str, int]
    mine: list[str]


NO_REACTIONS = PostReactions({}, [])


@dataclass(frozen=True, slots=True)
class ReactorRow:
    id: int
    user_id: int
    kind: str
    created_at: datetime


class ReactionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def of_posts(self, viewer_id: int, post_ids: Collection[int]) -> dict[int, PostReactions]:
        """Counts and the viewer's kinds of every post in ``post_ids``, in one statement (a few count rows per
        post, whatever its number of reactions); posts without reactions are left out."""
        if not post_ids:
            return {}
        rows = _OF_POSTS.all(self.session, {"viewer": viewer_id, "ids": list(post_ids)})
        counts: dict[int, list[tuple[str, int, bool]]] = {}
        for post_id, kind, count, mine in rows:
            counts.setdefault(post_id, []).append((kind, count, mine))
        out: dict[int, PostReactions] = {}
        for post_id, kinds in counts.items():
            kinds.sort(key=lambda k: _KIND_ORDER.get(k[0], len(_KIND_ORDER)))
            out[post_id] = PostReactions({k: n for k, n, _ in kinds}, [k for k, _, m in kinds if m])
        return out

    def add(self, post_id: int, user_id: int, kind: str) -> bool:
        """Add the reaction and count it, in one statement; False when it was already there (nothing changes)."""
        reactions, counts = _REACTIONS, _COUNTS
        new = (
            pg_insert(reactions)
            .values(post_id=post_id, user_id=user_id, kind=kind)
            .on_conflict_do_nothing(constraint="uq_reactions_post_id_user_id_kind")
            .returning(reactions.c.post_id, reactions.c.kind)
            .cte("new")
        )
        # concurrent first reactions of a kind meet on the count's primary key: one inserts, the others add
        counted = (
            pg_insert(counts)
            .from_select(["post_id", "kind", "count"], select(new.c.post_id, new.c.kind, literal(1)))
            .on_conflict_do_update(index_elements=[counts.c.post_id, counts.c.kind], set_={"count": counts.c.count + 1})
            .returning(counts.c.post_id)
        )
        return self.session.execute(counted).first() is not None

    def remove(self, post_id: int, user_id: int, kind: str) -> bool:
        """Remove the reaction and uncount it, in one statement; False when there was none."""
        reactions, counts = _REACTIONS, _COUNTS
        gone = (
            delete(reactions)
            .where(reactions.c.post_id == post_id, reactions.c.user_id == user_id, reactions.c.kind == kind)
            .returning(reactions.c.post_id, reactions.c.kind)
            .cte("gone")
        )
        uncounted = (
            update(counts)
            .where(counts.c.post_id == gone.c.post_id, counts.c.kind == gone.c.kind)
            .values(count=counts.c.count - 1)
            .returning(counts.c.post_id)
        )
        return self.session.execute(uncounted).first() is not None

    def has_any(self, post_id: int, user_id: int) -> bool:
        """Whether ``user_id`` still has a reaction of any kind on the post."""
        stmt = select(exists().where(Reaction.post_id == post_id, Reaction.user_id == user_id))
        return bool(self.session.execute(stmt).scalar())

    def reactors_page(
        self, viewer_id: int, post_id: int, kind: str | None, after: tuple[datetime, int] | None, limit: int
    ) -> list[ReactorRow] | None:
        """A visible post's reactions, newest first, without those of a user who blocked the viewer or whom the
        viewer blocked; ``None`` when the post is not visible. One statement, as the comments page."""
        params: dict[str, Any] = {"viewer": viewer_id, "post": post_id, "limit": limit}
        if kind is not None:
            params["kind"] = kind
        if after is not None:
            params["after_at"], params["after_id"] = after
        rows = _REACTOR_PAGES[kind is not None, after is not None].all(self.session, params)
        if not rows:
            return None
        return [ReactorRow(r.id, r.user_id, r.kind, r.created_at) for r in rows if r.id is not None]


def _of_posts() -> Executable:
    viewer = bindparam("viewer", type_=BigInteger)
    mine = (
        select(literal(1))
        .where(
            Reaction.post_id == ReactionCount.post_id, Reaction.user_id == viewer, Reaction.kind == ReactionCount.kind
        )
        .exists()
    )
    return select(ReactionCount.post_id, ReactionCount.kind, ReactionCount.count, mine.label("mine")).where(
        ReactionCount.post_id == any_(bindparam("ids", type_=ARRAY(BigInteger))), ReactionCount.count > 0
    )


def _reactors_page(by_kind: bool, after: bool) -> Select[Any]:
    viewer = bindparam("viewer", type_=BigInteger)
    conds: list[ColumnElement[bool]] = [
        Reaction.post_id == Post.id,
        ~ConnectionGraph.blocked_clause(viewer, Reaction.user_id),
    ]
    if by_kind:
        conds.append(Reaction.kind == bindparam("kind", type_=String))
    if after:
        after_key = tuple_(
            bindparam("after_at", type_=DateTime(timezone=True)), bindparam("after_id", type_=BigInteger)
        )
        conds.append(tuple_(Reaction.created_at, Reaction.id) < after_key)
    page = (
        select(Reaction.id, Reaction.user_id, Reaction.kind, Reaction.created_at)
        .where(*conds)
        .order_by(Reaction.created_at.desc(), Reaction.id.desc())
        .limit(bindparam("limit", type_=Integer))
        .lateral("page")
    )
    return (
        select(Post.id.label("pid"), page.c.id, page.c.user_id, page.c.kind, page.c.created_at)
        .select_from(Post)
        .outerjoin(page, true())
        .where(Post.id == bindparam("post", type_=BigInteger), PostsRepository.visible_to(viewer))
        .order_by(page.c.created_at.desc(), page.c.id.desc())
    )


_OF_POSTS = CompiledRead(_of_posts)
_REACTOR_PAGES = {
    (by_kind, after): CompiledRead(functools.partial(_reactors_page, by_kind, after))
    for by_kind in (False, True)
    for after in (False, True)
}
