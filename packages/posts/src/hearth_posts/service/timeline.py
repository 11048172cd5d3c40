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
from hearth_platform.settings import Settings

from ..events import PostReachedTimelines
from ..repository import PostRow, PostsRepository
from ..timeline_repository import TimelineRepository, author_posts

# A fan-out cuts the timelines of about one reader in TRIM_EVERY it wrote to: a timeline overshoots its
# depth by about that many rows, and a post to 5,000 readers cuts ~80 timelines, not 5,000.
TRIM_EVERY = 64


class TimelineService:
    def __init__(self, session: Session, graph: ConnectionGraph, settings: Settings, events: EventPublisher) -> None:
        self.graph = graph
        self.events = events
        self.repo = TimelineRepository(session, PostsRepository(session, graph))
        self.depth = settings.timeline_depth

    def post_written(self, post: PostRow, tag_ids: Collection[int], *, new: bool) -> None:
        """``post`` was created (``new``), or its audience changed (rows already there are left as they are)."""
        self.repo.lock_author(post.author_id)
        # the author and their connections, or the tags' members
        written = self.repo.fan_out(post, list(tag_ids), new=new)
        self.repo.trim([u for u in written if (u * 0x9E3779B1 + post.id) % TRIM_EVERY == 0], self.depth)
        readers = tuple(u for u in written if u != post.author_id)
        if readers:
            self.events.publish(PostReachedTimelines(post.id, post.author_id, readers))

    def connection_began(self, a: int, b: int) -> None:
        """Each one's posts to connections into the other's timeline."""
        self.repo.lock_authors_exclusive([a, b])
        self.repo.backfill(a, author_posts(b, connections_only=True), self.depth)
        self.repo.backfill(b, author_posts(a, connections_only=True), self.depth)

    def tag_member_added(self, owner_id: int, tag_id: int, member_id: int) -> None:
        """The owner's posts to that tag into the new member's timeline."""
        self.repo.lock_authors_exclusive([owner_id])
        self.repo.backfill(member_id, author_posts(owner_id, audience_tag=tag_id), self.depth)
