"""Hearth identity: users, credentials and bearer tokens.

The face: ``UserDirectory`` (batched user reads and search, for the layers above), the user API objects
(``UserSummary``, ``UserProfile``, ``PublicUser``, ``ConnectionStatus``), ``UserNotFound``, and ``package``
(what an app mounts: the services, the token check behind ``CurrentUser``, the auth and ``/users/me`` routes).
"""

from .errors import UserNotFound
from .package import package
from .schemas import ConnectionStatus, PublicUser, UserProfile, UserSummary
from .service import UserDirectory

__all__ = ["ConnectionStatus", "PublicUser", "UserDirectory", "UserNotFound", "UserProfile", "UserSummary", "package"]
