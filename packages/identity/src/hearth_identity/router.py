"""Identity's HTTP face: thin handlers over the services (mounted under ``/api/v1``).

``GET /users/{id}`` and ``GET /users`` are connections' routes: they show how the caller relates to
each user."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, status

from hearth_platform.ratelimit import limit_per_address
from hearth_platform.routing import Router
from hearth_platform.security import CurrentUser
from hearth_platform.uow import provide

from .schemas import AuthSession, LoginRequest, Me, RegisterRequest, UpdateMeRequest
from .service import AccountService, ProfileService

router = Router()

Accounts = Annotated[AccountService, Depends(provide(AccountService))]
Profiles = Annotated[ProfileService, Depends(provide(ProfileService))]


def _problems(*codes: tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    return {
        code: {"description": description, "content": {"application/problem+json": {}}} for code, description in codes
    }


@router.post(
    "/auth/register",
    status_code=status.HTTP_201_CREATED,
    dependencies=[limit_per_address("register")],
    tags=["auth"],
    responses=_problems(
        (403, "`invite_required`"), (409, "`username_taken` or `email_taken`"), (422, "Invalid field"), (429, "")
    ),
)
def register(body: RegisterRequest, accounts: Accounts, request: Request) -> AuthSession:
    """Create an account and log in (a verification mail goes to the address)."""
    return accounts.register(body, request.headers.get("user-agent"))


@router.post(
    "/auth/login",
    dependencies=[limit_per_address("login")],
    tags=["auth"],
    responses=_problems((401, "`invalid_credentials`"), (403, "The account is suspended"), (429, "Rate limited")),
)
def login(body: LoginRequest, accounts: Accounts, request: Request) -> AuthSession:
    """Exchange a username and password for a bearer token."""
    return accounts.login(body, request.headers.get("user-agent"))


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"], responses=_problems((401, "")))
def logout(caller: CurrentUser, accounts: Accounts) -> None:
    """Revoke the token this request carries, at once."""
    accounts.logout(caller.token_id)


@router.get("/users/me", tags=["users"], responses=_problems((401, "Not authenticated")))
def get_me(caller: CurrentUser, profiles: Profiles) -> Me:
    return profiles.me(caller.user_id)


@router.patch(
    "/users/me",
    tags=["users"],
    responses=_problems((401, "Not authenticated"), (404, "Media that is not the caller's"), (422, "Invalid field")),
)
def update_me(body: UpdateMeRequest, caller: CurrentUser, profiles: Profiles) -> Me:
    """Change the display name, bio or avatar (``avatar_media_id: null`` clears it)."""
    return profiles.update_me(caller.user_id, body)
