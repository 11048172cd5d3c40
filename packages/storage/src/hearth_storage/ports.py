"""What storage needs from its neighbours. The app satisfies each port with a neighbour's service."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol


class MediaAccess(Protocol):
    """Who may see media they do not own (posts provides it; avatars are public to signed-in users)."""

    def visible_media_ids(self, viewer_id: int, media_ids: Collection[int]) -> set[int]:
        """Which of ``media_ids`` ``viewer_id`` may see through a post (or an avatar) they can see."""
        ...
