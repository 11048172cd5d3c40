"""Identity's HTTP face: thin handlers over the services (mounted under ``/api/v1``).

``GET /users/{id}`` and ``GET /users`` are connections' routes: they show how the caller relates to
each user."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Response, status

from hearth_platform.ratelimit import limit_per_address
from hearth_platform.routing import Router, locate, waits
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
@waits  # hashes a password (argon2id, tens of ms)
def register(body: RegisterRequest, accounts: Accounts, request: Request, response: Response) -> AuthSession:
    """Register an account

    Creates an account and logs it in: the answer carries the new user and a bearer token for every other
    route, and a mail with a link to verify the address goes out. Usernames are case-insensitive (stored
    lower-case); `409 username_taken` or `409 email_taken` when either is in use; `403 invite_required`
    when registration is by invitation and no valid invite came with it. `Location` is the new user's path.
    """
    session = accounts.register(body, request.headers.get("user-agent"))
    locate(response, f"/users/{session.user.id}")
    return session


@router.post(
    "/auth/login",
    dependencies=[limit_per_address("login")],
    tags=["auth"],
    responses=_problems((401, "`invalid_credentials`"), (403, "The account is suspended"), (429, "Rate limited")),
)
@waits  # hashes a password (argon2id, tens of ms)
def login(body: LoginRequest, accounts: Accounts, request: Request) -> AuthSession:
    """Log in

    Exchanges a username and password for a bearer token. An unknown user and a wrong password get the
    same `401 invalid_credentials`; a suspended account gets `403`; too many failed logins for one account
    get `429` for a while, even with the right password.
    """
    return accounts.login(body, request.headers.get("user-agent"))


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"], responses=_problems((401, "")))
def logout(caller: CurrentUser, accounts: Accounts) -> None:
    """Log out

    Revokes the bearer token this request carries, at once: any later request with it gets `401`. The
    caller's other tokens stay valid.
    """
    accounts.logout(caller.token_id)


@router.get("/users/me", tags=["users"], responses=_problems((401, "Not authenticated")))
def get_me(caller: CurrentUser, profiles: Profiles) -> Me:
    """Get the caller's account

    The caller's own profile, with what only they see of it: their email address and when they joined.
    """
    return profiles.me(caller.user_id)


@router.patch(
    "/users/me",
    tags=["users"],
    responses=_problems((401, "Not authenticated"), (404, "Media that is not the caller's"), (422, "Invalid field")),
)
def update_me(body: UpdateMeRequest, caller: CurrentUser, profiles: Profiles) -> Me:
    """Update the caller's profile

    Changes the display name, bio or avatar: only the fields present change, and
    `avatar_media_id: null` clears the avatar. The avatar must be a media of the caller's, uploaded
    (`404` otherwise); whoever can see the caller can see it.
    """
    return profiles.update_me(caller.user_id, body)
