"""Home timelines: which posts *might* be visible to a reader, newest first, kept as posts are written.

A post goes into its audience's timelines when it is created or its audience grows; a connection or a
tag membership that begins backfills the author's posts; every timeline is cut to ``timeline_depth``
(a reader whose timeline was cut has a horizon, below which the feed is read at request time). Access
that ends (untag, disconnect, block, a tag deleted, an audience narrowed) needs no write here: reads
apply the visibility predicate to every row.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from hearth_connections import ConnectionGraph
from hearth_platform.events import EventPublisher
from hearth_platform.jobs import Job, JobQueue
from hearth_platform.settings import Settings
from hearth_platform.uow import UnitOfWorkContext

from ..events import PostReachedTimelines
from ..repository import PostRow, PostsRepository
from ..timeline_repository import TimelineRepository, author_posts

# A fan-out cuts the timelines of about one reader in TRIM_EVERY it wrote to: a timeline overshoots its
# depth by about that many rows, and a post to 5,000 readers cuts ~80 timelines, not 5,000.
TRIM_EVERY = 64


class TimelineService:
    def __init__(
        self, session: Session, graph: ConnectionGraph, settings: Settings, events: EventPublisher, jobs: JobQueue
    ) -> None:
        self.graph = graph
        self.events = events
        self.jobs = jobs
        self.repo = TimelineRepository(session, PostsRepository(session, graph))
        self.depth = settings.timeline_depth
        self.fanout_max = settings.timeline_fanout_max

    def post_written(self, post: PostRow, tag_ids: Collection[int], *, new: bool) -> None:
        """``post`` was created (``new``), or its audience changed (rows already there are left as they are).
        A new post with more readers than ``timeline_fanout_max`` is left to a job (:data:`FAN_OUT`); feeds
        read it from the pending list until the job's commit (the same visibility predicate applies). A new
        post's insert took the author's shared lock (``PostsRepository.insert_post``: a statement less)."""
        if not new:
            self.repo.lock_author(post.author_id)
        # the author and their connections, or the tags' members
        if not new:
            grown = self.repo.fan_out(post.author_id, post.id, post.created_at, list(tag_ids), to_tags=bool(tag_ids))
            self._written(post.author_id, post.id, grown)
            return
        written = self.repo.fan_out_new(post, list(tag_ids), self.fanout_max)
        if written is None:
            self.jobs.enqueue(FAN_OUT, post_id=post.id)
        else:
            self._written(post.author_id, post.id, written)

    def fan_out_pending(self, post_id: int) -> None:
        """The job's half of a large new post: its readers as they are now (the pending row goes in the same
        transaction, so a feed shows the post from one or the other, never both or neither)."""
        pending = self.repo.take_pending(post_id)
        if pending is None:  # the post was deleted (its pending row with it), or a retry found it done
            return
        post_id, author_id, at, tag_ids, to_tags = pending
        self.repo.lock_author(author_id)
        self._written(author_id, post_id, self.repo.fan_out(author_id, post_id, at, tag_ids, to_tags=to_tags))

    def _written(self, author_id: int, post_id: int, written: list[int]) -> None:
        self.repo.trim([u for u in written if (u * 0x9E3779B1 + post_id) % TRIM_EVERY == 0], self.depth)
        readers = tuple(u for u in written if u != author_id)
        if readers:
            self.events.publish(PostReachedTimelines(post_id, author_id, readers))

    def connection_began(self, a: int, b: int) -> None:
        """Each one's posts to connections into the other's timeline."""
        self.repo.lock_authors_exclusive([a, b])
        self.repo.backfill(a, author_posts(b, connections_only=True), self.depth)
        self.repo.backfill(b, author_posts(a, connections_only=True), self.depth)

    def tag_member_added(self, owner_id: int, tag_id: int, member_id: int) -> None:
        """The owner's posts to that tag into the new member's timeline."""
        self.repo.lock_authors_exclusive([owner_id])
        self.repo.backfill(member_id, author_posts(owner_id, audience_tag=tag_id), self.depth)


def _fan_out(uow: UnitOfWorkContext, post_id: int) -> None:
    uow.resolve(TimelineService).fan_out_pending(post_id)


FAN_OUT = Job(name="posts.fan_out", run=_fan_out, queue="timelines", attempts=10)
