"""``AccountLifecycle``: deleting an account (at once for everyone, erased by a job) and an operator's
suspension.

Deleting answers at once: the account becomes ``erasing`` (every read of users leaves it out, so it answers
``404`` to everyone, and the content reads leave its posts and comments out), its tokens are revoked, and
``identity.erase_account`` is enqueued. The job publishes :class:`AccountErasing` (each package above deletes
what it holds of the account, in the job's transaction), deletes the account's media and exports (bytes
first, then rows) and its own rows, the user last. A retried job finishes the work; a second request meets a
revoked token.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from hearth_platform.events import EventPublisher
from hearth_platform.jobs import Job, JobQueue
from hearth_platform.uow import UnitOfWorkContext
from hearth_storage import MediaService, ObjectStore

from ..account_repository import Exports, erase_identity_rows
from ..credentials import verify_password
from ..errors import InvalidCredentials, UserNotFound
from ..events import AccountErasing
from ..models import ACTIVE, ERASING, SUSPENDED
from ..repository import TokenRepository, UserRepository


class AccountLifecycle:
    def __init__(
        self,
        session: Session,
        jobs: JobQueue,
        media: MediaService,
        objects: ObjectStore,
        events: EventPublisher,
    ) -> None:
        self._session = session
        self._jobs = jobs
        self._media = media
        self._objects = objects
        self._events = events
        self._users = UserRepository(session)
        self._tokens = TokenRepository(session)
        self._exports = Exports(session)

    def delete(self, user_id: int, password: str) -> None:
        user = self._users.lock(user_id)
        if user is None or user.status != ACTIVE:
            raise UserNotFound(user_id)
        if not verify_password(user.password_hash, password):
            raise InvalidCredentials()
        user.status = ERASING
        self._tokens.revoke_all(user_id)
        self._session.flush()
        self._jobs.enqueue(ERASE_ACCOUNT, unique=f"erase-account:{user_id}", user_id=user_id)

    def erase(self, user_id: int) -> None:
        """The job: everything of an ``erasing`` account, in layer order (the packages above first, through
        the event; then the bytes and rows below; the user row last). Nothing for any other account."""
        user = self._users.lock(user_id)
        if user is None or user.status != ERASING:
            return
        self._events.publish(AccountErasing(user_id))
        self._objects.delete(self._exports.keys_of(user_id))
        self._media.erase_owned(user_id)
        erase_identity_rows(self._session, user_id)

    # -- operators (``hearth admin``) -------------------------------------------------------------------

    def find(self, username: str) -> int | None:
        """The id of the account named ``username``, whatever its status."""
        user = self._users.by_username(username.lower())
        return user.id if user is not None else None

    def suspend(self, user_id: int) -> bool:
        """Suspend an active account: its tokens stop working, it cannot log in, its content is hidden from
        everyone else. Whether it changed anything."""
        user = self._users.lock(user_id)
        if user is None or user.status != ACTIVE:
            return False
        user.status = SUSPENDED
        self._tokens.revoke_all(user_id)
        self._session.flush()
        return True

    def unsuspend(self, user_id: int) -> bool:
        user = self._users.lock(user_id)
        if user is None or user.status != SUSPENDED:
            return False
        user.status = ACTIVE
        self._session.flush()
        return True


def _erase_account(uow: UnitOfWorkContext, user_id: int) -> None:
    uow.resolve(AccountLifecycle).erase(user_id)


ERASE_ACCOUNT = Job(name="identity.erase_account", run=_erase_account, queue="accounts", attempts=10)
