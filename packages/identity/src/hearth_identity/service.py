"""Identity's services, one module per use case:

- :class:`AccountService` (``accounts.py``): register, log in, log out.
- :class:`ProfileService` (``profiles.py``): the caller's account, public profiles, user search; it needs
  the ``Relationships`` (connections) and ``AvatarMedia`` (storage) ports.
- :class:`UserDirectory` (``directory.py``): read-only batched user reads for neighbours; it needs only
  ``AvatarMedia``, so connections can depend on it without a cycle.
- :class:`BearerTokenAuthenticator` (``authenticator.py``): the token check behind ``CurrentUser``.
"""

from __future__ import annotations

from .accounts import AccountService
from .authenticator import BearerTokenAuthenticator
from .directory import UserDirectory
from .profiles import ProfileService

__all__ = ["AccountService", "BearerTokenAuthenticator", "ProfileService", "UserDirectory"]
