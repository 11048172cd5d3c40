"""Who is calling: the bearer token, the ``CurrentUser`` dependency and the port that checks tokens."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from typing import Annotated, Protocol

from fastapi import Depends, Request

from .errors import TokenRejected, TokenRequired
from .routing import before_handler, run_before_handler
from .uow import UnitOfWork


class Principal:
    """The authenticated caller.

    ``CurrentUser`` hands a handler its caller before the token is checked: the check is a database read, so
    it runs in the handler's thread just before the handler (``hearth_platform.routing.before_handler``),
    saving the request a thread hop of its own. Reading the caller before then is a bug, and raises.
    """

    __slots__ = ("_ids", "_pending")

    def __init__(self, user_id: int | None = None, token_id: int | None = None) -> None:
        self._ids = None if user_id is None or token_id is None else (user_id, token_id)
        self._pending: Callable[[], None] | None = None

    def _checked(self) -> tuple[int, int]:
        if self._ids is None and self._pending is not None:
            # read before the handler (a route FastAPI runs itself): the check runs here, where it is read
            pending, self._pending = self._pending, None
            pending()
        if self._ids is None:
            raise RuntimeError("the caller was read before their token was checked")
        return self._ids

    @property
    def user_id(self) -> int:
        return self._checked()[0]

    @property
    def token_id(self) -> int:
        return self._checked()[1]

    def _become(self, checked: Principal) -> None:
        self._ids = checked._checked()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Principal) and self._ids is not None and self._ids == other._ids

    def __hash__(self) -> int:
        return hash(self._ids)

    def __repr__(self) -> str:
        if self._ids is None:
            return "Principal(<token not checked yet>)"
        return f"Principal(user_id={self._ids[0]}, token_id={self._ids[1]})"


class TokenAuthenticator(Protocol):
    """Checks a bearer token. Identity registers its implementation on the app's container."""

    def authenticate(self, token: str) -> Principal | None: ...

    def live_token_ids(self, token_ids: Collection[int]) -> set[int]:
        """Those of ``token_ids`` still live (neither revoked nor expired), in one statement: what long-lived
        answers (the live stream) re-check together."""
        ...


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


async def _current_user(request: Request, uow: UnitOfWork) -> Principal:
    token = bearer_token(_authorization(request))
    if token is None:
        raise TokenRequired()
    caller = Principal()
    route = uow.route
    if route is not None:  # a read that may use a replica: the token check is its first statement
        route.expect_caller()

    def check() -> None:  # in the handler's thread, first of its steps
        authenticator = uow.resolve(TokenAuthenticator)  # type: ignore[type-abstract]
        principal = authenticator.authenticate(token)
        if principal is None and route is not None and route.confirm_caller(None):
            # the replica that answered had not replayed a write that may have created this token (a login)
            principal = authenticator.authenticate(token)
        if principal is None:
            raise TokenRejected()
        caller._become(principal)
        request.state.user_id = principal.user_id
        limiter = getattr(request.app.state, "rate_limiter", None)
        # a read on a replica: the caller's write mark and the floor ride on the rate limit's round trip
        peek = route.mark_keys(principal.user_id) if route is not None and route.on_replica else ()
        marks = None
        if limiter is not None:  # every authenticated request counts in the "default" family, per user
            peeked = limiter.check("default", f"user:{principal.user_id}", scope=request.scope, peek=peek)
            marks = peeked if peek else None
        if route is not None and route.confirm_caller(principal.user_id, marks):
            # the replica that answered had not replayed a write that may have revoked this token
            principal = authenticator.authenticate(token)
            if principal is None:
                raise TokenRejected()
            caller._become(principal)

    before_handler(request.scope, check)
    caller._pending = functools.partial(run_before_handler, request.scope)
    return caller


CurrentUser = Annotated[Principal, Depends(_current_user)]
