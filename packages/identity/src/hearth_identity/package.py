"""Identity as a part of an app: its services, the token check behind ``CurrentUser``, its routers and jobs."""

from __future__ import annotations

from hearth_platform.app import Package
from hearth_platform.container import Container
from hearth_platform.database import Database
from hearth_platform.security import TokenAuthenticator
from hearth_platform.settings import Settings

from .account_router import router as account_router
from .activity import TokenActivity
from .invite_router import router as invite_router
from .jobs import JOBS
from .router import router
from .service import (
    AccountLifecycle,
    AccountService,
    EmailVerification,
    ExportService,
    InviteService,
    Operators,
    PasswordService,
    ProfileService,
    SessionsService,
    TrackingAuthenticator,
    UserDirectory,
)


def _register(container: Container, settings: Settings) -> None:
    for service in (
        AccountService,
        ProfileService,
        UserDirectory,
        SessionsService,
        PasswordService,
        EmailVerification,
        AccountLifecycle,
        ExportService,
        InviteService,
        Operators,
    ):
        container.register(service)
    # one per process: when each token was last used, written in the background (activity.py)
    database: Database = container.resolve(Database)
    container.register(TokenActivity, instance=TokenActivity(database.url))
    container.register(TokenAuthenticator, TrackingAuthenticator)


package = Package(
    name="identity",
    register=_register,
    routers=(router, account_router, invite_router),
    jobs=JOBS,
    tags={
        "auth": "Accounts and bearer tokens: register, log in, log out, the caller's sessions, password reset "
        "and email verification. Every other route needs the `access_token` register and login answer, as "
        "`Authorization: Bearer <token>`.",
        "users": "The caller's own account, and other users' profiles with how the caller relates to each.",
        "invites": "Invite codes the caller creates: registering needs one when registration is by invitation, "
        "and one can connect the new user with its inviter.",
    },
)
