"""All SQL of the home timelines: fan-out, backfill, cutting to depth, and reading a page."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
    tuple_,
    union,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from hearth_connections import ConnectionGraph
from hearth_platform.database import advisory_lock_key
from hearth_platform.statements import CompiledRead, int_array

from .models import (
    AUDIENCE_CONNECTIONS,
    AUDIENCE_TAGS,
    HomeTimeline,
    PendingFanOut,
    Post,
    PostAudienceTag,
    TimelineHorizon,
)
from .repository import PostRow, PostsRepository

Key = tuple[datetime, int]


def _lock_key(user_id: int) -> int:
    return advisory_lock_key(f"hearth.timeline:{user_id}")


@dataclass(frozen=True, slots=True)
class TimelinePage:
    rows: list[PostRow]
    horizon: Key | None  # None: the timeline is complete


class TimelineRepository:
    def __init__(self, session: Session, posts: PostsRepository) -> None:
        self.session = session
        self.posts = posts

    # -- locks -----------------------------------------------------------------------------------------

    def lock_author(self, author_id: int) -> None:
        """Shared: an author's fan-outs run side by side, but never beside a backfill of their posts."""
        _LOCK_SHARED.all(self.session, {"key": _lock_key(author_id)})

    @staticmethod
    def author_lock_key(author_id: int) -> int:
        """The key of :meth:`lock_author`'s lock, for a statement that takes it itself (a new post's insert)."""
        return _lock_key(author_id)

    def lock_authors_exclusive(self, author_ids: Iterable[int]) -> None:
        """Exclusive, in id order (no deadlock): a backfill waits for fan-outs in flight, which then are
        committed and seen by the backfill's next statement, and fan-outs that start later see its change."""
        for author_id in sorted(set(author_ids)):
            self.session.execute(select(func.pg_advisory_xact_lock(_lock_key(author_id))))

    # -- writes ----------------------------------------------------------------------------------------

    @staticmethod
    def _not_below_horizon(reader: ColumnElement[int], created_at: Any, post_id: Any) -> ColumnElement[bool]:
        return ~exists().where(
            TimelineHorizon.user_id == reader,
            tuple_(TimelineHorizon.created_at, TimelineHorizon.post_id) > tuple_(created_at, post_id),
        )

    def fan_out(
        self, author_id: int, post_id: int, at: datetime, tag_ids: Sequence[int], *, to_tags: bool
    ) -> list[int]:
        """Put the post in the timelines of its readers: the author and their connections, or (``to_tags``) the
        members of those tags of the author's; the readers written. Readers who have it already are left as
        they are (its audience grew, or a backfill was first)."""
        params: dict[str, Any] = {"author": author_id, "post": post_id, "at": at}
        if to_tags:
            params["tags"] = list(tag_ids)
        return [r[0] for r in _FAN_OUT[to_tags].all(self.session, params)]

    def fan_out_new(self, post: PostRow, tag_ids: Sequence[int], fanout_max: int) -> list[int] | None:
        """:meth:`fan_out` of a post just inserted in this transaction (no timeline can hold it yet: no conflict
        to look for, a third of the insert's time for 5,000 readers, measured), when it has at most
        ``fanout_max`` readers beside its author. Else nothing is written but a :class:`PendingFanOut` row,
        and ``None`` comes back: one statement either way."""
        params: dict[str, Any] = {"author": post.author_id, "post": post.id, "at": post.created_at, "max": fanout_max}
        if tag_ids:
            params["tags"] = list(tag_ids)
        rows = _FAN_OUT_NEW[bool(tag_ids)].all(self.session, params)
        if rows and rows[0][1]:
            return None
        return [r[0] for r in rows]

    def take_pending(self, post_id: int) -> tuple[int, int, datetime, list[int], bool] | None:
        """The pending fan-out of ``post_id``, deleted (this transaction writes it): :meth:`fan_out`'s arguments
        (post id, author, created at, the post's tags, whether it goes to them); ``None`` when none is pending
        (written, or the post gone)."""
        found = _TAKE_PENDING.all(self.session, {"post": post_id})
        if not found:
            return None
        row = found[0]
        return row.post_id, row.author_id, row.created_at, list(row.tag_ids or ()), row.audience_type == AUDIENCE_TAGS

    def backfill(self, reader_id: int, candidates: Select[int, datetime, int], depth: int) -> None:
        """Put the newest ``depth`` of ``candidates`` (posts: id, created_at, author_id) that are not below
        the reader's horizon into their timeline. When more exist, the timeline now ends at the oldest one
        put in: that becomes the reader's horizon, and older rows go."""
        found = candidates.subquery("candidates")
        newest = self.session.execute(
            select(found.c.id, found.c.created_at, found.c.author_id)
            .where(self._not_below_horizon(literal(reader_id), found.c.created_at, found.c.id))
            .order_by(found.c.created_at.desc(), found.c.id.desc())
            .limit(depth)
        ).all()
        if not newest:
            return
        self.session.execute(
            insert(HomeTimeline).on_conflict_do_nothing(),
            [
                {"user_id": reader_id, "created_at": r.created_at, "post_id": r.id, "author_id": r.author_id}
                for r in newest
            ],
        )
        if len(newest) == depth:
            oldest = newest[-1]
            self._raise_horizon([(reader_id, oldest.created_at, oldest.id)])
        self.trim([reader_id], depth)

    def _raise_horizon(self, cuts: Sequence[tuple[int, datetime, int]]) -> None:
        stmt = insert(TimelineHorizon).values([{"user_id": u, "created_at": at, "post_id": pid} for u, at, pid in cuts])
        stmt = stmt.on_conflict_do_update(
            index_elements=[TimelineHorizon.user_id],
            set_={"created_at": stmt.excluded.created_at, "post_id": stmt.excluded.post_id},
            where=tuple_(TimelineHorizon.created_at, TimelineHorizon.post_id)
            < tuple_(stmt.excluded.created_at, stmt.excluded.post_id),
        )
        self.session.execute(stmt)
        for user_id, _, _ in cuts:
            self.session.execute(
                delete(HomeTimeline).where(
                    HomeTimeline.user_id == user_id,
                    tuple_(HomeTimeline.created_at, HomeTimeline.post_id)
                    < select(TimelineHorizon.created_at, TimelineHorizon.post_id)
                    .where(TimelineHorizon.user_id == user_id)
                    .scalar_subquery(),
                )
            )

    def trim(self, user_ids: Sequence[int], depth: int) -> None:
        """Cut each timeline to its newest ``depth`` rows (one statement for all); a cut one gets a horizon."""
        if not user_ids:
            return
        _TRIM.all(self.session, {"users": int_array(user_ids), "offset": depth - 1})

    # -- reads -----------------------------------------------------------------------------------------

    def page(
        self, viewer_id: int, tag_id: int | None, after: Key | None, limit: int, *, newer: Key | None = None
    ) -> TimelinePage:
        """The newest visible posts of the viewer's timeline after ``after`` (by members of the viewer's tag
        ``tag_id`` only, when given), and the timeline's horizon: one statement, built once per shape.
        ``newer``: instead, the ``limit`` oldest posts above that key, oldest first (a poll)."""
        params: dict[str, Any] = {"viewer": viewer_id, "limit": limit}
        if tag_id is not None:
            params["tag"] = tag_id
        mode = "first"
        if newer is not None:
            mode, (params["key_at"], params["key_id"]) = "newer", newer
        elif after is not None:
            mode, (params["key_at"], params["key_id"]) = "after", after
        result = _PAGES[tag_id is not None, mode].all(self.session, params)
        first = result[0]
        cut = (first.h_at, first.h_id) if first.h_at is not None else None
        return TimelinePage([PostsRepository.to_post(r) for r in result if r.id is not None], cut)


def _page_statement(by_tag: bool, mode: str) -> Select[Any]:
    """A timeline page, its rows probed for visibility (the cost follows the page, not the viewer's
    connections), with the horizon of the timeline. Built once per shape, with bound parameters (viewer,
    limit, tag, key_at/key_id): building a statement of this size costs more than running it. ``mode``:
    ``first`` (newest first), ``after`` (newest first, below the key), ``newer`` (oldest first, above it)."""
    viewer = bindparam("viewer", type_=BigInteger)
    horizon = (
        select(TimelineHorizon.created_at, TimelineHorizon.post_id)
        .where(TimelineHorizon.user_id == viewer)
        .subquery("horizon")
    )
    ascending = mode == "newer"
    bound = tuple_(bindparam("key_at", type_=DateTime(timezone=True)), bindparam("key_id", type_=BigInteger))
    limit = bindparam("limit", type_=Integer)

    def page_of(source: Any, only: list[ColumnElement[bool]]) -> Select[Any]:
        key = tuple_(source.created_at, source.post_id)
        conds = [
            *only,
            # never a row below the horizon: the read-time query serves those (a row left there by a race
            # between a backfill and a cut would otherwise be shown twice)
            or_(horizon.c.created_at.is_(None), key >= tuple_(horizon.c.created_at, horizon.c.post_id)),
            PostsRepository.visible_to(viewer),
        ]
        if by_tag:
            conds.append(
                source.author_id.in_(ConnectionGraph.tag_member_ids_select(viewer, bindparam("tag", type_=BigInteger)))
            )
        if mode != "first":
            conds.append(key > bound if mode == "newer" else key < bound)
        order = (source.created_at, source.post_id) if ascending else (source.created_at.desc(), source.post_id.desc())
        return (
            select(*PostsRepository.post_columns(viewer))
            .select_from(source)
            .join(Post, Post.id == source.post_id)
            .where(*conds)
            .order_by(*order)
            .limit(limit)
            .correlate(horizon)  # the statement's own (LATERAL), not a join of each branch's
        )

    # the viewer's timeline; and the new posts whose fan-out a job has yet to write (none, or a handful: a
    # page of its own, so the timeline's keeps its plan), but not one a backfill already put in the timeline
    in_timeline = exists().where(
        HomeTimeline.user_id == viewer,
        HomeTimeline.created_at == PendingFanOut.created_at,
        HomeTimeline.post_id == PendingFanOut.post_id,
    )
    both = union_all(
        page_of(HomeTimeline, [HomeTimeline.user_id == viewer]), page_of(PendingFanOut, [~in_timeline])
    ).subquery("both")
    page = (
        select(both)
        .order_by(*((both.c.created_at, both.c.id) if ascending else (both.c.created_at.desc(), both.c.id.desc())))
        .limit(limit)
        .lateral("page")
    )
    one = select(literal_column("1").label("one")).subquery("one")
    return (
        select(horizon.c.created_at.label("h_at"), horizon.c.post_id.label("h_id"), page)
        .select_from(one)
        .outerjoin(horizon, true())
        .outerjoin(page, true())
        .order_by(*((page.c.created_at, page.c.id) if ascending else (page.c.created_at.desc(), page.c.id.desc())))
    )


def _fan_out_parts(to_tags: bool) -> tuple[Any, Any, Any, Any]:
    """Bound values (author, post, at) and the post's readers: the author and their connections, or the
    members of the tags."""
    author = cast(bindparam("author", type_=BigInteger), BigInteger)
    post = cast(bindparam("post", type_=BigInteger), BigInteger)
    at = cast(bindparam("at", type_=DateTime(timezone=True)), DateTime(timezone=True))
    others = (
        ConnectionGraph.members_of_tags_select(bindparam("tags", type_=ARRAY(BigInteger)))
        if to_tags
        else ConnectionGraph.connected_ids_select(author)
    )
    return author, post, at, union(select(author), others)


_COLUMNS = ["user_id", "created_at", "post_id", "author_id"]


def _fan_out(to_tags: bool) -> Executable:
    """The fan-out of one post, built once per audience kind with bound values (building it per post cost
    more than running it: a sixth of create_post's CPU, profiled)."""
    author, post, at, readers = _fan_out_parts(to_tags)
    found = readers.subquery("readers")
    reader = found.c[0]
    rows = select(reader, at, post, author).where(TimelineRepository._not_below_horizon(reader, at, post))
    stmt = insert(HomeTimeline).from_select(_COLUMNS, rows).on_conflict_do_nothing()
    return stmt.returning(HomeTimeline.user_id)


def _fan_out_new(to_tags: bool) -> Executable:
    """A new post's fan-out, or its pending row when it has more than ``max`` readers beside its author: rows
    ``(reader, false)`` written, or one row ``(0, true)``."""
    author, post, at, readers = _fan_out_parts(to_tags)
    found = readers.cte("readers")
    reader = found.c[0]
    large = select(func.count() > bindparam("max", type_=Integer) + 1).select_from(found).scalar_subquery()
    rows = select(reader, at, post, author).where(~large, TimelineRepository._not_below_horizon(reader, at, post))
    written = insert(HomeTimeline).from_select(_COLUMNS, rows).returning(HomeTimeline.user_id).cte("written")
    deferred = (
        insert(PendingFanOut)
        .from_select(["post_id", "created_at", "author_id"], select(post, at, author).where(large))
        .returning(PendingFanOut.post_id)
        .cte("deferred")
    )
    return union_all(
        select(written.c.user_id, literal(False)),
        select(literal(0, BigInteger), literal(True)).select_from(deferred),
    )


def _take_pending() -> Executable:
    taken = (
        delete(PendingFanOut)
        .where(PendingFanOut.post_id == bindparam("post", type_=BigInteger))
        .returning(PendingFanOut.post_id)
        .cte("taken")
    )
    tags = select(func.array_agg(PostAudienceTag.tag_id)).where(PostAudienceTag.post_id == Post.id).scalar_subquery()
    return select(
        Post.id.label("post_id"), Post.author_id, Post.created_at, Post.audience_type, tags.label("tag_ids")
    ).join(taken, taken.c.post_id == Post.id)


_FAN_OUT = {to_tags: CompiledRead(functools.partial(_fan_out, to_tags), tuples=True) for to_tags in (False, True)}
_FAN_OUT_NEW = {
    to_tags: CompiledRead(functools.partial(_fan_out_new, to_tags), tuples=True) for to_tags in (False, True)
}
_TAKE_PENDING = CompiledRead(_take_pending)
_TRIM = CompiledRead(
    lambda: text(
        """
        WITH cut AS (
            SELECT r.user_id, k.created_at, k.post_id
            FROM unnest(CAST(:users AS bigint[])) AS r(user_id)
            CROSS JOIN LATERAL (
                SELECT t.created_at, t.post_id FROM home_timelines t WHERE t.user_id = r.user_id
                ORDER BY t.created_at DESC, t.post_id DESC OFFSET :offset LIMIT 1
            ) k
        ), gone AS (
            DELETE FROM home_timelines t USING cut
            WHERE t.user_id = cut.user_id AND (t.created_at, t.post_id) < (cut.created_at, cut.post_id)
            RETURNING t.user_id
        )
        INSERT INTO home_timeline_horizons (user_id, created_at, post_id)
        SELECT cut.user_id, cut.created_at, cut.post_id FROM cut
        WHERE cut.user_id IN (SELECT user_id FROM gone)
        ON CONFLICT (user_id) DO UPDATE SET created_at = excluded.created_at, post_id = excluded.post_id
        WHERE (home_timeline_horizons.created_at, home_timeline_horizons.post_id)
            < (excluded.created_at, excluded.post_id)
        """
    ).bindparams(bindparam("users", type_=Text), bindparam("offset", type_=Integer))
)
"""Cut timelines to their newest ``offset + 1`` rows (``users``: int_array text); a cut one gets a horizon."""
_LOCK_SHARED = CompiledRead(
    lambda: select(func.pg_advisory_xact_lock_shared(bindparam("key", type_=BigInteger)).label("locked"))
)

_PAGES = {
    (by_tag, mode): CompiledRead(functools.partial(_page_statement, by_tag, mode))
    for by_tag in (False, True)
    for mode in ("first", "after", "newer")
}


def author_posts(
    author_id: int, *, audience_tag: int | None = None, connections_only: bool = False
) -> Select[int, datetime, int]:
    """``SELECT id, created_at, author_id`` of an author's posts: all, to connections, or to a tag."""
    stmt = select(Post.id, Post.created_at, Post.author_id).where(Post.author_id == author_id)
    if connections_only:
        stmt = stmt.where(Post.audience_type == AUDIENCE_CONNECTIONS)
    if audience_tag is not None:
        stmt = stmt.where(
            exists().where(and_(PostAudienceTag.post_id == Post.id, PostAudienceTag.tag_id == audience_tag))
        )
    return stmt
