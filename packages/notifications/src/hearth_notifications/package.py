"""Notifications as a part of an app: its services, its handlers of connections' and posts' events, its router."""

from __future__ import annotations

from hearth_platform.app import Package
from hearth_platform.container import Container
from hearth_platform.settings import Settings

from .events import subscribe
from .router import router
from .service import NotificationsService, Notifier


def _register(container: Container, settings: Settings) -> None:
    for service in (NotificationsService, Notifier):
        container.register(service)


package = Package(
    name="notifications",
    register=_register,
    subscribe=subscribe,
    routers=(router,),
    tags={
        "notifications": "What concerns the caller: connection requests and acceptances, comments and replies, "
        "reactions to their posts, mentions. What is listed and counted is decided when it is read.",
    },
)
