"""Identity as a part of an app: its services, the token check behind ``CurrentUser``, its router."""

from __future__ import annotations

from hearth_platform.app import Package
from hearth_platform.container import Container
from hearth_platform.security import TokenAuthenticator
from hearth_platform.settings import Settings

from .router import router
from .service import AccountService, BearerTokenAuthenticator, ProfileService, UserDirectory


def _register(container: Container, settings: Settings) -> None:
    container.register(AccountService)
    container.register(ProfileService)
    container.register(UserDirectory)
    container.register(TokenAuthenticator, BearerTokenAuthenticator)


package = Package(
    name="identity",
    register=_register,
    routers=(router,),
    tags={
        "auth": "Accounts and bearer tokens: register, log in, log out. Every other route needs the "
        "`access_token` these answer, as `Authorization: Bearer <token>`.",
        "users": "The caller's own account, and other users' profiles with how the caller relates to each.",
    },
)
