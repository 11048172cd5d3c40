"""``AccountService``: register, log in, log out."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hearth_platform.events import EventPublisher
from hearth_platform.metrics import app_metrics
from hearth_platform.ratelimit import LOGIN_FAILURES, RateLimiter
from hearth_platform.settings import Settings
from hearth_storage import MediaService

from .. import views
from ..credentials import hash_password, needs_rehash, new_token, token_digest, verify_password
from ..errors import AccountSuspended, EmailTaken, InvalidCredentials, UsernameTaken
from ..events import InviteAccepted
from ..models import ERASING, SUSPENDED, User
from ..repository import DuplicateUser, TokenRepository, UserRepository
from ..schemas import AuthSession, LoginRequest, RegisterRequest
from ..text import has_surrogates, is_valid_username
from .invites import InviteService
from .verification import EmailVerification


class AccountService:
    def __init__(
        self,
        session: Session,
        settings: Settings,
        avatars: MediaService,
        limits: RateLimiter,
        verification: EmailVerification,
        invites: InviteService,
        events: EventPublisher,
    ) -> None:
        self._users = UserRepository(session)
        self._tokens = TokenRepository(session)
        self._ttl = settings.token_ttl_seconds
        self._avatars = avatars
        self._limits = limits
        self._verification = verification
        self._invites = invites
        self._events = events

    def register(self, data: RegisterRequest, user_agent: str | None = None) -> AuthSession:
        """Create the account and its first token. Duplicates are decided by the unique constraints; the
        registration mode and invite code by ``InviteService`` (``403 invite_required``)."""
        self._invites.check_registration(data.invite_code)
        password_hash = hash_password(data.password)  # before any SQL: no lock is held while hashing
        user = User(
            username=data.username,
            email=data.email,
            password_hash=password_hash,
            display_name=data.display_name,
            bio="",
        )
        try:
            self._users.add(user)
        except DuplicateUser as exc:
            raise (UsernameTaken() if exc.field == "username" else EmailTaken()) from None
        app_metrics().created.labels(kind="user").inc()
        used = self._invites.accept(data.invite_code, user.id)
        if used is not None and used[0] is not None:  # connections connects them when the invite says so
            self._events.publish(InviteAccepted(inviter_id=used[0], invitee_id=user.id, connect=used[1]))
        self._verification.send(user)  # mailed once the registration commits
        return self._session_for(user, user_agent)

    def create_by_operator(self, data: RegisterRequest) -> int:
        """``hearth admin create-user``: an account whatever the registration mode, with no token (its owner
        logs in); the verification mail goes as on registration. Its id."""
        user = User(
            username=data.username,
            email=data.email,
            password_hash=hash_password(data.password),
            display_name=data.display_name,
            bio="",
        )
        try:
            self._users.add(user)
        except DuplicateUser as exc:
            raise (UsernameTaken() if exc.field == "username" else EmailTaken()) from None
        app_metrics().created.labels(kind="user").inc()
        self._verification.send(user)
        return user.id

    def login(self, data: LoginRequest, user_agent: str | None = None) -> AuthSession:
        """One answer (and about one duration) for an unknown user and a wrong password.

        Each account has a budget of failed logins (``HEARTH_RATE_LIMIT_LOGIN_FAILURES``) from whatever
        address: once spent, even the right password gets ``429`` until the window ends, so guessing
        from many addresses gets nowhere. Unknown names have budgets too (the answer must not tell them
        apart); a success spends and refills nothing.
        """
        username = data.username.lower()
        valid = is_valid_username(username)
        account = f"account:{username}"
        if valid:
            self._limits.ensure_allowed(LOGIN_FAILURES, account)
        user = self._users.by_username(username) if valid else None
        ok = verify_password(user.password_hash if user is not None else None, data.password)
        if user is not None and user.status == ERASING:  # deleted: as if it were gone already
            ok = False
        if user is None or not ok:
            if valid:  # a name that cannot exist cannot be guessed into: no counter to keep for it
                self._limits.count(LOGIN_FAILURES, account)
            app_metrics().login_failures.inc()
            raise InvalidCredentials()
        if user.status == SUSPENDED:  # the right password: telling them so reveals nothing
            raise AccountSuspended()
        if needs_rehash(user.password_hash) and not has_surrogates(data.password):
            user.password_hash = hash_password(data.password)
        return self._session_for(user, user_agent)

    def logout(self, token_id: int) -> None:
        """Revoke the caller's token at once; their other tokens stay valid."""
        self._tokens.revoke(token_id)

    def _session_for(self, user: User, user_agent: str | None) -> AuthSession:
        token = new_token()
        digest = token_digest(token)
        assert digest is not None
        self._tokens.create(user.id, digest, self._ttl, user_agent[:256] if user_agent else None)
        urls = views.avatar_urls(self._avatars, [user.avatar_media_id])
        return AuthSession(
            user=views.me(user, urls),
            access_token=token,
            token_type="bearer",  # noqa: S106 - the token scheme, not a secret
            expires_in=self._ttl,
        )
