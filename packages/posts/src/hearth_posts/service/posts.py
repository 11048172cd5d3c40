"""Posts and comments: create, read, edit and delete, each only within the post's audience."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.orm import Session

from hearth_connections import ConnectionGraph, TagNotFound
from hearth_identity import UserDirectory
from hearth_platform.events import EventPublisher
from hearth_platform.metrics import app_metrics
from hearth_platform.pagination import Page, PageRequest, split_page
from hearth_platform.settings import Settings
from hearth_storage import MediaNotFound, MediaService

from ..errors import CommentNotFound, MediaNotReady, NotCommentDeleter, NotPostAuthor, PostNotFound
from ..events import CommentCreated, UsersMentioned
from ..models import AUDIENCE_CONNECTIONS, AUDIENCE_TAGS
from ..repository import PostsRepository
from ..schemas import (
    AudienceIn,
    Comment,
    CommentCreate,
    Post,
    PostCreate,
    PostUpdate,
    TagsAudience,
)
from ..timeline_repository import TimelineRepository
from .assembly import Assembler
from .mentions import Mentions
from .timeline import TimelineService


class PostsService:
    def __init__(
        self,
        session: Session,
        graph: ConnectionGraph,
        users: UserDirectory,
        media: MediaService,
        timeline: TimelineService,
        events: EventPublisher,
        settings: Settings,
    ) -> None:
        self.repo = PostsRepository(session, graph)
        self.events = events
        self.mentions = Mentions(users, graph, settings)
        self.graph = graph
        self.media = media
        self.timeline = timeline
        self.assemble = Assembler(users, media)

    # -- posts -------------------------------------------------------------------------------------

    def _checked_tags(self, author_id: int, audience: AudienceIn) -> list[int]:
        if not isinstance(audience, TagsAudience):
            return []
        owned = self.graph.owned_tag_ids(author_id, audience.tag_ids)
        missing = [t for t in audience.tag_ids if t not in owned]
        if missing:
            raise TagNotFound(missing[0])
        return list(audience.tag_ids)

    def _checked_media(self, owner_id: int, media_ids: Sequence[int]) -> None:
        if not media_ids:
            return
        owned = self.media.owned_media(owner_id, media_ids)
        for mid in media_ids:
            if mid not in owned:
                raise MediaNotFound(mid)
            if owned[mid].status != "ready":
                raise MediaNotReady(mid)

    def create_post(self, author_id: int, data: PostCreate) -> Post:
        body, mentioned = self.mentions.written(author_id, data.body)
        tag_ids = self._checked_tags(author_id, data.audience)
        self._checked_media(author_id, data.media_ids)
        audience_type = AUDIENCE_TAGS if tag_ids else AUDIENCE_CONNECTIONS
        lock = TimelineRepository.author_lock_key(author_id)  # the fan-out's, taken by the insert
        row = self.repo.insert_post(author_id, body, audience_type, data.media_ids, lock_key=lock)
        self.repo.set_audience_tags(row.id, tag_ids, new=True)
        self.repo.attach_media(row.id, data.media_ids)
        self.timeline.post_written(row, tag_ids, new=True)  # in its audience's feeds before the 201
        self._mentioned(row.id, None, author_id, mentioned)
        app_metrics().created.labels(kind="post").inc()
        # as inserted (no read back: nothing else can have changed it in this transaction)
        return self.assemble.posts([replace(row, tag_ids=tag_ids)], author_id, new=True)[0]

    def get_post(self, viewer_id: int, post_id: int) -> Post:
        row = self.repo.get_visible(viewer_id, post_id)
        if row is None:
            raise PostNotFound(post_id)
        return self.assemble.posts([row], viewer_id)[0]

    def _own_locked(self, viewer_id: int, post_id: int) -> None:
        found = self.repo.lock_visible(viewer_id, post_id)
        if found is None:
            raise PostNotFound(post_id)
        if found[1] != viewer_id:
            raise NotPostAuthor(post_id)

    def update_post(self, viewer_id: int, post_id: int, data: PostUpdate) -> Post:
        self._own_locked(viewer_id, post_id)
        body, mentioned = (None, ()) if data.body is None else self.mentions.written(viewer_id, data.body)
        audience_type = None
        tag_ids: list[int] = []
        if data.audience is not None:
            tag_ids = self._checked_tags(viewer_id, data.audience)
            audience_type = AUDIENCE_TAGS if tag_ids else AUDIENCE_CONNECTIONS
            self.repo.set_audience_tags(post_id, tag_ids)
        self.repo.update_post(post_id, body=body, audience_type=audience_type)
        row = self.repo.get_visible(viewer_id, post_id)
        if row is None:
            raise PostNotFound(post_id)
        if audience_type is not None:  # a wider audience reaches new feeds; a narrower one needs no write
            self.timeline.post_written(row, tag_ids, new=False)
            if body is None:  # those the body names who may see the post from now on
                mentioned = self.mentions.of(viewer_id, row.body)
        self._mentioned(post_id, None, viewer_id, mentioned)
        return self.assemble.posts([row], viewer_id)[0]

    def delete_post(self, viewer_id: int, post_id: int) -> None:
        self._own_locked(viewer_id, post_id)
        self.repo.delete_post(post_id)

    # -- comments ----------------------------------------------------------------------------------

    def list_comments(self, viewer_id: int, post_id: int, page: PageRequest) -> Page[Comment]:
        kind = f"comments:{viewer_id}:{post_id}"
        rows = self.repo.comments_page(viewer_id, post_id, page.keyset(kind), page.limit + 1)
        if rows is None:
            raise PostNotFound(post_id)
        items, more = split_page(rows, page.limit)
        cursor = page.next_cursor(kind, [items[-1].created_at, items[-1].id]) if more else None
        return Page[Comment](items=self.assemble.comments(items), next_cursor=cursor)

    def add_comment(self, viewer_id: int, post_id: int, data: CommentCreate) -> Comment:
        body, mentioned = self.mentions.written(viewer_id, data.body)
        added = self.repo.add_comment(viewer_id, post_id, body)
        if added is None:
            raise PostNotFound(post_id)
        row, post_author = added
        self.events.publish(CommentCreated(row.id, post_id, post_author, viewer_id))
        self._mentioned(post_id, row.id, viewer_id, mentioned)
        app_metrics().created.labels(kind="comment").inc()
        return self.assemble.comments([row])[0]

    def _mentioned(self, post_id: int, comment_id: int | None, author_id: int, user_ids: tuple[int, ...]) -> None:
        """Once the post (its audience included) or the comment is written: who may be told is decided then."""
        if user_ids:
            self.events.publish(UsersMentioned(post_id, comment_id, author_id, user_ids))

    def delete_comment(self, viewer_id: int, comment_id: int) -> None:
        found = self.repo.visible_comment(viewer_id, comment_id)
        if found is None:
            raise CommentNotFound(comment_id)
        post_id, comment_author, post_author = found
        if viewer_id not in (comment_author, post_author):
            raise NotCommentDeleter(comment_id)
        self.repo.delete_comment(comment_id, post_id)
