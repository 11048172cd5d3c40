"""Identity as a part of an app: its services, the token check behind ``CurrentUser``, its router."""

from __future__ import annotations

import punq

from hearth_platform.app import Package
from hearth_platform.security import TokenAuthenticator
from hearth_platform.settings import Settings

from .router import router
from .service import AccountService, BearerTokenAuthenticator, ProfileService, UserDirectory


def _register(container: punq.Container, settings: Settings) -> None:
    container.register(AccountService)
    container.register(ProfileService)
    container.register(UserDirectory)
    container.register(TokenAuthenticator, BearerTokenAuthenticator)


package = Package(name="identity", register=_register, routers=(router,))
