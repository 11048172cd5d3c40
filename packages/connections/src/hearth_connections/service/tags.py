"""Audience tags: the caller's private tags and who is in them (only connections can be)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hearth_identity import UserDirectory, UserSummary
from hearth_platform.cache import Cache
from hearth_platform.events import EventPublisher
from hearth_platform.ids import valid_id
from hearth_platform.pagination import Page, PageRequest, split_page

from .. import schemas
from ..caching import GraphCache
from ..errors import MemberNotConnected, TagExists, TagNotFound
from ..events import TagMemberAdded
from ..repository import ConstraintViolation, Repository
from ..tag_repository import TagRepository, TagRow


def _tag(row: TagRow) -> schemas.Tag:
    return schemas.Tag(id=row.id, name=row.name, member_count=row.member_count)


class TagsService:
    def __init__(self, session: Session, cache: Cache, users: UserDirectory, events: EventPublisher) -> None:
        self._repo = Repository(session)
        self._tags = TagRepository(session)
        self._cache = GraphCache(cache, session)
        self._users = users
        self._events = events

    def tags(self, me: int) -> schemas.TagList:
        return schemas.TagList(items=[_tag(t) for t in self._tags.tags_of(me)])

    def create_tag(self, me: int, name: str) -> schemas.Tag:
        try:
            return _tag(self._tags.insert_tag(me, name))
        except ConstraintViolation as exc:
            raise TagExists(name) from exc

    def rename_tag(self, me: int, tag_id: int, name: str) -> schemas.Tag:
        if not valid_id(tag_id):
            raise TagNotFound(tag_id)
        try:
            row = self._tags.rename_tag(me, tag_id, name)
        except ConstraintViolation as exc:
            raise TagExists(name) from exc
        if row is None:
            raise TagNotFound(tag_id)
        return _tag(row)

    def delete_tag(self, me: int, tag_id: int) -> None:
        """Delete the tag and its memberships (posts to it then reach fewer people, never more)."""
        if not valid_id(tag_id) or not self._tags.lock_tag(me, tag_id, "update"):
            raise TagNotFound(tag_id)
        members = self._tags.delete_tag(tag_id)
        self._cache.forget_viewer_tags((member, me) for member in members)

    def tag_members(self, me: int, tag_id: int, page: PageRequest) -> Page[UserSummary]:
        """The tag's members, most recently added first: three queries whatever the page size."""
        if not valid_id(tag_id) or self._tags.tag(me, tag_id) is None:
            raise TagNotFound(tag_id)
        kind = f"tag-members:{tag_id}:{me}"
        rows, more = split_page(self._tags.members_page(tag_id, page.keyset(kind), page.limit + 1), page.limit)
        cursor = page.next_cursor(kind, [rows[-1][1], rows[-1][0]] if more else None)
        users = self._users.summaries([uid for uid, _ in rows])
        return Page(items=[users[uid] for uid, _ in rows if uid in users], next_cursor=cursor)

    def add_tag_member(self, me: int, tag_id: int, user_id: int) -> None:
        """Put a connection in the tag; idempotent.

        The tag row is share-locked (a concurrent delete of the tag waits, or wins and this is a 404),
        then the pair lock is taken and the connection checked under it (a concurrent disconnect or block
        waits, or wins and this is a 409), so no membership outlives its tag or its connection.
        """
        if not valid_id(tag_id) or not self._tags.lock_tag(me, tag_id, "share"):
            raise TagNotFound(tag_id)
        if user_id == me or not valid_id(user_id):
            raise MemberNotConnected(user_id)
        self._repo.lock_pair(me, user_id)
        if not self._repo.are_connected(me, user_id):
            raise MemberNotConnected(user_id)
        if self._tags.add_member(me, tag_id, user_id):
            self._events.publish(TagMemberAdded(me, tag_id, user_id))
        self._cache.forget_viewer_tags([(user_id, me)])

    def remove_tag_member(self, me: int, tag_id: int, user_id: int) -> None:
        """Take a user out of the tag; idempotent."""
        if not valid_id(tag_id) or not self._tags.lock_tag(me, tag_id, "share"):
            raise TagNotFound(tag_id)
        if valid_id(user_id):
            self._tags.remove_member(tag_id, user_id)
            self._cache.forget_viewer_tags([(user_id, me)])
