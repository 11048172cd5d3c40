"""Bodies as they are stored: sanitised, with each ``@username`` of an existing user linked to that user, and
the ids of the users they mention (told by notifications, only while they may see the post)."""

from __future__ import annotations

from hearth_connections import ConnectionGraph
from hearth_identity import UserDirectory
from hearth_platform.settings import Settings

from ..sanitize import clean_body, link_mentions, mention_names


class Mentions:
    def __init__(self, users: UserDirectory, graph: ConnectionGraph, settings: Settings) -> None:
        self.users = users
        self.graph = graph
        self.user_url = settings.public_base_url.rstrip("/") + "/api/v1/users/{}"

    def written(self, author_id: int, raw: str) -> tuple[str, tuple[int, ...]]:
        """The body to store and who it mentions. Its length and its visible text were checked as sent (the
        schema states both); linking a mention adds markup, never text a reader sees."""
        body = clean_body(raw)
        found = self._found(author_id, body)
        body = link_mentions(body, {name: self.user_url.format(uid) for name, uid in found.items()})
        return body, tuple(found.values())

    def of(self, author_id: int, body: str) -> tuple[int, ...]:
        """Who a stored body mentions."""
        return tuple(self._found(author_id, body).values())

    def _found(self, author_id: int, body: str) -> dict[str, int]:
        """``name -> id`` of the mentioned users the author may name: not those who blocked the author (such
        an account does not exist for them, as ``GET /users/{id}`` answers). The same link whoever reads the
        post: it says nothing about who may see it. Nothing is looked up for a body without a mention."""
        names = mention_names(body)
        found = self.users.ids_by_username(names) if names else {}
        if found:
            hidden = self.graph.blocker_ids(author_id)
            found = {name: uid for name, uid in found.items() if uid not in hidden}
        return found
