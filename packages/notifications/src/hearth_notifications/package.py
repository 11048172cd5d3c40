"""Notifications as a part of an app: its services, its handlers of connections' and posts' events, its router,
the live stream's hub (one per worker process) and the job that prunes the stream's replay window."""

from __future__ import annotations

from hearth_platform.app import Package
from hearth_platform.container import Container
from hearth_platform.database import Database
from hearth_platform.jobs import Job
from hearth_platform.settings import Settings
from hearth_platform.uow import UnitOfWorkContext

from .events import subscribe
from .live import StreamHub
from .router import router
from .service import NotificationsService, Notifier
from .stream import LiveEvents, StreamReader


def _register(container: Container, settings: Settings) -> None:
    for service in (NotificationsService, Notifier, LiveEvents, StreamReader):
        container.register(service)
    container.register(StreamHub, instance=StreamHub(settings, container.resolve(Database)))


def _shutdown(container: Container) -> None:
    container.resolve(StreamHub).shutdown()


def prune_stream_events(uow: UnitOfWorkContext) -> None:
    """Live events older than the replay window (5 minutes) go."""
    uow.resolve(LiveEvents).prune()


PRUNE_STREAM_EVENTS = Job(
    name="notifications.prune_stream_events", run=prune_stream_events, queue="maintenance", schedule="*/5 * * * *"
)

package = Package(
    name="notifications",
    register=_register,
    subscribe=subscribe,
    routers=(router,),
    tags={
        "notifications": "What concerns the caller: connection requests and acceptances, comments and replies, "
        "reactions to their posts, mentions. What is listed and counted is decided when it is read.",
    },
    jobs=(PRUNE_STREAM_EVENTS,),
    shutdown=_shutdown,
)
