"""Hearth identity: users, credentials, bearer tokens and the account lifecycle.

The face: ``UserDirectory`` (batched user reads and search, for the layers above), the user API objects
(``UserSummary``, ``UserProfile``, ``PublicUser``, ``ConnectionStatus``), ``UserNotFound``, the events the
layers above handle (``AccountErasing``, ``AccountExporting`` with its ``ExportArchive``, ``InviteAccepted``),
and ``package`` (what an app mounts: the services, the token check behind ``CurrentUser``, the auth, account
and invite routes, the jobs), and ``Operators`` (what ``hearth admin`` does).
"""

from .archive import ExportArchive
from .errors import UserNotFound
from .events import AccountErasing, AccountExporting, InviteAccepted
from .package import package
from .schemas import ConnectionStatus, PublicUser, UserProfile, UserSummary
from .service import InvalidInput, Operators, UserDirectory

__all__ = [
    "AccountErasing",
    "AccountExporting",
    "ConnectionStatus",
    "ExportArchive",
    "InvalidInput",
    "InviteAccepted",
    "Operators",
    "PublicUser",
    "UserDirectory",
    "UserNotFound",
    "UserProfile",
    "UserSummary",
    "package",
]
