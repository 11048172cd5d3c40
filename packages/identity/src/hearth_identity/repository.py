"""All of identity's SQL. Batched reads take ids and answer mappings; nothing runs one query per row."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    LargeBinary,
    String,
    any_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from hearth_platform.ids import valid_id, valid_ids
from hearth_platform.statements import CompiledRead, int_array, int_array_param

from .models import ACTIVE, AuthToken, User
from .text import like_prefix


@dataclass(frozen=True, slots=True)
class UserRow:
    """The public columns of a user (no email, no password hash)."""

    id: int
    username: str
    display_name: str
    avatar_media_id: int | None
    bio: str


_USER_ROWS = CompiledRead(
    lambda: select(User.id, User.username, User.display_name, User.avatar_media_id, User.bio).where(
        User.id == any_(int_array_param("ids")), User.status == ACTIVE
    )
)
"""Users as others see them: a suspended account, or one being erased, is nobody (left out, as unknown)."""
_EXISTING_IDS = CompiledRead(
    lambda: select(User.id).where(User.id == any_(int_array_param("ids")), User.status == ACTIVE)
)


class DuplicateUser(Exception):
    """A unique constraint refused the user; ``field`` is ``"username"`` or ``"email"``."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, user: User) -> None:
        """Insert ``user``; a clash on username or email raises :class:`DuplicateUser`.

        The insert runs in a SAVEPOINT, so a violation (also one raised by a concurrent registration
        that committed first) leaves the request's transaction usable.
        """
        try:
            with self.session.begin_nested():
                self.session.add(user)
                self.session.flush()
        except IntegrityError as exc:
            constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None) or ""
            if constraint == "uq_users_username":
                raise DuplicateUser("username") from exc
            if constraint == "uq_users_email":
                raise DuplicateUser("email") from exc
            raise

    def get(self, user_id: int) -> User | None:
        if not valid_id(user_id):
            return None
        return self.session.get(User, user_id)

    def by_username(self, username: str) -> User | None:
        return self.session.scalars(select(User).where(User.username == username)).one_or_none()

    def active_by_email(self, email: str) -> User | None:
        return self.session.scalars(select(User).where(User.email == email, User.status == ACTIVE)).one_or_none()

    def lock(self, user_id: int) -> User | None:
        """The user, row-locked until the transaction ends (status changes, password changes)."""
        if not valid_id(user_id):
            return None
        stmt = select(User).where(User.id == user_id).with_for_update()
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    @staticmethod
    def exists_clause(user_id: ColumnElement[int]) -> ColumnElement[bool]:
        """The user ``user_id`` exists and is active (as ``existing_ids`` decides): one probe of the key."""
        return select(User.id).where(User.id == user_id, User.status == ACTIVE).exists()

    @staticmethod
    def summary_column(user_id: ColumnElement[int] | InstrumentedAttribute[int]) -> ColumnElement[Any]:
        """The user in column ``user_id`` as others see them, read by the statement that shows the user: one
        probe of the key per row. ``[username, display_name, avatar media id as text]``, or ``[]`` for a user
        who is nobody (suspended, being erased, unknown), as ``rows`` leaves them out."""
        fields = array([User.username, User.display_name, cast(User.avatar_media_id, String)])
        read = select(fields).where(User.id == user_id, User.status == literal_column(f"'{ACTIVE}'", String))
        return func.coalesce(read.scalar_subquery(), literal_column("'{}'::text[]", ARRAY(String)))

    @staticmethod
    def active_clause(user_id: ColumnElement[int] | InstrumentedAttribute[int]) -> ColumnElement[bool]:
        """The user in column ``user_id`` is active: a per-row probe of the partial index of the (few) others,
        ``ix_users_inactive`` (usually empty: the probe reads one index page)."""
        return ~(
            select(literal(1))
            # 'active' written in, not bound: a prepared statement's generic plan can then use the partial
            # index (with a parameter it probed the key and read each user's row)
            .where(User.id == user_id, User.status != literal_column(f"'{ACTIVE}'", String))
            .offset(0)  # a fence: a probe per row read, never a hash of the table
            .exists()
        )

    def ids_by_username(self, usernames: Collection[str]) -> dict[str, int]:
        """``username -> id`` of the active users among ``usernames`` (stored lower-case): a suspended account, or
        one being erased, is nobody, as in ``rows``."""
        names = sorted({u.lower() for u in usernames})
        if not names:
            return {}
        stmt = select(User.username, User.id).where(User.username.in_(names), User.status == ACTIVE)
        rows = self.session.execute(stmt)
        return {r.username: r.id for r in rows}

    def rows(self, user_ids: Collection[int]) -> dict[int, UserRow]:
        ids = valid_ids(user_ids)
        if not ids:
            return {}
        return {r[0]: UserRow(*r) for r in _USER_ROWS.all(self.session, {"ids": int_array(ids)})}

    @staticmethod
    def avatar_clause(media_id: ColumnElement[int], owner_id: ColumnElement[int]) -> ColumnElement[bool]:
        """The media in column ``media_id`` is the current avatar of the user in column ``owner_id``."""
        return select(User.id).where(User.id == owner_id, User.avatar_media_id == media_id).exists()

    def existing_ids(self, user_ids: Collection[int]) -> set[int]:
        ids = valid_ids(user_ids)
        if not ids:
            return set()
        return {r[0] for r in _EXISTING_IDS.all(self.session, {"ids": int_array(ids)})}

    def search(self, prefix: str, *, after: str | None, exclude: Collection[int], limit: int) -> list[UserRow]:
        """Users whose username or display name starts with ``prefix`` (case-insensitive), by username."""
        pattern = like_prefix(prefix)
        stmt = select(User.id, User.username, User.display_name, User.avatar_media_id, User.bio).where(
            or_(User.username.ilike(pattern, escape="\\"), User.display_name.ilike(pattern, escape="\\")),
            User.status == ACTIVE,
        )
        if after is not None:
            stmt = stmt.where(User.username > after)
        if exclude:
            stmt = stmt.where(User.id.not_in(list(exclude)))
        stmt = stmt.order_by(User.username).limit(limit)
        return [UserRow(r.id, r.username, r.display_name, r.avatar_media_id, r.bio) for r in self.session.execute(stmt)]


_LIVE_TOKEN = CompiledRead(
    lambda: select(AuthToken.id, AuthToken.user_id).where(
        AuthToken.token_hash == bindparam("hash", type_=LargeBinary),
        AuthToken.revoked_at.is_(None),
        AuthToken.expires_at > func.now(),
    )
)


_LIVE_TOKEN_IDS = CompiledRead(
    lambda: select(AuthToken.id).where(
        AuthToken.id == any_(bindparam("ids", type_=ARRAY(BigInteger))),
        AuthToken.revoked_at.is_(None),
        AuthToken.expires_at > func.now(),
    )
)


class TokenRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def create(
        self, user_id: int, token_hash: bytes, ttl_seconds: int, user_agent: str | None = None
    ) -> tuple[int, datetime]:
        """Store a token expiring ``ttl_seconds`` from the database's now; returns its id and expiry."""
        stmt = (
            insert(AuthToken)
            .values(
                user_id=user_id,
                token_hash=token_hash,
                expires_at=func.now() + timedelta(seconds=ttl_seconds),
                last_used_at=func.now(),
                user_agent=user_agent,
            )
            .returning(AuthToken.id, AuthToken.expires_at)
        )
        row = self.session.execute(stmt).one()
        return row.id, row.expires_at

    def live_ids(self, token_ids: Collection[int]) -> set[int]:
        """Those of ``token_ids`` neither revoked nor expired."""
        return {r.id for r in _LIVE_TOKEN_IDS.all(self.session, {"ids": list(token_ids)})}

    def revoke(self, token_id: int) -> None:
        self.session.execute(
            update(AuthToken)
            .where(AuthToken.id == token_id, AuthToken.revoked_at.is_(None))
            .values(revoked_at=func.now())
        )

    def revoke_all(self, user_id: int, *, except_id: int | None = None) -> None:
        """Revoke every live token of the user (but ``except_id``), at once."""
        stmt = update(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
        if except_id is not None:
            stmt = stmt.where(AuthToken.id != except_id)
        self.session.execute(stmt.values(revoked_at=func.now()))

    def revoke_own(self, user_id: int, token_id: int) -> bool:
        """Revoke the user's live token ``token_id``; whether there was one (another user's is not)."""
        if not valid_id(token_id):
            return False
        stmt = (
            update(AuthToken)
            .where(
                AuthToken.id == token_id,
                AuthToken.user_id == user_id,
                AuthToken.revoked_at.is_(None),
                AuthToken.expires_at > func.now(),
            )
            .values(revoked_at=func.now())
        )
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def live_sessions(self, user_id: int) -> list[AuthToken]:
        """The user's tokens that still authenticate, newest first."""
        stmt = (
            select(AuthToken)
            .where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None), AuthToken.expires_at > func.now())
            .order_by(AuthToken.id.desc())
        )
        return list(self.session.scalars(stmt))

    def purge(self) -> int:
        """Delete the tokens that authenticate no one any more (expired or revoked); how many."""
        stmt = delete(AuthToken).where(or_(AuthToken.expires_at <= func.now(), AuthToken.revoked_at.is_not(None)))
        return int(self.session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]

    def live(self, token_hash: bytes) -> tuple[int, int] | None:
        """``(token_id, user_id)`` of a token that exists, is not revoked and has not expired: one statement."""
        rows = _LIVE_TOKEN.all(self.session, {"hash": token_hash})
        return (rows[0][0], rows[0][1]) if rows else None
