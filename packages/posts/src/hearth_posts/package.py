"""Posts as a part of an app: its services, its handlers of connections' events, its router."""

from __future__ import annotations

from hearth_platform.app import Package
from hearth_platform.container import Container
from hearth_platform.settings import Settings

from .events import subscribe
from .jobs import JOBS
from .lifecycle import AccountPosts
from .router import media_router, router
from .service import FeedService, PostMediaAccess, PostsService, ReactionsService, TimelineService


def _register(container: Container, settings: Settings) -> None:
    for service in (PostsService, FeedService, PostMediaAccess, ReactionsService, TimelineService, AccountPosts):
        container.register(service)


package = Package(
    name="posts",
    register=_register,
    subscribe=subscribe,
    routers=(router, media_router),
    jobs=JOBS,
    tags={
        "posts": "Posts to all connections or to chosen tags, their comments, the home feed and the digest. "
        "Who sees a post is decided when it is read.",
    },
)
