"""Identity as a part of an app: its services, the token check behind ``CurrentUser``, its router."""

from __future__ import annotations

from hearth_platform.app import Package
from hearth_platform.container import Container
from hearth_platform.security import TokenAuthenticator
from hearth_platform.settings import Settings

from .jobs import JOBS
from .router import router
from .service import AccountService, BearerTokenAuthenticator, ProfileService, UserDirectory


def _register(container: Container, settings: Settings) -> None:
    container.register(AccountService)
    container.register(ProfileService)
    container.register(UserDirectory)
    container.register(TokenAuthenticator, BearerTokenAuthenticator)


package = Package(name="identity", register=_register, routers=(router,), jobs=JOBS)
