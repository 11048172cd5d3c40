"""The bearer-token check behind ``hearth_platform.security.CurrentUser``."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from hearth_platform.security import Principal

from ..credentials import token_digest
from ..repository import TokenRepository


class BearerTokenAuthenticator:
    """Implements ``hearth_platform.security.TokenAuthenticator`` in one SQL statement."""

    def __init__(self, session: Session) -> None:
        self._tokens = TokenRepository(session)

    def authenticate(self, token: str) -> Principal | None:
        digest = token_digest(token)
        if digest is None:
            return None
        found = self._tokens.live(digest)
        if found is None:
            return None
        token_id, user_id = found
        return Principal(user_id=user_id, token_id=token_id)

    def live_token_ids(self, token_ids: Collection[int]) -> set[int]:
        return self._tokens.live_ids(token_ids) if token_ids else set()
