"""What a request must pass before the app reads a byte of its body: its Host and, under ``/api/``, its token.

FastAPI reads and parses a body before it solves a route's dependencies, so a route's own token check
(``CurrentUser``) comes after the body is in memory. The platform middleware asks here first:

- **Host**: with ``HEARTH_ALLOWED_HOSTS`` set, any other ``Host`` is refused (400). Probes and scrapers
  call the operations routes by address, so those are left alone.
- **Token**: a body sent to an ``/api/`` route that needs a token (every route but those declared without
  ``CurrentUser``: register and login) is refused (401) unless a well-formed bearer token comes with it.
- **A well-formed token** is looked up before the body is read only when the body is bigger than
  :data:`PREAUTH_BODY_BYTES` or of unknown length (chunked). Looking up every token twice (here, then in
  the route) would cost every write a query to save at most 64 KiB per connection, held for one
  request: every body this API takes from a client (a post, a comment) fits in 64 KiB, so a larger one
  is rare from a client and costs one extra lookup, while a forged token never gets more than 64 KiB read.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable, Iterator
from typing import Any

import anyio.to_thread

from .container import MissingDependency
from .routing import OffloadedRoute
from .security import CurrentUser, TokenAuthenticator
from .uow import UnitOfWork, unit_of_work

PREAUTH_BODY_BYTES = 64 * 1024
"""The most of a body read before its bearer token has been checked."""

API_PREFIX = "/api/"

_AUTHENTICATED = typing.get_args(CurrentUser)[1].dependency  # the dependency behind CurrentUser
_OPENS_UNIT_OF_WORK = typing.get_args(UnitOfWork)[1].dependency


class HostAllowlist:
    """``HEARTH_ALLOWED_HOSTS``: exact names, ``.example.com`` for a domain and its subdomains, ``*`` for any."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(names)
        self.any = "*" in self.names
        self.domains = tuple(name for name in self.names if name.startswith("."))

    def allows(self, raw: bytes | None) -> bool:
        if self.any:
            return True
        if raw is None:
            return False
        host = host_name(raw)
        return host in self.names or any(host == d[1:] or host.endswith(d) for d in self.domains)


def host_name(raw: bytes) -> str:
    """The host of a ``Host`` header, lowercased, without its port (or the brackets of an IPv6 address)."""
    value = raw.decode("latin-1").strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def relative_location(location: bytes, host: bytes) -> bytes:
    """A redirect the app built from the request's ``Host`` (Starlette's trailing-slash redirect), made
    relative: whatever a client put in ``Host`` never becomes where it is sent next."""
    for scheme in (b"http://", b"https://"):
        if location.lower().startswith(scheme):
            rest = location[len(scheme) :]
            authority, slash, path = rest.partition(b"/")
            if authority.lower() == host.lower().strip():
                return slash + path if slash else b"/"
    return location


class OpenRoutes:
    """The ``/api/`` routes that take no token (no ``CurrentUser`` among their dependencies), by method."""

    def __init__(self, app: Any) -> None:
        self.routes: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
            (regex, frozenset(methods or ()))
            for path, regex, methods, dependant in _routes(app)
            if path.startswith(API_PREFIX) and not _needs(dependant, _AUTHENTICATED)
        )

    def match(self, method: str, path: str) -> bool:
        return any(method in methods and regex.match(path) for regex, methods in self.routes)


def _routes(app: Any) -> Iterator[tuple[str, re.Pattern[str], Any, Any]]:
    """Every API route of the app with its full path (the routes of included routers with their prefixes)."""
    for path, regex, methods, dependant, _ in _routes_with_origin(app):
        yield path, regex, methods, dependant


def _routes_with_origin(app: Any) -> Iterator[tuple[str, re.Pattern[str], Any, Any, Any]]:
    """:func:`_routes`, each with the route it was declared as (an included router's route is seen through
    an inclusion context)."""
    for candidate in getattr(app, "routes", ()):
        contexts = getattr(candidate, "effective_route_contexts", None)
        found = contexts() if callable(contexts) else [candidate]
        for route in found:
            dependant = getattr(route, "dependant", None)
            regex = getattr(route, "path_regex", None)
            if dependant is not None and regex is not None:
                original = getattr(route, "original_route", route)
                yield str(route.path), regex, getattr(route, "methods", None), dependant, original


def require_units_of_work_ended(app: Any) -> None:
    """Refuse an app with a route that opens a unit of work but would not end it: only an
    ``OffloadedRoute`` (``hearth_platform.routing.Router``) commits one, so another route's writes would
    be rolled back after the client was told they succeeded."""
    wrong = [
        f"{sorted(methods or ())} {path}"
        for path, _, methods, dependant, original in _routes_with_origin(app)
        if not isinstance(original, OffloadedRoute) and _needs(dependant, _OPENS_UNIT_OF_WORK)
    ]
    if wrong:
        raise TypeError(f"routes not declared on hearth_platform.routing.Router use a unit of work: {wrong}")


def _needs(dependant: Any, call: Any) -> bool:
    return any(sub.call is call or _needs(sub, call) for sub in dependant.dependencies)


async def token_is_live(app: Any, token: str) -> bool:
    """Whether ``token`` authenticates someone now (the app's ``TokenAuthenticator``, in a worker thread)."""
    state = app.state

    def check() -> bool:
        with unit_of_work(state.database, state.event_bus, state.container) as uow:
            try:
                authenticator = uow.resolve(TokenAuthenticator)  # type: ignore[type-abstract]
            except MissingDependency:  # an app without identity has no token to accept
                return False
            return authenticator.authenticate(token) is not None

    return await anyio.to_thread.run_sync(check)
