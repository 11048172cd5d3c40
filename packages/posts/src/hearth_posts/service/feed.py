"""Reading many posts: the home feed, a user's posts and the digest — a fixed number of statements each."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from hearth_connections import ConnectionGraph, TagNotFound
from hearth_identity import UserDirectory, UserNotFound
from hearth_platform.errors import InvalidCursor, Unprocessable
from hearth_platform.metrics import app_metrics
from hearth_platform.pagination import POLL_FLOOR, Key, NewestFirstPage, PageRequest, split_page
from hearth_storage import MediaService

from ..repository import PostRow, PostsRepository
from ..schemas import Digest, DigestAuthor, Post
from ..timeline_repository import TimelineRepository
from .assembly import Assembler

DIGEST_DEFAULT = timedelta(hours=24)
DIGEST_MAX_BACK = timedelta(days=7)
DIGEST_MAX_AUTHORS = 50
DIGEST_POSTS_PER_AUTHOR = 3


class FeedService:
    def __init__(self, session: Session, graph: ConnectionGraph, users: UserDirectory, media: MediaService) -> None:
        self.repo = PostsRepository(session, graph)
        self.timelines = TimelineRepository(session, self.repo)
        self.graph = graph
        self.users = users
        self.assemble = Assembler(users, media)

    def _page(
        self, rows: list[PostRow], page: PageRequest, kind: str, viewer_id: int, top: Key | None
    ) -> NewestFirstPage[Post]:
        """A newest-first page of ``rows`` (``limit + 1`` were read), with its cursors; ``top`` is where a
        poll starts when the page is empty (what the client has already seen)."""
        items, more = split_page(rows, page.limit)
        cursor = page.next_cursor(kind, [items[-1].created_at, items[-1].id]) if more else None
        if items:
            top = (items[0].created_at, items[0].id)
        return NewestFirstPage[Post](
            items=self.assemble.posts(items, viewer_id),
            next_cursor=cursor,
            newer_cursor=page.newer_cursor(kind, top or POLL_FLOOR),
        )

    def _poll(
        self, rows: list[PostRow], page: PageRequest, kind: str, viewer_id: int, newer: Key
    ) -> NewestFirstPage[Post]:
        """What a poll answers: the ``limit`` oldest of the newer posts (read oldest first), newest first."""
        rows = rows[: page.limit]
        rows.reverse()
        return self._page(rows, page, kind, viewer_id, newer)

    def feed(self, viewer_id: int, page: PageRequest, tag_id: int | None = None) -> NewestFirstPage[Post]:
        started = time.perf_counter()
        kind = f"feed:{viewer_id}:{tag_id or 0}"
        after = page.keyset(kind)
        newer = page.newer(kind)
        if tag_id is not None and not self.graph.owned_tag_ids(viewer_id, [tag_id]):
            raise TagNotFound(tag_id)
        # the home timeline first: its cost is the page's, whatever the viewer's connections
        limit = page.limit if newer is not None else page.limit + 1
        timeline = self.timelines.page(viewer_id, tag_id, after, limit, newer=newer)
        rows = timeline.rows
        horizon = timeline.horizon
        if newer is not None:
            if horizon is not None and newer < horizon:  # the newer posts begin below the timeline's cut
                rows = self.repo.read_time_page(viewer_id, self._authors(viewer_id), tag_id, None, limit, newer=newer)
            result = self._poll(rows, page, kind, viewer_id, newer)
        else:
            if len(rows) <= page.limit and horizon is not None:
                # the timeline was cut: below its horizon, the read-time query finds the rest of the page
                below = horizon if after is None or after > horizon else after
                authors = self._authors(viewer_id)
                rows += self.repo.read_time_page(viewer_id, authors, tag_id, below, page.limit + 1 - len(rows))
            result = self._page(rows, page, kind, viewer_id, after)
        app_metrics().feed_build_seconds.labels(kind="feed").observe(time.perf_counter() - started)
        return result

    def _authors(self, viewer_id: int) -> list[int]:
        """Whose posts the read-time feed reads: the viewer's connections and the viewer."""
        return [*self.repo.connected_ids(viewer_id), viewer_id]

    def user_posts(self, viewer_id: int, user_id: int, page: PageRequest) -> NewestFirstPage[Post]:
        kind = f"user-posts:{viewer_id}:{user_id}"
        try:
            after = page.keyset(kind)
            newer = page.newer(kind)
        except InvalidCursor:
            if not self.users.existing_ids([user_id]):  # an unknown user is a 404 whatever the cursor
                raise UserNotFound(user_id) from None
            raise
        limit = page.limit if newer is not None else page.limit + 1
        rows = self.repo.author_page(viewer_id, user_id, after, limit, newer=newer)
        if rows is None:  # the page's statement found no such user
            raise UserNotFound(user_id)
        # A user who blocked the viewer does not exist for them (as GET /users/{id} answers 404). A block ends
        # the connection, so such a page is always empty: the block is looked up only for empty pages.
        if not rows and user_id != viewer_id and user_id in self.graph.blocker_ids(viewer_id):
            raise UserNotFound(user_id)
        if newer is not None:
            return self._poll(rows, page, kind, viewer_id, newer)
        return self._page(rows, page, kind, viewer_id, after)

    def digest(self, viewer_id: int, since: datetime | None) -> Digest:
        started = time.perf_counter()
        until = datetime.now(UTC)
        if since is None:
            since = until - DIGEST_DEFAULT
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        if since < until - DIGEST_MAX_BACK or since > until:
            raise Unprocessable(
                "`since` must be within the last 7 days.",
                errors=[{"loc": ["query", "since"], "msg": "must be within the last 7 days", "type": "value_error"}],
            )
        authors = self.repo.connected_ids(viewer_id)
        total, order, rows = self.repo.digest(
            viewer_id, authors, since, until, DIGEST_MAX_AUTHORS, DIGEST_POSTS_PER_AUTHOR
        )
        posts = self.assemble.posts(rows, viewer_id)
        by_author: dict[int, list[Post]] = {}
        for p in posts:
            by_author.setdefault(p.author.id, []).append(p)
        result = Digest(
            since=since,
            until=until,
            post_count=total,
            authors=[
                DigestAuthor(author=by_author[a][0].author, post_count=n, latest_posts=by_author[a])
                for a, n in order
                if a in by_author
            ],
        )
        app_metrics().feed_build_seconds.labels(kind="digest").observe(time.perf_counter() - started)
        return result
