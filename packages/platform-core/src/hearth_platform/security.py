"""Who is calling: the bearer token, the ``CurrentUser`` dependency and the port that checks tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, Request

from .errors import Unauthorized
from .uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    user_id: int
    token_id: int


class TokenAuthenticator(Protocol):
    """Checks a bearer token. Identity registers its implementation on the app's container."""

    def authenticate(self, token: str) -> Principal | None: ...


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 256:
        return None
    return token


def _current_user(request: Request, uow: UnitOfWork) -> Principal:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("A bearer token is required.")
    principal = uow.resolve(TokenAuthenticator).authenticate(token)  # type: ignore[type-abstract]
    if principal is None:
        raise Unauthorized("The bearer token is invalid, expired or revoked.")
    request.state.user_id = principal.user_id
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:  # every authenticated request counts in the "default" family, per user
        limiter.check("default", f"user:{principal.user_id}")
    return principal


CurrentUser = Annotated[Principal, Depends(_current_user)]
