"""Identity's jobs (``hearth_platform.jobs``), run by the app's workers; each must be idempotent.

- ``identity.send_password_reset`` (queue ``accounts``): mails a reset link when the address is an account's.
- ``identity.erase_account`` (``accounts``): erases a deleted account, every package's part of it.
- ``identity.build_export`` (``accounts``): builds an export's zip into storage.
- ``identity.purge_tokens`` (``maintenance``, hourly at :07): bearer tokens expired or revoked, reset and
  verification tokens used or expired.
- ``identity.purge_exports`` (``maintenance``, hourly at :27): exports past their time (files and rows).
"""

from __future__ import annotations

from hearth_platform.jobs import Job
from hearth_platform.uow import UnitOfWorkContext

from .account_repository import OneTimeTokens
from .repository import TokenRepository
from .service import ExportService
from .service.exports import BUILD_EXPORT
from .service.lifecycle import ERASE_ACCOUNT
from .service.passwords import SEND_PASSWORD_RESET

MAINTENANCE = "maintenance"


def purge_tokens(uow: UnitOfWorkContext) -> None:
    """Delete the tokens that can no longer do anything: bearer tokens expired or revoked, one-time tokens
    used or expired."""
    TokenRepository(uow.session).purge()
    OneTimeTokens(uow.session).purge()


def purge_exports(uow: UnitOfWorkContext) -> None:
    uow.resolve(ExportService).purge()


PURGE_TOKENS = Job(name="identity.purge_tokens", run=purge_tokens, queue=MAINTENANCE, schedule="7 * * * *")
PURGE_EXPORTS = Job(name="identity.purge_exports", run=purge_exports, queue=MAINTENANCE, schedule="27 * * * *")

JOBS = (SEND_PASSWORD_RESET, ERASE_ACCOUNT, BUILD_EXPORT, PURGE_TOKENS, PURGE_EXPORTS)
