"""All SQL of the posts package. Visibility is one predicate inside the statement that reads posts."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    Row,
    Select,
    Text,
    and_,
    any_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from hearth_connections import ConnectionGraph
from hearth_identity import UserDirectory
from hearth_platform.statements import CompiledRead, int_array, int_array_param
from hearth_storage import MediaService

from .models import AUDIENCE_CONNECTIONS, Comment, Post, PostAudienceTag, PostMedia, Reaction

Viewer = int | ColumnElement[int]
"""The viewer's id, or a bound parameter standing for it (a statement built once, run for many viewers)."""


@dataclass(frozen=True, slots=True)
class PostRow:
    id: int
    author_id: int
    body: str
    audience_type: str
    comment_count: int
    created_at: datetime
    updated_at: datetime
    media_ids: list[int]
    tag_ids: list[int] | None  # only loaded for the viewer's own posts
    # the author's summary fields, read with the post (``UserDirectory.summary_column``; ``[]``: nobody)
    author: list[str | None]
    # its media's fields, read with the post (``MediaService.media_column``; None: it has none)
    media: list[list[str]] | None
    # ``[[kind, count, mine], ...]`` as read with the post (None: no reactions, or not read: a new post)
    reactions: list[list[Any]] | None = None


@dataclass(frozen=True, slots=True)
class CommentRow:
    id: int
    post_id: int
    author_id: int
    body: str
    created_at: datetime
    author: list[str | None]  # as PostRow's


class PostsRepository:
    def __init__(self, session: Session, graph: ConnectionGraph) -> None:
        self.session = session
        self.graph = graph

    # -- visibility -------------------------------------------------------------------------------

    @staticmethod
    def _tagged_for(viewer_id: Viewer) -> ColumnElement[bool]:
        """The viewer is in one of the post's tags: the post's few audience rows, each a membership probe."""
        return (
            select(literal(1))
            .where(PostAudienceTag.post_id == Post.id, ConnectionGraph.member_clause(PostAudienceTag.tag_id, viewer_id))
            .offset(0)  # a fence: a probe per post read, never a hash of every tagged post
            .exists()
        )

    @staticmethod
    def visible_to(viewer_id: Viewer) -> ColumnElement[bool]:
        """The author always; a connection of the author for a connections post, or for a tags post while
        the author has them in one of the post's tags. Evaluated in the reading statement itself, as per-row
        probes (the pair's connection, the viewer's membership): its cost follows the rows read, never the
        viewer's number of connections or tags."""
        return or_(
            Post.author_id == viewer_id,
            and_(
                ConnectionGraph.connected_clause(viewer_id, Post.author_id),
                UserDirectory.active_clause(Post.author_id),  # a suspended or erased author's posts: hidden
                or_(Post.audience_type == AUDIENCE_CONNECTIONS, PostsRepository._tagged_for(viewer_id)),
            ),
        )

    @staticmethod
    def visible_by_a_connected_author(viewer_id: Viewer) -> ColumnElement[bool]:
        """The rest of :meth:`visible_to` once the author is known to be the viewer or a connection: for
        reads that scan many authors' posts (the read-time feed, the digest), which take the viewer's
        connected ids (read in the same request) as an explicit list, so the planner can choose between
        the per-author and the time index.

        That list is written into the statement as a constant (``CompiledRead(..., inline=...)``), not sent
        as one array parameter: psycopg prepares a statement run 5 times on a connection, and PostgreSQL's
        generic plan for ``= ANY($1)`` cannot see how many authors there are (measured: a 5,000-connection
        feed went from 70 ms to 1.4 s)."""
        return and_(
            UserDirectory.active_clause(Post.author_id),
            or_(
                Post.author_id == viewer_id,
                Post.audience_type == AUDIENCE_CONNECTIONS,
                PostsRepository._tagged_for(viewer_id),
            ),
        )

    def connected_ids(self, user_id: int) -> list[int]:
        return [r[0] for r in _CONNECTED_IDS.all(self.session, {"user": user_id})]

    # -- reading posts ----------------------------------------------------------------------------

    @staticmethod
    def post_columns(viewer_id: Viewer) -> list[Any]:
        own_tag_ids = (
            select(func.array_agg(PostAudienceTag.tag_id))
            .where(PostAudienceTag.post_id == Post.id, Post.author_id == viewer_id)
            .scalar_subquery()
        )
        return [
            Post.id,
            Post.author_id,
            Post.body,
            Post.audience_type,
            Post.comment_count,
            Post.created_at,
            Post.updated_at,
            Post.media_ids,
            own_tag_ids.label("tag_ids"),
            _reactions(viewer_id).label("reactions"),
            UserDirectory.summary_column(Post.author_id).label("author"),
            # (read only for a post that has media: most have none, and the probe would cost a statement)
            case((func.cardinality(Post.media_ids) > 0, MediaService.media_column(Post.media_ids))).label("media"),
        ]

    @staticmethod
    def to_post(row: Row[Any] | Any) -> PostRow:
        return PostRow(
            id=row.id,
            author_id=row.author_id,
            body=row.body,
            audience_type=row.audience_type,
            comment_count=row.comment_count,
            created_at=row.created_at,
            updated_at=row.updated_at,
            media_ids=list(row.media_ids or []),
            tag_ids=list(row.tag_ids) if row.tag_ids is not None else None,
            reactions=row.reactions,
            author=row.author,
            media=row.media,
        )

    def get_visible(self, viewer_id: int, post_id: int) -> PostRow | None:
        rows = _VISIBLE_POST.all(self.session, {"viewer": viewer_id, "post": post_id})
        return self.to_post(rows[0]) if rows else None

    def author_page(
        self,
        viewer_id: int,
        author_id: int,
        after: tuple[datetime, int] | None,
        limit: int,
        *,
        newer: tuple[datetime, int] | None = None,
    ) -> list[PostRow] | None:
        """An author's posts the viewer may see, newest first (a profile), in a statement built once per shape;
        ``newer``: the ``limit`` oldest above that key, oldest first (a poll). ``None``: no such user (or not
        an active one), found by the same statement."""
        params: dict[str, Any] = {"viewer": viewer_id, "author": author_id, "limit": limit}
        mode = "first"
        if newer is not None:
            mode, (params["key_at"], params["key_id"]) = "newer", newer
        elif after is not None:
            mode, (params["key_at"], params["key_id"]) = "after", after
        result = _AUTHOR_PAGES[mode].all(self.session, params)
        if not result[0].author_found:
            return None
        return [self.to_post(r) for r in result if r.id is not None]

    def read_time_page(
        self,
        viewer_id: int,
        author_ids: Collection[int],
        tag_id: int | None,
        after: tuple[datetime, int] | None,
        limit: int,
        *,
        newer: tuple[datetime, int] | None = None,
    ) -> list[PostRow]:
        """The read-time feed (beyond the home timeline's depth): posts of ``author_ids`` (the viewer and
        their connections, members of the viewer's tag ``tag_id`` when given) the viewer may see, newest
        first by (created_at, id) after ``after``, ``limit`` rows (callers ask one more); ``newer``: the
        ``limit`` oldest above that key, oldest first (a poll). Compiled once per shape; the authors are
        written into it as a constant (see :meth:`visible_by_a_connected_author`)."""
        params: dict[str, Any] = {"viewer": viewer_id, "authors": list(author_ids), "limit": limit}
        if tag_id is not None:
            params["tag"] = tag_id
        mode, key = (
            ("newer", newer) if newer is not None else ("after", after) if after is not None else ("first", None)
        )
        if key is not None:
            params["key_at"], params["key_id"] = key
        return [self.to_post(r) for r in _READ_TIME_PAGES[tag_id is not None, mode].all(self.session, params)]

    def _lock_post(self, post_id: int) -> bool:
        """Lock the post's row in a statement of its own, without the visibility predicate.

        Under READ COMMITTED a statement that locks or updates a row another transaction has just changed
        re-checks its WHERE clause on the new row, but its subqueries (the post's audience tags) still read
        the statement's older snapshot: a post whose audience just went from connections to tags would be
        judged by its new type and its old tags, and answer 404 to a viewer who sees it before and after.
        Locked first, the row is then judged by the next statement, on one fresh and consistent snapshot.
        (A comment or a reaction takes the key-share form of this lock: ``_LOCK_POST_KEY_SHARE``.)
        """
        stmt = select(Post.id).where(Post.id == post_id).with_for_update()
        return self.session.execute(stmt).first() is not None

    def lock_visible(self, viewer_id: int, post_id: int) -> tuple[int, int] | None:
        """(id, author_id) of a visible post, locked for the change that follows."""
        if not self._lock_post(post_id):
            return None
        row = self.session.execute(
            select(Post.id, Post.author_id).where(Post.id == post_id, self.visible_to(viewer_id))
        ).one_or_none()
        return (row.id, row.author_id) if row else None

    def share_visible(self, viewer_id: int, post_id: int) -> int | None:
        """The author of a visible post, the post key-share locked (it stays while what follows is written,
        as a new comment or reaction needs; such locks never wait for each other)."""
        # compiled once (a reaction's hot path): see add_comment
        params = {"viewer": viewer_id, "post": post_id}
        if not _LOCK_POST_KEY_SHARE.all(self.session, params):  # see _lock_post: judged after the lock
            return None
        found = _VISIBLE_AUTHOR.all(self.session, params)
        return int(found[0].author_id) if found else None

    # -- digest ----------------------------------------------------------------------------------

    def digest(
        self,
        viewer_id: int,
        author_ids: Collection[int],
        since: datetime,
        until: datetime,
        max_authors: int,
        per_author: int,
    ) -> tuple[int, list[tuple[int, int]], list[PostRow]]:
        """Total visible posts in the window, the top authors with their counts, and their latest posts —
        in one statement."""
        rows = _DIGEST.all(
            self.session,
            {
                "viewer": viewer_id,
                "authors": list(author_ids),
                "since": since,
                "until": until,
                "max_authors": max_authors,
                "per_author": per_author,
            },
        )
        if not rows:
            return 0, [], []
        order: list[tuple[int, int]] = []
        seen: set[int] = set()
        for r in rows:
            if r.author_id not in seen:
                seen.add(r.author_id)
                order.append((r.author_id, r.author_count))
        return int(rows[0].total), order, [self.to_post(r) for r in rows]

    # -- writing posts ---------------------------------------------------------------------------

    def insert_post(
        self, author_id: int, body: str, audience_type: str, media_ids: Sequence[int], *, lock_key: int
    ) -> PostRow:
        """Insert the post, after taking the shared transaction advisory lock ``lock_key`` in the same statement
        (the timeline's author lock: it must be held before the fan-out's statement begins)."""
        params = {
            "author": author_id,
            "body": body,
            "audience": audience_type,
            "media": list(media_ids),
            "lock": lock_key,
        }
        (row,) = _INSERT_POST.all(self.session, params)  # compiled once (see add_comment)
        return PostRow(
            row.id,
            author_id,
            body,
            audience_type,
            0,
            row.created_at,
            row.updated_at,
            list(media_ids),
            None,
            row.author,
            row.media,
        )

    def set_audience_tags(self, post_id: int, tag_ids: Collection[int], *, new: bool = False) -> None:
        """The post's audience tags are ``tag_ids`` from now on (``new``: a post just inserted, which has none)."""
        if not new:
            self.session.execute(delete(PostAudienceTag).where(PostAudienceTag.post_id == post_id))
        if tag_ids:
            _INSERT_TAGS.all(self.session, {"post": post_id, "tags": int_array(tag_ids)})

    def attach_media(self, post_id: int, media_ids: Sequence[int]) -> None:
        if media_ids:
            self.session.execute(
                insert(PostMedia),
                [{"post_id": post_id, "media_id": m, "position": i} for i, m in enumerate(media_ids)],
            )

    def update_post(self, post_id: int, *, body: str | None, audience_type: str | None) -> None:
        values: dict[str, Any] = {"updated_at": func.clock_timestamp()}
        if body is not None:
            values["body"] = body
        if audience_type is not None:
            values["audience_type"] = audience_type
        self.session.execute(update(Post).where(Post.id == post_id).values(**values))

    def delete_post(self, post_id: int) -> None:
        # comments, audience rows and media links go with it (ON DELETE CASCADE)
        self.session.execute(delete(Post).where(Post.id == post_id))

    # -- comments --------------------------------------------------------------------------------

    def comments_page(
        self, viewer_id: int, post_id: int, after: tuple[datetime, int] | None, limit: int
    ) -> list[CommentRow] | None:
        """A page of a visible post's comments, oldest first, without those of a user who blocked the viewer
        or whom the viewer blocked; ``None`` when the post is not visible. One statement: the visibility
        check and the page together (the block is a probe per comment, before the limit: pages stay full)."""
        params: dict[str, Any] = {"viewer": viewer_id, "post": post_id, "limit": limit}
        if after is not None:
            params["after_at"], params["after_id"] = after
        rows = _COMMENT_PAGES[after is not None].all(self.session, params)
        if not rows:
            return None
        return [CommentRow(r.id, r.pid, r.author_id, r.body, r.created_at, r.author) for r in rows if r.id is not None]

    def add_comment(self, viewer_id: int, post_id: int, body: str) -> tuple[CommentRow, int] | None:
        """Count and insert the comment if the post is visible to its author: the comment and the post's author
        (``None`` when not visible)."""
        # compiled once, run on the driver's cursor: building these statements cost more than running them
        params = {"viewer": viewer_id, "post": post_id}
        if not _LOCK_POST_KEY_SHARE.all(self.session, params):  # see _lock_post: judged after the lock
            return None
        added = _ADD_COMMENT.all(self.session, {**params, "body": body})
        if not added:  # the post is not visible to the viewer: nothing counted, nothing inserted
            return None
        (row,) = added
        return CommentRow(row.id, post_id, viewer_id, body, row.created_at, row.author), int(row.post_author_id)

    def visible_comment(self, viewer_id: int, comment_id: int) -> tuple[int, int, int] | None:
        """(post id, comment author, post author) of a comment on a post the viewer can see."""
        row = self.session.execute(
            select(Comment.post_id, Comment.author_id, Post.author_id.label("post_author_id"))
            .join(Post, Post.id == Comment.post_id)
            .where(Comment.id == comment_id, self.visible_to(viewer_id))
            .with_for_update(of=Comment)
        ).one_or_none()
        return (row.post_id, row.author_id, row.post_author_id) if row else None

    def delete_comment(self, comment_id: int, post_id: int) -> None:
        deleted = self.session.execute(delete(Comment).where(Comment.id == comment_id).returning(Comment.id)).first()
        if deleted is not None:
            self.session.execute(update(Post).where(Post.id == post_id).values(comment_count=Post.comment_count - 1))

    # -- media access by post (GET /media/{id}) ------------------------------------------------------

    @staticmethod
    def carried_by_a_post(media_id: ColumnElement[int]) -> ColumnElement[bool]:
        """Some post carries the media in column ``media_id`` (a per-row probe)."""
        return select(PostMedia.post_id).where(PostMedia.media_id == media_id).exists()

    @staticmethod
    def carried_by_visible_post(viewer_id: int, media_id: ColumnElement[int]) -> ColumnElement[bool]:
        """A post the viewer can see carries the media in column ``media_id`` (a per-row probe, for storage's
        statement that reads the media)."""
        return (
            select(PostMedia.post_id)
            .join(Post, Post.id == PostMedia.post_id)
            .where(PostMedia.media_id == media_id, PostsRepository.visible_to(viewer_id))
            .exists()
        )


def _comments_page(after: bool) -> Select[Any]:
    """A visible post's comments page in one statement, built once per shape (see ``comments_page``)."""
    viewer = bindparam("viewer", type_=BigInteger)
    conds: list[ColumnElement[bool]] = [
        Comment.post_id == Post.id,
        ~ConnectionGraph.blocked_clause(viewer, Comment.author_id),
        UserDirectory.active_clause(Comment.author_id),  # a suspended author's comments: hidden
    ]
    if after:
        after_key = tuple_(
            bindparam("after_at", type_=DateTime(timezone=True)), bindparam("after_id", type_=BigInteger)
        )
        conds.append(tuple_(Comment.created_at, Comment.id) > after_key)
    page = (
        select(
            Comment.id,
            Comment.author_id,
            Comment.body,
            Comment.created_at,
            UserDirectory.summary_column(Comment.author_id).label("author"),
        )
        .where(*conds)
        .order_by(Comment.created_at, Comment.id)
        .limit(bindparam("limit", type_=Integer))
        .lateral("page")
    )
    return (
        select(Post.id.label("pid"), page.c.id, page.c.author_id, page.c.body, page.c.created_at, page.c.author)
        .select_from(Post)
        .outerjoin(page, true())
        .where(Post.id == bindparam("post", type_=BigInteger), PostsRepository.visible_to(viewer))
        .order_by(page.c.created_at, page.c.id)
    )


_COMMENT_PAGES = {after: CompiledRead(functools.partial(_comments_page, after)) for after in (False, True)}


def _reactions(viewer: Viewer) -> ColumnElement[Any]:
    """A post's reactions, read with it: ``[[kind, count, mine], ...]`` (``mine``: the viewer's), or NULL.
    Counted from the reactions themselves (the unique index, probed per post read): a reaction writes no
    shared row. In the post's own statement rather than one more for the page: one round trip less."""
    kinds = (
        select(
            Reaction.kind,
            func.count().label("n"),
            func.bool_or(Reaction.user_id == viewer).label("mine"),
        )
        .where(Reaction.post_id == Post.id)
        .group_by(Reaction.kind)
        .correlate(Post)  # the post of the row being read, however deep the subquery sits
        .subquery("kinds")
    )
    return select(func.json_agg(func.json_build_array(kinds.c.kind, kinds.c.n, kinds.c.mine))).scalar_subquery()


def _visible_post() -> Select[Any]:
    viewer = bindparam("viewer", type_=BigInteger)
    return select(*PostsRepository.post_columns(viewer)).where(
        Post.id == bindparam("post", type_=BigInteger), PostsRepository.visible_to(viewer)
    )


def _author_page(mode: str) -> Select[Any]:
    """The page, and whether the author is a user at all (a row even when the page is empty): the 404 of an
    unknown user costs no statement of its own."""
    viewer = bindparam("viewer", type_=BigInteger)
    author = bindparam("author", type_=BigInteger)
    stmt = select(*PostsRepository.post_columns(viewer)).where(
        Post.author_id == author, PostsRepository.visible_to(viewer)
    )
    key = tuple_(Post.created_at, Post.id)
    if mode != "first":
        bound = tuple_(bindparam("key_at", type_=DateTime(timezone=True)), bindparam("key_id", type_=BigInteger))
        stmt = stmt.where(key > bound if mode == "newer" else key < bound)
    order = (Post.created_at, Post.id) if mode == "newer" else (Post.created_at.desc(), Post.id.desc())
    page = stmt.order_by(*order).limit(bindparam("limit", type_=Integer)).lateral("page")
    one = select(literal_column("1").label("one")).subquery("one")
    return (
        select(UserDirectory.exists_clause(author).label("author_found"), page)
        .select_from(one)
        .outerjoin(page, true())
        .order_by(
            *((page.c.created_at, page.c.id) if mode == "newer" else (page.c.created_at.desc(), page.c.id.desc()))
        )
    )


_VISIBLE_POST = CompiledRead(_visible_post)
# the digest's and the read-time feed's authors: built and run through the ORM per request, a fifth of the
# digest's CPU (profiled)
_CONNECTED_IDS = CompiledRead(
    lambda: ConnectionGraph.connected_ids_select(bindparam("user", type_=BigInteger)), tuples=True
)
_INSERT_TAGS = CompiledRead(
    lambda: insert(PostAudienceTag).from_select(
        ["post_id", "tag_id"],
        select(bindparam("post", type_=BigInteger), func.unnest(int_array_param("tags"))),
    )
)
_AUTHOR_PAGES = {mode: CompiledRead(functools.partial(_author_page, mode)) for mode in ("first", "after", "newer")}


def _add_comment() -> Select[Any]:
    """Count the comment on the post if the viewer may see it, and insert it: one statement (a comment's hot
    path), the insert reading the count's row, so nothing is inserted for a post the viewer cannot see."""
    viewer = bindparam("viewer", type_=BigInteger)
    post = bindparam("post", type_=BigInteger)
    counted = (
        update(Post)
        .where(Post.id == post, PostsRepository.visible_to(viewer))
        .values(comment_count=Post.comment_count + 1)
        .returning(Post.author_id)
        .cte("counted")
    )
    inserted = (
        insert(Comment)
        .from_select(
            ["post_id", "author_id", "body"], select(post, viewer, bindparam("body", type_=Text)).select_from(counted)
        )
        .returning(Comment.id, Comment.created_at)
        .cte("inserted")
    )
    return select(
        inserted.c.id,
        inserted.c.created_at,
        counted.c.author_id.label("post_author_id"),
        UserDirectory.summary_column(viewer).label("author"),
    ).select_from(inserted.join(counted, true()))


_LOCK_POST_KEY_SHARE = CompiledRead(
    lambda: select(Post.id).where(Post.id == bindparam("post", type_=BigInteger)).with_for_update(key_share=True)
)
_VISIBLE_AUTHOR = CompiledRead(
    lambda: select(Post.author_id).where(
        Post.id == bindparam("post", type_=BigInteger),
        PostsRepository.visible_to(bindparam("viewer", type_=BigInteger)),
    )
)
_ADD_COMMENT = CompiledRead(_add_comment)


def _insert_post() -> Executable:
    """Take the author's lock (``lock``), then insert the post; answer it with its author's summary and its media
    (a statement less each). The insert reads the lock's row: the lock is held before the row exists."""
    author = bindparam("author", type_=BigInteger)
    locked = select(func.pg_advisory_xact_lock_shared(bindparam("lock", type_=BigInteger)).label("locked")).cte(
        "locked"
    )
    values = select(
        author,
        bindparam("body", type_=Text),
        bindparam("audience", type_=Text),
        bindparam("media", type_=ARRAY(BigInteger)),
    ).select_from(locked)
    return (
        insert(Post)
        .from_select(["author_id", "body", "audience_type", "media_ids"], values)
        .returning(
            Post.id,
            Post.created_at,
            Post.updated_at,
            UserDirectory.summary_column(author).label("author"),
            MediaService.media_column(bindparam("media", type_=ARRAY(BigInteger))).label("media"),
        )
    )


_INSERT_POST = CompiledRead(_insert_post)


def _digest() -> Select[Any]:
    """The digest in one statement: the window of visible posts, its top authors with their counts, and
    their latest posts. Compiled once; the authors (the viewer's connections) are written into it as a
    constant, as an ``IN`` list would be (see ``visible_by_a_connected_author``)."""
    viewer = bindparam("viewer", type_=BigInteger)
    authors = bindparam("authors", type_=ARRAY(BigInteger))
    window = (
        select(Post.id, Post.author_id, Post.created_at)
        .where(
            Post.author_id == any_(authors),
            PostsRepository.visible_by_a_connected_author(viewer),
            Post.author_id != viewer,
            Post.created_at > bindparam("since", type_=DateTime(timezone=True)),
            Post.created_at <= bindparam("until", type_=DateTime(timezone=True)),
        )
        .cte("window")
    )
    counts = (
        select(
            window.c.author_id,
            func.count().label("n"),
            func.max(window.c.created_at).label("latest"),
        )
        .group_by(window.c.author_id)
        .order_by(func.count().desc(), func.max(window.c.created_at).desc(), window.c.author_id)
        .limit(bindparam("max_authors", type_=Integer))
        .cte("counts")
    )
    ranked = (
        select(
            window.c.id,
            window.c.author_id,
            func.row_number()
            .over(partition_by=window.c.author_id, order_by=(window.c.created_at.desc(), window.c.id.desc()))
            .label("rn"),
        )
        .where(window.c.author_id.in_(select(counts.c.author_id)))
        .cte("ranked")
    )
    total = select(func.count()).select_from(window).scalar_subquery()
    return (
        select(
            *PostsRepository.post_columns(viewer),
            counts.c.n.label("author_count"),
            total.label("total"),
        )
        .select_from(counts)
        .join(ranked, ranked.c.author_id == counts.c.author_id)
        .join(Post, Post.id == ranked.c.id)
        .where(ranked.c.rn <= bindparam("per_author", type_=Integer))
        .order_by(counts.c.n.desc(), counts.c.latest.desc(), counts.c.author_id, Post.created_at.desc(), Post.id.desc())
    )


_DIGEST = CompiledRead(_digest, inline=("authors",))


def _read_time_page(by_tag: bool, mode: str) -> Select[Any]:
    viewer = bindparam("viewer", type_=BigInteger)
    stmt = select(*PostsRepository.post_columns(viewer)).where(
        Post.author_id == any_(bindparam("authors", type_=ARRAY(BigInteger))),
        PostsRepository.visible_by_a_connected_author(viewer),
    )
    if by_tag:
        members = ConnectionGraph.tag_member_ids_select(viewer, bindparam("tag", type_=BigInteger))
        stmt = stmt.where(Post.author_id.in_(members))
    key = tuple_(Post.created_at, Post.id)
    if mode != "first":
        bound = tuple_(bindparam("key_at", type_=DateTime(timezone=True)), bindparam("key_id", type_=BigInteger))
        stmt = stmt.where(key > bound if mode == "newer" else key < bound)
    order = (Post.created_at, Post.id) if mode == "newer" else (Post.created_at.desc(), Post.id.desc())
    return stmt.order_by(*order).limit(bindparam("limit", type_=Integer))


_READ_TIME_PAGES = {
    (by_tag, mode): CompiledRead(functools.partial(_read_time_page, by_tag, mode), inline=("authors",))
    for by_tag in (False, True)
    for mode in ("first", "after", "newer")
}
