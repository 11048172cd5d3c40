"""All of storage's SQL. Reads are batched (ids -> rows), never one query per row."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ARRAY, BigInteger, Select, any_, bindparam, select, update
from sqlalchemy.orm import Session

from hearth_platform.ids import valid_id, valid_ids
from hearth_platform.statements import CompiledRead

from .models import MEDIA_PENDING, MEDIA_READY, MediaObject


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
    stmt = select(m.id, m.key, m.content_type, m.size_bytes, m.status).where(
        m.id == any_(bindparam("ids", type_=ARRAY(BigInteger)))
    )
    return stmt.where(m.status == MEDIA_READY) if ready_only else stmt


_MEDIA_ROWS = CompiledRead(lambda: _media_rows(False))
_READY_MEDIA_ROWS = CompiledRead(lambda: _media_rows(True))


class MediaRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, owner_id: int, key: str, content_type: str, size_bytes: int) -> MediaObject:
        media = MediaObject(
            owner_id=owner_id, key=key, content_type=content_type, size_bytes=size_bytes, status=MEDIA_PENDING
        )
        self.session.add(media)
        self.session.flush()  # assigns id and the server-side defaults
        return media

    def get(self, media_id: int) -> MediaObject | None:
        if not valid_id(media_id):
            return None
        return self.session.get(MediaObject, media_id)

    def owned(self, owner_id: int, media_ids: Collection[int]) -> list[MediaObject]:
        """``owner_id``'s media among ``media_ids``, as objects (pending ones may be confirmed in place)."""
        ids = valid_ids(media_ids)
        if not ids:
            return []
        return list(
            self.session.scalars(select(MediaObject).where(MediaObject.id.in_(ids), MediaObject.owner_id == owner_id))
        )

    def rows(self, media_ids: Collection[int], *, ready_only: bool = False) -> list[MediaRow]:
        """Plain rows of the media among ``media_ids`` (one statement; ids that cannot exist are left out)."""
        ids = valid_ids(media_ids)
        if not ids:
            return []
        read = _READY_MEDIA_ROWS if ready_only else _MEDIA_ROWS
        return [MediaRow(*r) for r in read.all(self.session, {"ids": list(ids)})]

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
