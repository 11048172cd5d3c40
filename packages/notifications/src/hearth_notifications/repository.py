"""All SQL of notifications. What a recipient may see is decided inside the statement that reads: the actor
is not blocked either way, and the post (when there is one) is visible to the recipient now."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
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
    and_,
    any_,
    bindparam,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql import Executable, Subquery

from hearth_connections import ConnectionGraph
from hearth_identity import UserDirectory
from hearth_platform.statements import CompiledRead
from hearth_posts import PostVisibility

from .models import COMMENT, MENTION, REACTION, REPLY, Notification

Key = tuple[datetime, int]
Written = list[tuple[int, int]]  # (id, recipient_id) of the notifications an insert wrote
_TABLE = cast(Table, Notification.__table__)  # the writes insert from SELECTs (Core, not the ORM's bulk paths)
_COLUMNS = ["recipient_id", "actor_id", "type", "post_id", "comment_id"]


@dataclass(frozen=True, slots=True)
class NotificationRow:
    id: int
    type: str
    actor_id: int
    post_id: int | None
    comment_id: int | None
    created_at: datetime
    read: bool
    # the actor's summary fields as read with it (``UserDirectory.summary_column``; ``[]``: nobody)
    actor: list[str | None]


def row_columns() -> tuple[ColumnElement[Any] | InstrumentedAttribute[Any], ...]:
    """The columns of a :class:`NotificationRow`, in its order (its actor read with it: no users statement)."""
    n = Notification
    return (
        n.id,
        n.type,
        n.actor_id,
        n.post_id,
        n.comment_id,
        n.created_at,
        n.read,
        UserDirectory.summary_column(n.actor_id),
    )


def shown_to(recipient: ColumnElement[int] | int) -> ColumnElement[bool]:
    """What the recipient may be shown now: nothing from a user blocked either way or whose account is not
    active (suspended, or being erased), nothing about a post they can no longer see (a comment's notification
    names its post too). Per-row probes: the cost follows the rows read, never the recipient's connections."""
    post_id = cast(ColumnElement[int], Notification.post_id)
    return and_(
        ~ConnectionGraph.blocked_clause(recipient, Notification.actor_id),
        UserDirectory.active_clause(Notification.actor_id),
        or_(Notification.post_id.is_(None), PostVisibility.visible_clause(recipient, post_id)),
    )


class NotificationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- reading -----------------------------------------------------------------------------------------

    def page(
        self, recipient_id: int, unread_only: bool, after: Key | None, limit: int, *, newer: Key | None = None
    ) -> list[NotificationRow]:
        """Newest first after ``after``; ``newer``: the ``limit`` oldest above that key, oldest first (a poll).
        One statement, whatever the page holds."""
        params: dict[str, Any] = {"recipient": recipient_id, "limit": limit}
        mode = "first"
        if newer is not None:
            mode, (params["key_at"], params["key_id"]) = "newer", newer
        elif after is not None:
            mode, (params["key_at"], params["key_id"]) = "after", after
        rows = _PAGES[mode, unread_only].all(self.session, params)
        return [NotificationRow(*r) for r in rows]

    def unread_count(self, recipient_id: int) -> int:
        rows = _UNREAD_COUNT.all(self.session, {"recipient": recipient_id})
        return int(rows[0][0])

    # -- marking read ------------------------------------------------------------------------------------

    def mark_read(self, recipient_id: int, *, up_to_id: int | None = None, ids: Collection[int] = ()) -> None:
        """The recipient's notifications up to ``up_to_id`` (every id at or below it), or those of ``ids``."""
        stmt = update(_TABLE).where(_TABLE.c.recipient_id == recipient_id, ~_TABLE.c.read).values(read=True)
        if up_to_id is not None:
            stmt = stmt.where(_TABLE.c.id <= up_to_id)
        else:
            stmt = stmt.where(_TABLE.c.id == any_(bindparam("ids", list(ids), type_=ARRAY(BigInteger))))
        self.session.execute(stmt)

    # -- writing (from the handlers of other packages' events, in their transaction) ---------------------

    def add(self, recipient_id: int, actor_id: int, kind: str, post_id: int | None = None) -> Written:
        """One notification, unless it would go to its actor or already exists (a reaction, once per reactor)."""
        if recipient_id == actor_id:
            return []
        params = {"recipient": recipient_id, "actor": actor_id, "kind": kind, "post": post_id}
        return _written(_ADD.all(self.session, params))

    def erase(self, user_id: int) -> None:
        """Every notification the user received or caused (an account's erasure)."""
        self.session.execute(delete(_TABLE).where(or_(_TABLE.c.recipient_id == user_id, _TABLE.c.actor_id == user_id)))

    def remove_reaction(self, recipient_id: int, actor_id: int, post_id: int) -> None:
        _REMOVE_REACTION.all(self.session, {"recipient": recipient_id, "actor": actor_id, "post": post_id})

    def add_comment(self, comment_id: int, post_id: int, post_author_id: int, actor_id: int) -> Written:
        """``comment`` to the post's author and ``reply`` to everyone else who commented on it and may see it
        now (not the actor, no one blocked either way with them), in one statement however many they are."""
        params = {"comment": comment_id, "post": post_id, "author": post_author_id, "actor": actor_id}
        return _written(_COMMENT_NOTIFICATIONS[post_author_id != actor_id].all(self.session, params))

    def add_mentions(self, post_id: int, comment_id: int | None, actor_id: int, user_ids: Collection[int]) -> Written:
        """``mention`` to each of ``user_ids`` who may see the post now (not the actor, no one blocked either way
        with them), once per post or comment however often its body is written again: one statement."""
        params = {"post": post_id, "comment": comment_id, "actor": actor_id, "mentioned": list(user_ids)}
        return _written(_MENTIONS.all(self.session, params))


def _written(rows: Sequence[Any]) -> Written:
    """``(id, recipient_id)`` of the notifications an insert wrote (its ``RETURNING`` rows)."""
    return [(int(i), int(r)) for i, r in rows]


def _id(name: str) -> ColumnElement[int]:
    """A bound id, cast: its type is known wherever it stands (a SELECT list of a UNION, an INSERT's values)."""
    return sql_cast(bindparam(name, type_=BigInteger), BigInteger)


def _insert_chosen(chosen: Any) -> Executable:
    """The insert of the notifications a SELECT of ``_COLUMNS`` chose: ``(id, recipient_id)`` of those written
    (one already there is left as it is)."""
    return (
        pg_insert(_TABLE)
        .from_select(_COLUMNS, chosen)
        .on_conflict_do_nothing()
        .returning(_TABLE.c.id, _TABLE.c.recipient_id)
    )


def _comment_notifications(to_author: bool) -> Executable:
    """The insert of a comment's notifications, built once per shape with bound ids (building it per comment
    cost more than running it: 13 % of a comment's CPU, profiled)."""
    post, actor, author, comment = _id("post"), _id("actor"), _id("author"), _id("comment")
    commenters, user_id = _candidates(PostVisibility.commenter_ids_select(post))
    chosen: Any = (
        select(user_id, actor, literal(REPLY), post, comment)
        .select_from(commenters)
        .where(user_id != actor, user_id != author, *_may_be_told(user_id, post, actor))
    )
    if to_author:
        chosen = union_all(select(author, actor, literal(COMMENT), post, comment), chosen)
    return _insert_chosen(chosen)


def _mentions() -> Executable:
    post, actor, comment = _id("post"), _id("actor"), _id("comment")
    ids = bindparam("mentioned", type_=ARRAY(BigInteger))
    mentioned, user_id = _candidates(select(func.unnest(ids).label("user_id")))
    chosen = (
        select(user_id, actor, literal(MENTION), post, comment)
        .select_from(mentioned)
        .where(user_id != actor, *_may_be_told(user_id, post, actor))
    )
    return _insert_chosen(chosen)


def _add() -> Executable:
    """One notification (a reaction's: once per reactor, as the unique index says)."""
    return (
        pg_insert(_TABLE)
        .values(
            recipient_id=bindparam("recipient", type_=BigInteger),
            actor_id=bindparam("actor", type_=BigInteger),
            type=bindparam("kind", type_=String),
            post_id=bindparam("post", type_=BigInteger),
        )
        .on_conflict_do_nothing()
        .returning(_TABLE.c.id, _TABLE.c.recipient_id)
    )


def _remove_reaction() -> Executable:
    return (
        delete(_TABLE)
        .where(
            _TABLE.c.type == REACTION,
            _TABLE.c.recipient_id == bindparam("recipient", type_=BigInteger),
            _TABLE.c.post_id == bindparam("post", type_=BigInteger),
            _TABLE.c.actor_id == bindparam("actor", type_=BigInteger),
        )
        .returning(_TABLE.c.id)  # rows, as a compiled statement returns
    )


_ADD = CompiledRead(_add)
_REMOVE_REACTION = CompiledRead(_remove_reaction)
_COMMENT_NOTIFICATIONS = {
    to_author: CompiledRead(functools.partial(_comment_notifications, to_author)) for to_author in (False, True)
}
_MENTIONS = CompiledRead(_mentions)


def _candidates(ids: Select[Any]) -> tuple[Subquery, ColumnElement[int]]:
    """The users of ``ids`` as a FROM, and their id as the column every probe of a row refers to. The probes
    nest subqueries in subqueries, and SQLAlchemy correlates a subquery only to the SELECT right around it:
    named by text, the column means this row's candidate at every level."""
    candidates = ids.subquery("candidates")
    name = next(iter(candidates.c)).name
    return candidates, literal_column(f"candidates.{name}", BigInteger)


def _may_be_told(
    user_id: ColumnElement[int], post_id: ColumnElement[int], actor_id: ColumnElement[int]
) -> list[ColumnElement[bool]]:
    """``user_id`` may see the post now, and neither they nor the actor blocked the other."""
    return [PostVisibility.visible_clause(user_id, post_id), ~ConnectionGraph.blocked_clause(user_id, actor_id)]


def _page(mode: str, unread_only: bool) -> Executable:
    recipient = bindparam("recipient", type_=BigInteger)
    conds: list[ColumnElement[bool]] = [Notification.recipient_id == recipient, shown_to(recipient)]
    if unread_only:
        conds.append(~Notification.read)
    key = tuple_(Notification.created_at, Notification.id)
    if mode != "first":
        bound = tuple_(bindparam("key_at", type_=DateTime(timezone=True)), bindparam("key_id", type_=BigInteger))
        conds.append(key > bound if mode == "newer" else key < bound)
    order = (
        (Notification.created_at, Notification.id)
        if mode == "newer"
        else (Notification.created_at.desc(), Notification.id.desc())
    )
    return select(*row_columns()).where(*conds).order_by(*order).limit(bindparam("limit", type_=Integer))


def _unread_count() -> Executable:
    recipient = bindparam("recipient", type_=BigInteger)
    return select(func.count()).where(Notification.recipient_id == recipient, ~Notification.read, shown_to(recipient))


_PAGES = {
    (mode, unread): CompiledRead(functools.partial(_page, mode, unread))
    for mode in ("first", "after", "newer")
    for unread in (False, True)
}
_UNREAD_COUNT = CompiledRead(_unread_count)
