"""All SQL about audience tags and their members. Batched reads; nothing here commits."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import BigInteger, ColumnElement, Select, any_, bindparam, delete, func, literal, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hearth_platform.ids import valid_ids
from hearth_platform.statements import CompiledRead, int_array, int_array_param

from .models import UserTag, UserTagMember
from .repository import ConstraintViolation, IdColumn, IdValue, Keyset, constraint_name


@dataclass(frozen=True, slots=True)
class TagRow:
    id: int
    name: str
    member_count: int


def _member_count() -> Any:
    return (
        select(func.count())
        .select_from(UserTagMember)
        .where(UserTagMember.tag_id == UserTag.id)
        .correlate(UserTag)
        .scalar_subquery()
    )


class TagRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- tags ----------------------------------------------------------------------------------------

    def tags_of(self, owner_id: int) -> list[TagRow]:
        """All of the owner's tags by name (case-insensitively), each with its member count: one query."""
        stmt = (
            select(UserTag.id, UserTag.name, func.count(UserTagMember.target_user_id))
            .outerjoin(UserTagMember, UserTagMember.tag_id == UserTag.id)
            .where(UserTag.owner_user_id == owner_id)
            .group_by(UserTag.id)
            .order_by(func.lower(UserTag.name), UserTag.id)
        )
        return [TagRow(int(i), str(n), int(c)) for i, n, c in self.session.execute(stmt)]

    def tag(self, owner_id: int, tag_id: int) -> TagRow | None:
        """The owner's tag with its member count, or ``None`` (no such tag, or someone else's)."""
        row = self.session.execute(
            select(UserTag.id, UserTag.name, _member_count()).where(
                UserTag.id == tag_id, UserTag.owner_user_id == owner_id
            )
        ).one_or_none()
        return None if row is None else TagRow(int(row[0]), str(row[1]), int(row[2]))

    def lock_tag(self, owner_id: int, tag_id: int, mode: Literal["share", "update"]) -> bool:
        """Lock the owner's tag row (``share`` to add members, ``update`` to delete it); False if not theirs."""
        stmt = select(UserTag.id).where(UserTag.id == tag_id, UserTag.owner_user_id == owner_id)
        stmt = stmt.with_for_update(read=mode == "share")
        return self.session.execute(stmt).first() is not None

    def insert_tag(self, owner_id: int, name: str) -> TagRow:
        """Create a tag (in a savepoint); raises :class:`ConstraintViolation` when the name is taken."""
        stmt = insert(UserTag).values(owner_user_id=owner_id, name=name).returning(UserTag.id, UserTag.name)
        try:
            with self.session.begin_nested():
                tag_id, stored = self.session.execute(stmt).one()
        except IntegrityError as exc:
            raise ConstraintViolation(constraint_name(exc)) from exc
        return TagRow(int(tag_id), str(stored), 0)

    def rename_tag(self, owner_id: int, tag_id: int, name: str) -> TagRow | None:
        """Rename the owner's tag (in a savepoint); ``None`` if not theirs, :class:`ConstraintViolation` if taken."""
        stmt = (
            update(UserTag)
            .where(UserTag.id == tag_id, UserTag.owner_user_id == owner_id)
            .values(name=name)
            .returning(UserTag.id, UserTag.name, _member_count())
        )
        try:
            with self.session.begin_nested():
                row = self.session.execute(stmt).one_or_none()
        except IntegrityError as exc:
            raise ConstraintViolation(constraint_name(exc)) from exc
        return None if row is None else TagRow(int(row[0]), str(row[1]), int(row[2]))

    def delete_tag(self, tag_id: int) -> list[int]:
        """Delete a tag and its members; returns the ids of the users who were in it."""
        members = list(
            self.session.execute(
                delete(UserTagMember).where(UserTagMember.tag_id == tag_id).returning(UserTagMember.target_user_id)
            ).scalars()
        )
        self.session.execute(delete(UserTag).where(UserTag.id == tag_id))
        return [int(m) for m in members]

    def owned_tag_ids(self, owner_id: int, tag_ids: list[int]) -> set[int]:
        ids = valid_ids(tag_ids)
        if not ids:
            return set()
        # compiled once (a tagged post's and a tag-filtered feed's path: built per request, it cost a tenth of
        # creating a post, profiled)
        return {int(r[0]) for r in _OWNED_TAG_IDS.all(self.session, {"owner": owner_id, "ids": int_array(ids)})}

    # -- members -------------------------------------------------------------------------------------

    def members_page(self, tag_id: int, after: Keyset | None, limit: int) -> list[tuple[int, datetime]]:
        """``(member id, added_at)`` of a tag's members, most recently added first."""
        stmt = select(UserTagMember.target_user_id, UserTagMember.created_at).where(UserTagMember.tag_id == tag_id)
        if after is not None:
            stmt = stmt.where(tuple_(UserTagMember.created_at, UserTagMember.target_user_id) < tuple_(*after))
        stmt = stmt.order_by(UserTagMember.created_at.desc(), UserTagMember.target_user_id.desc()).limit(limit)
        return [(int(r.target_user_id), r.created_at) for r in self.session.execute(stmt)]

    def add_member(self, owner_id: int, tag_id: int, user_id: int) -> bool:
        """Put ``user_id`` in the tag; ``False`` (and no change) when already there."""
        added = self.session.execute(
            insert(UserTagMember)
            .values(tag_id=tag_id, target_user_id=user_id, owner_user_id=owner_id)
            .on_conflict_do_nothing(index_elements=[UserTagMember.tag_id, UserTagMember.target_user_id])
            .returning(UserTagMember.tag_id)
        ).first()
        return added is not None

    def remove_member(self, tag_id: int, user_id: int) -> bool:
        deleted = self.session.execute(
            delete(UserTagMember)
            .where(UserTagMember.tag_id == tag_id, UserTagMember.target_user_id == user_id)
            .returning(UserTagMember.tag_id)
        ).first()
        return deleted is not None

    def owner_tags_on(self, owner_id: int, user_ids: list[int]) -> dict[int, list[int]]:
        """``user id -> [tag id]``: which of the owner's tags each user is in (one query)."""
        stmt = (
            select(UserTagMember.target_user_id, UserTagMember.tag_id)
            .where(UserTagMember.owner_user_id == owner_id, UserTagMember.target_user_id.in_(user_ids))
            .order_by(UserTagMember.target_user_id, UserTagMember.tag_id)
        )
        out: dict[int, list[int]] = defaultdict(list)
        for user_id, tag_id in self.session.execute(stmt):
            out[int(user_id)].append(int(tag_id))
        return out

    def viewer_tag_ids(self, viewer_id: int, owner_ids: list[int]) -> dict[int, set[int]]:
        """``owner id -> {tag id}``: which of each owner's tags have the viewer as a member (one query)."""
        stmt = select(UserTagMember.owner_user_id, UserTagMember.tag_id).where(
            UserTagMember.target_user_id == viewer_id, UserTagMember.owner_user_id.in_(owner_ids)
        )
        out: dict[int, set[int]] = {owner: set() for owner in owner_ids}
        for owner, tag_id in self.session.execute(stmt):
            out[int(owner)].add(int(tag_id))
        return out

    def viewer_tag_ids_select(self, viewer_id: int) -> Select[Any]:
        """``SELECT tag_id`` of every tag (of any owner) that has ``viewer_id`` as a member."""
        return select(UserTagMember.tag_id).where(UserTagMember.target_user_id == viewer_id)

    @staticmethod
    def member_clause(tag_id: IdColumn, viewer_id: IdValue) -> ColumnElement[bool]:
        """``viewer_id`` is a member of the tag ``tag_id``: one probe of the membership key per row."""
        return (
            select(literal(1))
            .where(UserTagMember.tag_id == tag_id, UserTagMember.target_user_id == viewer_id)
            .offset(0)  # a fence: a probe per row, never a hash of the viewer's memberships
            .exists()
        )

    @staticmethod
    def members_of_tags_select(tag_ids: ColumnElement[Any]) -> Select[Any]:
        """``SELECT target_user_id`` of the members of any tag of ``tag_ids`` (a bound array)."""
        return select(UserTagMember.target_user_id).where(UserTagMember.tag_id == any_(tag_ids)).distinct()

    @staticmethod
    def tag_member_ids_select(owner_id: IdValue, tag_id: IdValue) -> Select[Any]:
        """``SELECT target_user_id`` of the members of ``owner_id``'s tag ``tag_id`` (empty if not theirs)."""
        return select(UserTagMember.target_user_id).where(
            UserTagMember.tag_id == tag_id, UserTagMember.owner_user_id == owner_id
        )

    def tag_member_ids(self, owner_id: int, tag_id: int) -> set[int] | None:
        """The members of the owner's tag, or ``None`` when it is not the owner's tag (one query)."""
        rows = self.session.execute(
            select(UserTag.id, UserTagMember.target_user_id)
            .outerjoin(UserTagMember, UserTagMember.tag_id == UserTag.id)
            .where(UserTag.id == tag_id, UserTag.owner_user_id == owner_id)
        ).all()
        if not rows:
            return None
        return {int(member) for _, member in rows if member is not None}


_OWNED_TAG_IDS = CompiledRead(
    lambda: select(UserTag.id).where(
        UserTag.owner_user_id == bindparam("owner", type_=BigInteger), UserTag.id == any_(int_array_param("ids"))
    ),
    tuples=True,
)
