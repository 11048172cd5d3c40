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
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from hearth_connections import ConnectionGraph
from hearth_platform.database import advisory_lock_key
from hearth_platform.statements import CompiledRead

from .models import AUDIENCE_CONNECTIONS, HomeTimeline, Post, PostAudienceTag, TimelineHorizon
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

    def fan_out(self, post: PostRow, tag_ids: Sequence[int], *, new: bool) -> list[int]:
        """Put ``post`` in the timelines of its readers: the author and their connections, or (``tag_ids``) the
        members of those tags of the author's; the readers written. ``new``: the post was just inserted, in
        this transaction, so no timeline can hold it yet (no conflict to look for: a third of the insert's
        time for 5,000 readers, measured); else readers who have it already are left as they are."""
        params: dict[str, Any] = {"author": post.author_id, "post": post.id, "at": post.created_at}
        if tag_ids:
            params["tags"] = list(tag_ids)
        return [r[0] for r in _FAN_OUT[bool(tag_ids), new].all(self.session, params)]

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
        self.session.execute(
            text(
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
            ),
            {"users": list(user_ids), "offset": depth - 1},
        )

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
    key = tuple_(HomeTimeline.created_at, HomeTimeline.post_id)
    conds = [
        HomeTimeline.user_id == viewer,
        # never a row below the horizon: the read-time query serves those (a row left there by a race
        # between a backfill and a cut would otherwise be shown twice)
        or_(horizon.c.created_at.is_(None), key >= tuple_(horizon.c.created_at, horizon.c.post_id)),
        PostsRepository.visible_to(viewer),
    ]
    if by_tag:
        tag = bindparam("tag", type_=BigInteger)
        conds.append(HomeTimeline.author_id.in_(ConnectionGraph.tag_member_ids_select(viewer, tag)))
    if mode != "first":
        bound = tuple_(bindparam("key_at", type_=DateTime(timezone=True)), bindparam("key_id", type_=BigInteger))
        conds.append(key > bound if mode == "newer" else key < bound)
    ascending = mode == "newer"
    page = (
        select(*PostsRepository.post_columns(viewer))
        .select_from(HomeTimeline)
        .join(Post, Post.id == HomeTimeline.post_id)
        .where(*conds)
        .order_by(
            *(
                (HomeTimeline.created_at, HomeTimeline.post_id)
                if ascending
                else (HomeTimeline.created_at.desc(), HomeTimeline.post_id.desc())
            )
        )
        .limit(bindparam("limit", type_=Integer))
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


def _fan_out(to_tags: bool, new: bool) -> Executable:
    """The fan-out of one post, built once per audience kind with bound values (building it per post cost
    more than running it: a sixth of create_post's CPU, profiled)."""
    author = cast(bindparam("author", type_=BigInteger), BigInteger)
    post = cast(bindparam("post", type_=BigInteger), BigInteger)
    at = cast(bindparam("at", type_=DateTime(timezone=True)), DateTime(timezone=True))
    others = (
        ConnectionGraph.members_of_tags_select(bindparam("tags", type_=ARRAY(BigInteger)))
        if to_tags
        else ConnectionGraph.connected_ids_select(author)
    )
    found = union(select(author), others).subquery("readers")
    reader = found.c[0]
    rows = select(reader, at, post, author).where(TimelineRepository._not_below_horizon(reader, at, post))
    stmt = insert(HomeTimeline).from_select(["user_id", "created_at", "post_id", "author_id"], rows)
    if not new:
        stmt = stmt.on_conflict_do_nothing()
    return stmt.returning(HomeTimeline.user_id)


_FAN_OUT = {
    (to_tags, new): CompiledRead(functools.partial(_fan_out, to_tags, new), tuples=True)
    for to_tags in (False, True)
    for new in (False, True)
}
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
