"""Who is calling: the bearer token, the ``CurrentUser`` dependency and the port that checks tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, Request

from .errors import TokenRejected, TokenRequired
from .uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    user_id: int
    token_id: int


class TokenAuthenticator(Protocol):
    """Checks a bearer token. Identity registers its implementation on the app's container."""

    def authenticate(self, token: str) -> Principal | None: ...


_MAX_TOKEN = 256


def bearer_token(raw: bytes | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (raw bytes); ``None`` when missing or malformed.
    The one rule: the middleware's gate and ``CurrentUser`` both read the header with it."""
    if not raw:
        return None
    scheme, _, token = raw.partition(b" ")
    token = token.strip()
    if scheme.lower() != b"bearer" or not token or len(token) > _MAX_TOKEN:
        return None
    try:
        return token.decode("ascii")
    except UnicodeDecodeError:
        return None


def _authorization(request: Request) -> bytes | None:
    for name, value in request.scope["headers"]:
        if name == b"authorization":
            return bytes(value)
    return None


def _current_user(request: Request, uow: UnitOfWork) -> Principal:
    token = bearer_token(_authorization(request))
    if token is None:
        raise TokenRequired()
    principal = uow.resolve(TokenAuthenticator).authenticate(token)  # type: ignore[type-abstract]
    if principal is None:
        raise TokenRejected()
    request.state.user_id = principal.user_id
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:  # every authenticated request counts in the "default" family, per user
        limiter.check("default", f"user:{principal.user_id}", scope=request.scope)
    return principal


CurrentUser = Annotated[Principal, Depends(_current_user)]
