"""All SQL of reactions: adding and removing one, the reactors of a post; the counts and the caller's kinds are
read with the posts themselves (``repository._reactions``) and turned into ``PostReactions`` here."""

from __future__ import annotations

import functools
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
    bindparam,
    delete,
    exists,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from hearth_connections import ConnectionGraph
from hearth_identity import UserDirectory
from hearth_platform.statements import CompiledRead

from .models import REACTION_KINDS, Post, Reaction
from .repository import PostsRepository

_KIND_ORDER = {kind: i for i, kind in enumerate(REACTION_KINDS)}
_REACTIONS = cast(Table, Reaction.__table__)  # Core for the writes: the ORM's bulk paths return no rows


@dataclass(frozen=True, slots=True)
class PostReactions:
    """A post's counts (kinds above zero, in the contract's order) and the viewer's own kinds."""

    counts: dict[str, int]
    mine: list[str]


NO_REACTIONS = PostReactions({}, [])


def reactions_of(read: list[list[Any]] | None) -> PostReactions:
    """A post's reactions from what its row carries (``PostRow.reactions``), kinds in the contract's order."""
    if not read:
        return NO_REACTIONS
    read = sorted(read, key=lambda k: _KIND_ORDER.get(k[0], len(_KIND_ORDER)))
    return PostReactions({k: int(n) for k, n, _ in read}, [k for k, _, mine in read if mine])


@dataclass(frozen=True, slots=True)
class ReactorRow:
    id: int
    user_id: int
    kind: str
    created_at: datetime


class ReactionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # the writes and the check run on every reaction: compiled once (building them cost more than running them)

    def add(self, post_id: int, user_id: int, kind: str) -> bool:
        """Add the reaction; False when it was already there (nothing changes). No count is written: reacting
        never waits for another reactor, however many react to the post at once."""
        return bool(_ADD.all(self.session, {"post": post_id, "user": user_id, "kind": kind}))

    def remove(self, post_id: int, user_id: int, kind: str) -> bool:
        """Remove the reaction; False when there was none."""
        return bool(_REMOVE.all(self.session, {"post": post_id, "user": user_id, "kind": kind}))

    def has_any(self, post_id: int, user_id: int) -> bool:
        """Whether ``user_id`` still has a reaction of any kind on the post."""
        return bool(_HAS_ANY.all(self.session, {"post": post_id, "user": user_id})[0][0])

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


def _reactors_page(by_kind: bool, after: bool) -> Select[Any]:
    viewer = bindparam("viewer", type_=BigInteger)
    conds: list[ColumnElement[bool]] = [
        Reaction.post_id == Post.id,
        ~ConnectionGraph.blocked_clause(viewer, Reaction.user_id),
        UserDirectory.active_clause(Reaction.user_id),  # a suspended reactor, or one being erased: nobody
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


_REACTOR_PAGES = {
    (by_kind, after): CompiledRead(functools.partial(_reactors_page, by_kind, after))
    for by_kind in (False, True)
    for after in (False, True)
}


def _add() -> Executable:
    r = _REACTIONS.c
    return (
        pg_insert(_REACTIONS)
        .values(
            post_id=bindparam("post", type_=BigInteger),
            user_id=bindparam("user", type_=BigInteger),
            kind=bindparam("kind", type_=String),
        )
        .on_conflict_do_nothing(constraint="uq_reactions_post_id_user_id_kind")
        .returning(r.id)
    )


def _remove() -> Executable:
    r = _REACTIONS.c
    return (
        delete(_REACTIONS)
        .where(
            r.post_id == bindparam("post", type_=BigInteger),
            r.user_id == bindparam("user", type_=BigInteger),
            r.kind == bindparam("kind", type_=String),
        )
        .returning(r.id)
    )


def _has_any() -> Executable:
    return select(
        exists().where(
            Reaction.post_id == bindparam("post", type_=BigInteger),
            Reaction.user_id == bindparam("user", type_=BigInteger),
        )
    )


_ADD = CompiledRead(_add)
_REMOVE = CompiledRead(_remove)
_HAS_ANY = CompiledRead(_has_any)
