"""Wiring of the identity package: its services, the ports it needs, its router and its authenticator."""

from __future__ import annotations

import punq
from fastapi import APIRouter

import hearth_identity
import hearth_storage
from hearth_identity import (
    AccountService,
    AvatarMedia,
    BearerTokenAuthenticator,
    ProfileService,
    UserDirectory,
)
from hearth_platform.settings import Settings


def register(container: punq.Container, settings: Settings) -> None:
    # Ports identity needs from its neighbours.
    # Relationships is satisfied by ConnectionsService in wiring/connections.py.
    container.register(AvatarMedia, hearth_storage.MediaService)
    # Identity's services, built per unit of work with the request's session.
    container.register(AccountService)
    container.register(ProfileService)
    container.register(UserDirectory)  # for neighbours' ports (e.g. connections' user lookups)
    container.register(BearerTokenAuthenticator)


def routers() -> list[APIRouter]:
    return [hearth_identity.router]  # an attribute of the face (``from ... import router`` reads as the module)


def authenticator_type() -> type[BearerTokenAuthenticator]:
    """The type registered for token checks (``CurrentUser`` resolves it per request)."""
    return BearerTokenAuthenticator
