"""``InviteService``: invites and the registration mode (API.md, "Registration modes and invites").

The mode is ``HEARTH_REGISTRATION_MODE`` unless an operator changed it at run time (``hearth admin
registration-mode``: a row of ``site_settings``, read at each registration). ``open``: anyone registers (an
invite code is used when valid, e.g. to connect); ``invite``: a valid code is needed; ``closed``: nobody
registers through the API. Without a needed valid code: ``403 invite_required``.

Each user has at most ``HEARTH_INVITE_QUOTA`` open invites (unused, unexpired; default 10): one more is
``429``, ``Retry-After`` when the soonest expires. Creations of one inviter are serialised (an advisory
lock), so concurrent requests cannot pass the quota.
"""

from __future__ import annotations

import math
import secrets
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.orm import Session

from hearth_platform.pagination import Page, PageRequest, split_page
from hearth_platform.settings import Settings

from ..account_repository import Invites, SiteSettings
from ..errors import InviteNotFound, InviteQuotaExceeded, InviteRequired, InviteUsed
from ..models import Invite
from ..schemas import InviteOut
from .directory import UserDirectory

Mode = Literal["open", "invite", "closed"]
MODES: tuple[Mode, ...] = ("open", "invite", "closed")
REGISTRATION_MODE = "registration_mode"


class InviteService:
    def __init__(self, session: Session, settings: Settings, users: UserDirectory) -> None:
        self._settings = settings
        self._invites = Invites(session)
        self._site = SiteSettings(session)
        self._users = users

    # -- the mode ---------------------------------------------------------------------------------------

    def mode(self) -> Mode:
        stored = self._site.get(REGISTRATION_MODE)
        for mode in MODES:
            if stored == mode:
                return mode
        return self._settings.registration_mode

    def set_mode(self, mode: Mode) -> None:
        if mode not in MODES:
            raise ValueError(f"the registration mode is one of {', '.join(MODES)}")
        self._site.set(REGISTRATION_MODE, mode)

    def check_registration(self, code: str | None) -> None:
        """Before a registration: refuse it when the mode needs a valid code it does not have."""
        mode = self.mode()
        if mode == "closed" or (mode == "invite" and (code is None or not self._invites.is_open(code))):
            raise InviteRequired()

    def accept(self, code: str | None, invitee_id: int) -> tuple[int | None, bool] | None:
        """Spend the code for the new user (once: a concurrent registration with it gets ``invite_required``
        when the mode needs it). ``(inviter_id, connect)`` of the invite used, if one was."""
        if code is None:
            return None
        used = self._invites.use(code, invitee_id)
        if used is None and self.mode() != "open":
            raise InviteRequired()
        return used

    # -- a user's invites -------------------------------------------------------------------------------

    def create(self, inviter_id: int | None, connect: bool = False, ttl_seconds: int | None = None) -> InviteOut:
        """A new invite (``inviter_id`` None: an operator's, never counted against a quota)."""
        if inviter_id is not None:
            self._invites.lock_inviter(inviter_id)
            open_expiries = self._invites.open_expiries(inviter_id)
            quota = self._settings.invite_quota
            if len(open_expiries) >= quota:
                soonest = open_expiries[0] if open_expiries else datetime.now(UTC)
                wait = math.ceil((soonest - datetime.now(UTC)).total_seconds())
                raise InviteQuotaExceeded(quota, max(1, wait))
        code = secrets.token_urlsafe(16)
        invite = self._invites.add(
            inviter_id, code, connect and inviter_id is not None, ttl_seconds or self._settings.invite_ttl_seconds
        )
        return self._views([invite])[0]

    def page(self, inviter_id: int, page: PageRequest) -> Page[InviteOut]:
        kind = f"invites:{inviter_id}"
        rows, more = split_page(self._invites.page(inviter_id, page.keyset(kind), page.limit + 1), page.limit)
        cursor = page.next_cursor(kind, [rows[-1].created_at, rows[-1].id] if more else None)
        return Page(items=self._views(rows), next_cursor=cursor)

    def withdraw(self, inviter_id: int, invite_id: int) -> None:
        invite = self._invites.get(inviter_id, invite_id)
        if invite is None:
            raise InviteNotFound(invite_id)
        if invite.used_at is not None:
            raise InviteUsed()
        self._invites.delete(invite.id)

    def _views(self, invites: list[Invite]) -> list[InviteOut]:
        used_by = self._users.summaries({i.used_by_id for i in invites if i.used_by_id is not None})
        return [
            InviteOut(
                id=i.id,
                code=i.code,
                connect=i.connect,
                created_at=i.created_at.astimezone(UTC),
                expires_at=i.expires_at.astimezone(UTC),
                used_by=used_by.get(i.used_by_id) if i.used_by_id is not None else None,
            )
            for i in invites
        ]
