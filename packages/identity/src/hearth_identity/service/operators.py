"""``Operators``: what ``hearth admin`` does, as one face for the composition root (apps/api)."""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError

from ..schemas import RegisterRequest
from .accounts import AccountService
from .invites import MODES, InviteService
from .lifecycle import AccountLifecycle


class InvalidInput(ValueError):
    pass


class Operators:
    def __init__(self, accounts: AccountService, lifecycle: AccountLifecycle, invites: InviteService) -> None:
        self._accounts = accounts
        self._lifecycle = lifecycle
        self._invites = invites

    def create_user(self, username: str, email: str, password: str, display_name: str | None = None) -> int:
        """An account whatever the registration mode (``InvalidInput`` as registration would refuse it)."""
        try:
            data = RegisterRequest(
                username=username, email=email, password=password, display_name=display_name or username
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            raise InvalidInput(f"{first['loc'][0]}: {first['msg']}") from None
        return self._accounts.create_by_operator(data)

    def set_suspended(self, username: str, suspended: bool) -> bool | None:
        """Suspend or unsuspend; ``None`` for no such account, ``False`` when it was so already."""
        user_id = self._lifecycle.find(username)
        if user_id is None:
            return None
        return self._lifecycle.suspend(user_id) if suspended else self._lifecycle.unsuspend(user_id)

    def create_invites(self, count: int, ttl_seconds: int | None = None) -> list[tuple[str, datetime]]:
        made = [self._invites.create(None, ttl_seconds=ttl_seconds) for _ in range(max(1, count))]
        return [(i.code, i.expires_at) for i in made]

    def registration_mode(self, new: str | None = None) -> str:
        if new is not None:
            if new not in MODES:
                raise InvalidInput(f"the registration mode is one of {', '.join(MODES)}")
            self._invites.set_mode(next(m for m in MODES if m == new))
        return self._invites.mode()
