"""What posts needs from its neighbours. The app satisfies each port with a neighbour's service."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Select


class UserSummaryLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def avatar_url(self) -> str | None: ...


class MediaLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def content_type(self) -> str: ...
    @property
    def size_bytes(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def url_expires_at(self) -> datetime | None: ...


class AudienceGraph(Protocol):
    """The viewer's side of the connection graph, as SQL the posts query embeds (connections provides it).

    Returning selectables rather than id lists keeps visibility one SQL predicate evaluated in the same
    statement (and snapshot) that reads the posts: a disconnect, block or untag is seen at once.
    """

    def connected_ids_select(self, user_id: int) -> Select[Any]:
        """``SELECT <user id>`` of everyone connected to ``user_id``."""
        ...

    def viewer_tag_ids_select(self, viewer_id: int) -> Select[Any]:
        """``SELECT <tag id>`` of every tag (of any owner) that has ``viewer_id`` as a member."""
        ...

    def tag_member_ids_select(self, owner_id: int, tag_id: int) -> Select[Any]:
        """``SELECT <user id>`` of the members of ``owner_id``'s tag ``tag_id``."""
        ...

    def owned_tag_ids(self, owner_id: int, tag_ids: Collection[int]) -> set[int]:
        """Which of ``tag_ids`` belong to ``owner_id``."""
        ...

    def blocker_ids(self, user_id: int) -> set[int]:
        """Ids of the users who have blocked ``user_id``."""
        ...


class UserDirectory(Protocol):
    """Batched reads of users (identity provides it)."""

    def summaries(self, user_ids: Collection[int]) -> Mapping[int, UserSummaryLike]: ...

    def existing_ids(self, user_ids: Collection[int]) -> set[int]: ...


class MediaCatalog(Protocol):
    """Media records and download URLs (storage provides it)."""

    def owned_media(self, owner_id: int, media_ids: Collection[int]) -> Mapping[int, MediaLike]: ...

    def media_views(self, media_ids: Collection[int]) -> Mapping[int, MediaLike]: ...
