"""Identity's services, one module per use case:

- :class:`AccountService` (``service/accounts.py``): register, log in, log out.
- :class:`ProfileService` (``service/profiles.py``): the caller's own account.
- :class:`UserDirectory` (``service/directory.py``): batched user reads and search for the layers above.
- :class:`BearerTokenAuthenticator` (``service/authenticator.py``): the token check behind ``CurrentUser``;
  :class:`TrackingAuthenticator` (``service/sessions.py``) the one registered, noting each token's use.
- :class:`SessionsService` (``service/sessions.py``): the caller's sessions, listed and revoked one by one.
- :class:`PasswordService` (``service/passwords.py``): password change, reset by mail.
- :class:`EmailVerification` (``service/verification.py``): the verification mail and its token.
- :class:`AccountLifecycle` (``service/lifecycle.py``): deletion and its erasure job; suspension.
- :class:`ExportService` (``service/exports.py``): exports built by a job, downloaded by URL.
- :class:`InviteService` (``service/invites.py``): invites, and the registration mode they serve.
- :class:`Operators` (``service/operators.py``): ``hearth admin``'s face (users, suspension, invites, mode).
"""

from __future__ import annotations

from .accounts import AccountService
from .authenticator import BearerTokenAuthenticator
from .directory import UserDirectory
from .exports import ExportService
from .invites import InviteService
from .lifecycle import AccountLifecycle
from .operators import InvalidInput, Operators
from .passwords import PasswordService
from .profiles import ProfileService
from .sessions import SessionsService, TrackingAuthenticator
from .verification import EmailVerification

__all__ = [
    "AccountLifecycle",
    "AccountService",
    "BearerTokenAuthenticator",
    "EmailVerification",
    "ExportService",
    "InvalidInput",
    "InviteService",
    "Operators",
    "PasswordService",
    "ProfileService",
    "SessionsService",
    "TrackingAuthenticator",
    "UserDirectory",
]
