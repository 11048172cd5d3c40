"""Identity's jobs (``hearth_platform.jobs``), run by the app's workers; each must be idempotent."""

from __future__ import annotations

from hearth_platform.jobs import Job
from hearth_platform.uow import UnitOfWorkContext

from .repository import TokenRepository

MAINTENANCE = "maintenance"


def purge_tokens(uow: UnitOfWorkContext) -> None:
    """Delete bearer tokens that can no longer authenticate anyone: expired or revoked."""
    TokenRepository(uow.session).purge()


PURGE_TOKENS = Job(name="identity.purge_tokens", run=purge_tokens, queue=MAINTENANCE, schedule="7 * * * *")

JOBS = (PURGE_TOKENS,)
