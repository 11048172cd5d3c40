"""All of storage's SQL. Reads are batched (ids -> rows), never one query per row."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    any_,
    cast,
    delete,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.orm import InstrumentedAttribute, Session

from hearth_platform.database import advisory_lock_key
from hearth_platform.ids import valid_id, valid_ids
from hearth_platform.statements import CompiledRead, int_array, int_array_param

from .models import MEDIA_PENDING, MEDIA_READY, MediaObject

MediaPredicate = Callable[[ColumnElement[int], ColumnElement[int]], ColumnElement[bool]]
"""A condition on a media row, given its ``id`` and ``owner_id`` columns, that a layer above writes
(e.g. "a post the viewer can see carries it"); it becomes part of storage's own statement."""


@dataclass(frozen=True, slots=True)
class MediaRow:
    """What a view of a media needs, read without the ORM (pages show many)."""

    id: int
    key: str
    content_type: str
    size_bytes: int
    status: str


def _media_rows(ready_only: bool) -> Select[int, str, str, int, str]:
    m = MediaObject
    stmt = select(m.id, m.key, m.content_type, m.size_bytes, m.status).where(m.id == any_(int_array_param("ids")))
    return stmt.where(m.status == MEDIA_READY) if ready_only else stmt


_MEDIA_ROWS = CompiledRead(lambda: _media_rows(False))
_READY_MEDIA_ROWS = CompiledRead(lambda: _media_rows(True))


@dataclass(frozen=True, slots=True)
class EraseCandidate:
    id: int
    key: str
    attached: bool


class MediaRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def rows_column(media_ids: ColumnElement[Any] | InstrumentedAttribute[Any]) -> ColumnElement[Any]:
        """The media whose ids are in the array column ``media_ids``, read by the statement that shows them: a
        2-D text array, a ``MediaRow``'s fields as text per media (NULL when there are none)."""
        m = MediaObject
        fields = array([cast(m.id, String), m.key, m.content_type, cast(m.size_bytes, String), m.status])
        return select(func.array_agg(fields)).where(m.id == any_(media_ids)).scalar_subquery()

    @staticmethod
    def row_of(fields: Sequence[str]) -> MediaRow:
        """A ``MediaRow`` from ``rows_column``'s fields."""
        media_id, key, content_type, size_bytes, status = fields
        return MediaRow(int(media_id), key, content_type, int(size_bytes), status)

    def add(self, owner_id: int, key: str, content_type: str, size_bytes: int) -> MediaObject:
        media = MediaObject(
            owner_id=owner_id, key=key, content_type=content_type, size_bytes=size_bytes, status=MEDIA_PENDING
        )
        self.session.add(media)
        self.session.flush()  # assigns id and the server-side defaults
        return media

    def readable(self, viewer_id: int, media_id: int, may_see: MediaPredicate | None) -> MediaObject | None:
        """The media when ``viewer_id`` owns it or ``may_see`` holds for it. One statement whether the media
        exists or not, so a viewer who may not see it cannot tell it from a missing one."""
        if not valid_id(media_id):
            return None
        m = MediaObject
        allowed = m.owner_id == viewer_id
        if may_see is not None:
            allowed = or_(allowed, may_see(m.id.expression, m.owner_id.expression))
        return self.session.scalars(select(m).where(m.id == media_id, allowed)).one_or_none()

    def owned(self, owner_id: int, media_ids: Collection[int]) -> list[MediaObject]:
        """``owner_id``'s media among ``media_ids``, as objects (pending ones may be confirmed in place).

        Key-share locked until the transaction ends, so the erasure of unattached media skips a media that
        is being attached (to a post, as an avatar) meanwhile."""
        ids = valid_ids(media_ids)
        if not ids:
            return []
        stmt = select(MediaObject).where(MediaObject.id.in_(ids), MediaObject.owner_id == owner_id)
        return list(self.session.scalars(stmt.with_for_update(key_share=True)))

    def rows(self, media_ids: Collection[int], *, ready_only: bool = False) -> list[MediaRow]:
        """Plain rows of the media among ``media_ids`` (one statement; ids that cannot exist are left out)."""
        ids = valid_ids(media_ids)
        if not ids:
            return []
        read = _READY_MEDIA_ROWS if ready_only else _MEDIA_ROWS
        return [MediaRow(*r) for r in read.all(self.session, {"ids": int_array(ids)})]

    def lock_for_confirming(self, media: Sequence[MediaObject]) -> list[MediaObject]:
        """Lock the rows and reload them: of two requests confirming one media, the second waits and then
        sees it ready (it must not copy a replayed upload over what the first made ready)."""
        if not media:
            return []
        stmt = select(MediaObject).where(MediaObject.id.in_([m.id for m in media])).order_by(MediaObject.id)
        return list(self.session.scalars(stmt.with_for_update().execution_options(populate_existing=True)))

    def mark_ready(self, media: Sequence[MediaObject]) -> None:
        """One UPDATE for all of them; the loaded objects are updated in place (no reload)."""
        if not media:
            return
        now = datetime.now(UTC)
        self.session.execute(
            update(MediaObject)
            .where(MediaObject.id.in_([m.id for m in media]), MediaObject.status == MEDIA_PENDING)
            .values(status=MEDIA_READY, ready_at=now)
            .execution_options(synchronize_session="evaluate")
        )

    # -- quota ------------------------------------------------------------------------------------------

    def lock_owner_usage(self, owner_id: int) -> int:
        """Bytes of all ``owner_id``'s media, with the owner's uploads serialised until the transaction ends
        (two concurrent uploads cannot both fit in the last free bytes)."""
        self.session.execute(select(func.pg_advisory_xact_lock(advisory_lock_key(f"hearth.media-quota:{owner_id}"))))
        used = self.session.scalar(
            select(func.coalesce(func.sum(MediaObject.size_bytes), 0)).where(MediaObject.owner_id == owner_id)
        )
        return int(used or 0)

    # -- erasure of media never attached --------------------------------------------------------------

    def lock_erase_candidates(
        self, created_before: datetime, attached: MediaPredicate, limit: int
    ) -> list[EraseCandidate]:
        """The oldest media not yet found attached, created before ``created_before``, locked (those another
        transaction holds, e.g. one attaching them, are skipped), each with whether it is attached now."""
        m = MediaObject
        stmt = (
            select(m.id, m.key, attached(m.id.expression, m.owner_id.expression).label("attached"))
            .where(m.kept == false(), m.created_at < created_before)
            .order_by(m.created_at)
            .limit(limit)
            .with_for_update(of=m, skip_locked=True)
        )
        return [EraseCandidate(r.id, r.key, bool(r.attached)) for r in self.session.execute(stmt)]

    # -- an account's erasure and export -----------------------------------------------------------------

    def owned_keys(self, owner_id: int) -> list[tuple[int, str, str]]:
        """``(id, key, content_type)`` of every media of ``owner_id``, ready or not."""
        m = MediaObject
        rows = self.session.execute(select(m.id, m.key, m.content_type).where(m.owner_id == owner_id).order_by(m.id))
        return [(r.id, r.key, r.content_type) for r in rows]

    def mark_kept(self, media_ids: Collection[int]) -> None:
        if media_ids:
            self.session.execute(update(MediaObject).where(MediaObject.id.in_(list(media_ids))).values(kept=True))

    def delete(self, media_ids: Collection[int]) -> None:
        if media_ids:
            self.session.execute(delete(MediaObject).where(MediaObject.id.in_(list(media_ids))))
