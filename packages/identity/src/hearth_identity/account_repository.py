"""Identity's SQL for the account lifecycle: one-time tokens (reset, verification), exports, and erasing
an account's own rows. (Users and bearer tokens: ``repository.py``.)"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hearth_platform.database import advisory_lock_key
from hearth_platform.ids import valid_id

from .models import EXPORT_PENDING, AccountExport, AuthToken, Invite, OneTimeToken, SiteSetting, User


class OneTimeTokens:
    def __init__(self, session: Session) -> None:
        self.session = session

    def create(self, user_id: int, kind: str, token_hash: bytes, ttl_seconds: int) -> None:
        """A new token of ``kind``; the user's earlier unused ones of that kind stop working (the newest link
        mailed is the one that works)."""
        self.session.execute(
            update(OneTimeToken)
            .where(OneTimeToken.user_id == user_id, OneTimeToken.kind == kind, OneTimeToken.used_at.is_(None))
            .values(used_at=func.now())
        )
        self.session.execute(
            insert(OneTimeToken).values(
                user_id=user_id,
                kind=kind,
                token_hash=token_hash,
                expires_at=func.now() + timedelta(seconds=ttl_seconds),
            )
        )

    def use(self, kind: str, token_hash: bytes) -> int | None:
        """Spend a live token of ``kind`` (unused, unexpired, of an active account): its user's id, once."""
        stmt = (
            update(OneTimeToken)
            .where(
                OneTimeToken.token_hash == token_hash,
                OneTimeToken.kind == kind,
                OneTimeToken.used_at.is_(None),
                OneTimeToken.expires_at > func.now(),
                OneTimeToken.user_id.in_(select(User.id).where(User.status == "active")),
            )
            .values(used_at=func.now())
            .returning(OneTimeToken.user_id)
        )
        return self.session.execute(stmt).scalar_one_or_none()

    def purge(self) -> int:
        """Delete the tokens that can no longer be used: used or expired."""
        stmt = delete(OneTimeToken).where(or_(OneTimeToken.used_at.is_not(None), OneTimeToken.expires_at <= func.now()))
        return int(self.session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


class ExportRunning(Exception):
    pass


class Exports:
    def __init__(self, session: Session) -> None:
        self.session = session

    def start(self, user_id: int) -> AccountExport:
        """A pending export; :class:`ExportRunning` when one is pending already (the partial unique index
        decides, in a savepoint, so two concurrent requests cannot both start one)."""
        export = AccountExport(user_id=user_id, status=EXPORT_PENDING)
        try:
            with self.session.begin_nested():
                self.session.add(export)
                self.session.flush()
        except IntegrityError as exc:
            raise ExportRunning() from exc
        return export

    def get(self, export_id: int, *, user_id: int | None = None, lock: bool = False) -> AccountExport | None:
        if not valid_id(export_id):
            return None
        stmt = select(AccountExport).where(AccountExport.id == export_id)
        if user_id is not None:
            stmt = stmt.where(AccountExport.user_id == user_id)
        if lock:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).one_or_none()

    def expired(self, older_than_seconds: int, limit: int = 200) -> list[AccountExport]:
        """Finished exports older than the given age (their files are deleted with them)."""
        stmt = (
            select(AccountExport)
            .where(
                AccountExport.status != EXPORT_PENDING,
                AccountExport.created_at < func.now() - timedelta(seconds=older_than_seconds),
            )
            .order_by(AccountExport.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(stmt))

    def keys_of(self, user_id: int) -> list[str]:
        stmt = select(AccountExport.key).where(AccountExport.user_id == user_id, AccountExport.key.is_not(None))
        return [k for k in self.session.scalars(stmt) if k]

    def fail_stale(self, older_than_seconds: int, failed: str) -> None:
        self.session.execute(
            update(AccountExport)
            .where(
                AccountExport.status == EXPORT_PENDING,
                AccountExport.created_at < func.now() - timedelta(seconds=older_than_seconds),
            )
            .values(status=failed, finished_at=func.now())
        )

    def delete(self, export_ids: list[int]) -> None:
        if export_ids:
            self.session.execute(delete(AccountExport).where(AccountExport.id.in_(export_ids)))


class Invites:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_inviter(self, inviter_id: int) -> None:
        """Serialise one inviter's invite creations until the transaction ends (the quota holds under races)."""
        self.session.execute(select(func.pg_advisory_xact_lock(advisory_lock_key(f"hearth.invites:{inviter_id}"))))

    def open_expiries(self, inviter_id: int) -> list[datetime]:
        """When each of the inviter's open invites (unused, unexpired) expires, soonest first."""
        stmt = (
            select(Invite.expires_at)
            .where(Invite.inviter_id == inviter_id, Invite.used_at.is_(None), Invite.expires_at > func.now())
            .order_by(Invite.expires_at)
        )
        return list(self.session.scalars(stmt))

    def add(self, inviter_id: int | None, code: str, connect: bool, ttl_seconds: int) -> Invite:
        invite = Invite(
            inviter_id=inviter_id, code=code, connect=connect, expires_at=func.now() + timedelta(seconds=ttl_seconds)
        )
        self.session.add(invite)
        self.session.flush()
        self.session.refresh(invite)
        return invite

    def page(self, inviter_id: int, after: tuple[datetime, int] | None, limit: int) -> list[Invite]:
        stmt = select(Invite).where(Invite.inviter_id == inviter_id)
        if after is not None:
            stmt = stmt.where(tuple_(Invite.created_at, Invite.id) < tuple_(*after))
        return list(self.session.scalars(stmt.order_by(Invite.created_at.desc(), Invite.id.desc()).limit(limit)))

    def get(self, inviter_id: int, invite_id: int) -> Invite | None:
        if not valid_id(invite_id):
            return None
        stmt = select(Invite).where(Invite.id == invite_id, Invite.inviter_id == inviter_id).with_for_update()
        return self.session.scalars(stmt).one_or_none()

    def is_open(self, code: str) -> bool:
        stmt = select(Invite.id).where(Invite.code == code, Invite.used_at.is_(None), Invite.expires_at > func.now())
        return self.session.execute(stmt).first() is not None

    def use(self, code: str, invitee_id: int) -> tuple[int | None, bool] | None:
        """Spend an open invite for ``invitee_id``: ``(inviter_id, connect)``, once (a concurrent use of the same
        code finds it used)."""
        stmt = (
            update(Invite)
            .where(Invite.code == code, Invite.used_at.is_(None), Invite.expires_at > func.now())
            .values(used_at=func.now(), used_by_id=invitee_id)
            .returning(Invite.inviter_id, Invite.connect)
        )
        row = self.session.execute(stmt).first()
        return (row[0], bool(row[1])) if row is not None else None

    def delete(self, invite_id: int) -> None:
        self.session.execute(delete(Invite).where(Invite.id == invite_id))


class SiteSettings:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, name: str) -> str | None:
        return self.session.scalar(select(SiteSetting.value).where(SiteSetting.name == name))

    def set(self, name: str, value: str) -> None:
        stmt = pg_insert(SiteSetting).values(name=name, value=value)
        self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[SiteSetting.name], set_={"value": value, "updated_at": func.now()}
            )
        )


def erase_identity_rows(session: Session, user_id: int) -> None:
    """The account's own rows, the user last (what still pointed at it went before, each package its own)."""
    # an invite it used stays used; the invites it made go
    session.execute(update(Invite).where(Invite.used_by_id == user_id).values(used_by_id=None))
    session.execute(delete(Invite).where(Invite.inviter_id == user_id))
    for table, column in (
        (OneTimeToken, OneTimeToken.user_id),
        (AccountExport, AccountExport.user_id),
        (AuthToken, AuthToken.user_id),
    ):
        session.execute(delete(table).where(column == user_id))
    session.execute(delete(User).where(User.id == user_id))
