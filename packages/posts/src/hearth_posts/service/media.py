"""Media as posts sees them: who may read a media beside its owner, and which media were never attached.

Storage knows media and their owners, nothing of posts or users; posts sits above identity and
connections, so the rules that join them live here, written as SQL that storage puts in its own
statement (one statement decides, whether the media exists or not).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import Session

from hearth_connections import ConnectionGraph
from hearth_identity import UserDirectory
from hearth_storage import Media, MediaService

from ..repository import PostsRepository


class PostMediaAccess:
    """``GET /media/{id}``: its owner; a viewer of a post that carries it; anyone who can see the user whose
    avatar it is (everyone but those the user blocked)."""

    def __init__(self, session: Session, graph: ConnectionGraph, media: MediaService) -> None:
        self.graph = graph
        self.media = media

    def get_media(self, viewer_id: int, media_id: int) -> Media:
        # read whatever the media: the same statements for a media the viewer may not see and a missing one
        blockers = sorted(self.graph.blocker_ids(viewer_id))

        def may_see(media: ColumnElement[int], owner: ColumnElement[int]) -> ColumnElement[bool]:
            avatar = UserDirectory.avatar_clause(media, owner)
            return or_(
                PostsRepository.carried_by_visible_post(viewer_id, media),
                and_(avatar, owner.not_in(blockers)) if blockers else avatar,
            )

        return self.media.get_media(viewer_id, media_id, may_see)

    def erase_unattached(self, *, limit: int = 500) -> int:
        """Erase the media older than ``media_unattached_ttl_seconds`` that no post carries and that are no
        user's avatar (up to ``limit``; the purge job runs it until it answers 0). How many were erased."""

        def attached(media: ColumnElement[int], owner: ColumnElement[int]) -> ColumnElement[bool]:
            return or_(PostsRepository.carried_by_a_post(media), UserDirectory.avatar_clause(media, owner))

        return self.media.erase_unattached(attached, limit=limit)
