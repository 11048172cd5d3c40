"""What the parts of :class:`~hearth_connections.service.ConnectionsService` share."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hearth_platform.cache import Cache
from hearth_platform.errors import InvalidCursor
from hearth_platform.pagination import PageRequest

from .. import schemas
from ..caching import GraphCache
from ..ports import UserDirectory, UserSummaryLike
from ..repository import Keyset, Repository
from ..tag_repository import TagRepository

MAX_ID = 2**63 - 1


def valid_id(value: int) -> bool:
    """Ids are positive BIGINTs; anything else names nothing (and must never reach SQL as a parameter)."""
    return 1 <= value <= MAX_ID


def valid_ids(values: Iterable[int]) -> list[int]:
    return sorted({v for v in values if valid_id(v)})


def keyset_after(page: PageRequest, kind: str) -> Keyset | None:
    """The ``(timestamp, id)`` a page starts after; a cursor of any other shape is refused."""
    values: list[Any] | None = page.after(kind)
    if values is None:
        return None
    if (
        len(values) != 2
        or not isinstance(values[0], datetime)
        or values[0].tzinfo is None
        or not isinstance(values[1], int)
        or isinstance(values[1], bool)
    ):
        raise InvalidCursor("The cursor is not valid for this list.")
    return values[0], values[1]


def summary(user: UserSummaryLike) -> schemas.UserSummary:
    return schemas.UserSummary(
        id=user.id, username=user.username, display_name=user.display_name, avatar_url=user.avatar_url
    )


class GraphBase:
    """What the graph face needs: the repositories on this unit of work's session, and the cache."""

    def __init__(self, session: Session, cache: Cache) -> None:
        self._session = session
        self._repo = Repository(session)
        self._tags = TagRepository(session)
        self._cache = GraphCache(cache, session)


class ServiceBase(GraphBase):
    """What the use cases need besides: the users port (identity's directory)."""

    def __init__(self, session: Session, cache: Cache, users: UserDirectory) -> None:
        super().__init__(session, cache)
        self._users = users

    def _summaries(self, user_ids: Collection[int]) -> dict[int, schemas.UserSummary]:
        """``UserSummary`` per id, in one call to the directory (users that vanished are left out)."""
        ids = valid_ids(user_ids)
        if not ids:
            return {}
        return {uid: summary(u) for uid, u in self._users.summaries(ids).items()}

    def _user_exists(self, user_id: int) -> bool:
        return valid_id(user_id) and user_id in self._users.existing_ids([user_id])
