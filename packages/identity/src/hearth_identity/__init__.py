"""Hearth identity: users, credentials and bearer tokens.

The face: the services the app wires (``AccountService``, ``ProfileService``, ``UserDirectory``,
``BearerTokenAuthenticator``), the objects neighbours receive (``UserSummary``, ``UserProfile``), the API
objects, the ports identity needs (``Relationships``, ``AvatarMedia``), its errors and ``router``.
"""

from .errors import EmailTaken, InvalidCredentials, UsernameTaken, UserNotFound
from .ports import AvatarMedia, Relationships
from .router import router
from .schemas import ConnectionStatus, Me, PublicUser, UserProfile, UserSummary
from .service import AccountService, BearerTokenAuthenticator, ProfileService, UserDirectory

__all__ = [
    "AccountService",
    "AvatarMedia",
    "BearerTokenAuthenticator",
    "ConnectionStatus",
    "EmailTaken",
    "InvalidCredentials",
    "Me",
    "ProfileService",
    "PublicUser",
    "Relationships",
    "UserDirectory",
    "UserNotFound",
    "UserProfile",
    "UserSummary",
    "UsernameTaken",
    "router",
]
