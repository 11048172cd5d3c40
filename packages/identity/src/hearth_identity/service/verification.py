"""``EmailVerification``: the verification mail (sent on registration and on request) and its token."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.orm import Session

from hearth_platform.mail import Mail
from hearth_platform.settings import Settings

from .. import mails
from ..account_repository import OneTimeTokens
from ..credentials import new_token, token_digest
from ..errors import AlreadyVerified, InvalidToken, UserNotFound
from ..models import VERIFY_EMAIL, User
from ..repository import UserRepository


class EmailVerification:
    def __init__(self, session: Session, settings: Settings, mail: Mail) -> None:
        self._session = session
        self._settings = settings
        self._mail = mail
        self._users = UserRepository(session)
        self._tokens = OneTimeTokens(session)

    def send(self, user: User) -> None:
        """A new link for ``user``'s address (the earlier ones stop working), mailed once this unit commits."""
        token = new_token()
        digest = token_digest(token)
        assert digest is not None
        self._tokens.create(user.id, VERIFY_EMAIL, digest, self._settings.email_verification_ttl_seconds)
        self._mail.send(mails.verify_email(self._settings, user.email, user.username, token))

    def resend(self, user_id: int) -> None:
        user = self._users.get(user_id)
        if user is None:
            raise UserNotFound(user_id)
        if user.email_verified_at is not None:
            raise AlreadyVerified()
        self.send(user)

    def verify(self, token: str) -> None:
        digest = token_digest(token)
        user_id = self._tokens.use(VERIFY_EMAIL, digest) if digest is not None else None
        user = self._users.lock(user_id) if user_id is not None else None
        if user is None:
            raise InvalidToken()
        if user.email_verified_at is None:
            user.email_verified_at = func.now()
            self._session.flush()
