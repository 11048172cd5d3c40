"""Identity's services, one module per use case:

- :class:`AccountService` (``service/accounts.py``): register, log in, log out.
- :class:`ProfileService` (``service/profiles.py``): the caller's own account.
- :class:`UserDirectory` (``service/directory.py``): batched user reads and search for the layers above.
- :class:`BearerTokenAuthenticator` (``service/authenticator.py``): the token check behind ``CurrentUser``.
"""

from __future__ import annotations

from .accounts import AccountService
from .authenticator import BearerTokenAuthenticator
from .directory import UserDirectory
from .profiles import ProfileService

__all__ = ["AccountService", "BearerTokenAuthenticator", "ProfileService", "UserDirectory"]
