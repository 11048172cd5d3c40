"""``SessionsService``: the caller's sessions (bearer tokens that still work), listed and revoked one by one;
and the token check that notes each token's use for that list."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from hearth_platform.security import Principal

from ..activity import TokenActivity
from ..errors import SessionNotFound
from ..repository import TokenRepository
from ..schemas import SessionList, SessionOut
from .authenticator import BearerTokenAuthenticator


class TrackingAuthenticator(BearerTokenAuthenticator):
    """The bearer-token check (one statement), noting in memory which token was used (``activity.py``)."""

    def __init__(self, session: Session, activity: TokenActivity) -> None:
        super().__init__(session)
        self._activity = activity

    def authenticate(self, token: str) -> Principal | None:
        principal = super().authenticate(token)
        if principal is not None:
            self._activity.note(principal.token_id)
        return principal


class SessionsService:
    def __init__(self, session: Session) -> None:
        self._tokens = TokenRepository(session)

    def list(self, user_id: int, current_token_id: int) -> SessionList:
        now = datetime.now(UTC)
        items = []
        for t in self._tokens.live_sessions(user_id):
            current = t.id == current_token_id
            last_used = now if current else (t.last_used_at or t.created_at)  # this request is a use
            items.append(
                SessionOut(
                    id=t.id,
                    created_at=t.created_at.astimezone(UTC),
                    last_used_at=last_used.astimezone(UTC),
                    expires_at=t.expires_at.astimezone(UTC),
                    user_agent=t.user_agent,
                    current=current,
                )
            )
        return SessionList(items=items)

    def revoke(self, user_id: int, session_id: int) -> None:
        """Revoke one of the caller's sessions at once; another user's (or one that no longer works) is 404."""
        if not self._tokens.revoke_own(user_id, session_id):
            raise SessionNotFound(session_id)
