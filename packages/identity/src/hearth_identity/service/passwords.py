"""``PasswordService``: changing the password, and resetting a forgotten one by mail.

A reset request answers the same, and does the same work, whatever the address: it only enqueues a job
(``identity.send_password_reset``), which looks the address up and mails a single-use link valid for
``HEARTH_PASSWORD_RESET_TTL_SECONDS`` (an hour) when it belongs to an active account. So neither the answer
nor its time tells whether an account exists.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from hearth_platform.jobs import Job, JobQueue
from hearth_platform.mail import Mail
from hearth_platform.settings import Settings
from hearth_platform.uow import UnitOfWorkContext

from .. import mails
from ..account_repository import OneTimeTokens
from ..credentials import hash_password, new_token, token_digest, verify_password
from ..errors import InvalidCredentials, InvalidToken, UserNotFound
from ..models import PASSWORD_RESET
from ..repository import TokenRepository, UserRepository
from ..schemas import PasswordChangeRequest, PasswordResetConfirm


class PasswordService:
    def __init__(self, session: Session, settings: Settings, mail: Mail, jobs: JobQueue) -> None:
        self._session = session
        self._settings = settings
        self._mail = mail
        self._jobs = jobs
        self._users = UserRepository(session)
        self._tokens = TokenRepository(session)
        self._one_time = OneTimeTokens(session)

    def change(self, user_id: int, token_id: int, data: PasswordChangeRequest) -> None:
        """A new password; every other token of the user stops working at once (this one keeps working)."""
        new_hash = hash_password(data.new_password)  # before any lock
        user = self._users.lock(user_id)
        if user is None:
            raise UserNotFound(user_id)
        if not verify_password(user.password_hash, data.current_password):
            raise InvalidCredentials()
        user.password_hash = new_hash
        self._tokens.revoke_all(user_id, except_id=token_id)
        self._session.flush()

    def request_reset(self, email: str) -> None:
        self._jobs.enqueue(SEND_PASSWORD_RESET, email=email)

    def send_reset(self, email: str) -> None:
        """The job: a link for the active account of ``email``, if there is one (else nothing at all)."""
        user = self._users.active_by_email(email)
        if user is None:
            return
        token = new_token()
        digest = token_digest(token)
        assert digest is not None
        self._one_time.create(user.id, PASSWORD_RESET, digest, self._settings.password_reset_ttl_seconds)
        self._mail.send(mails.password_reset(self._settings, user.email, user.username, token))

    def confirm_reset(self, data: PasswordResetConfirm) -> None:
        """Spend the token and set the password; every token of the user is revoked."""
        new_hash = hash_password(data.new_password)
        digest = token_digest(data.token)
        user_id = self._one_time.use(PASSWORD_RESET, digest) if digest is not None else None
        user = self._users.lock(user_id) if user_id is not None else None
        if user is None:
            raise InvalidToken()
        user.password_hash = new_hash
        self._tokens.revoke_all(user.id)
        self._session.flush()


def _send_password_reset(uow: UnitOfWorkContext, email: str) -> None:
    uow.resolve(PasswordService).send_reset(email)


SEND_PASSWORD_RESET = Job(name="identity.send_password_reset", run=_send_password_reset, queue="accounts")
