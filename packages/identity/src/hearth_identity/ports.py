"""What identity needs from its neighbours. The app satisfies these with their services."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Protocol


class Relationships(Protocol):
    """Provided by connections."""

    def relationships(self, viewer_id: int, user_ids: Collection[int]) -> Mapping[int, str]:
        """Status of each user as seen by ``viewer_id``: ``"self"``, ``"none"``, ``"pending_outgoing"``,
        ``"pending_incoming"`` or ``"connected"`` (one batched read)."""
        ...

    def blocker_ids(self, user_id: int) -> set[int]:
        """Ids of the users who have blocked ``user_id``."""
        ...


class AvatarMedia(Protocol):
    """Provided by storage."""

    def is_owned_ready(self, owner_id: int, media_id: int) -> bool:
        """Whether ``media_id`` exists, belongs to ``owner_id`` and has been uploaded."""
        ...

    def download_urls(self, media_ids: Collection[int]) -> Mapping[int, str]:
        """Download URLs of the given media (one batched read); unknown or pending ids are left out."""
        ...
