"""Connections as a part of an app: its services and its router."""

from __future__ import annotations

from hearth_platform.app import Package
from hearth_platform.container import Container
from hearth_platform.settings import Settings

from .lifecycle import AccountGraph, subscribe
from .router import router
from .service import BlocksService, ConnectionGraph, ProfilesService, RequestsService, TagsService


def _register(container: Container, settings: Settings) -> None:
    for service in (RequestsService, BlocksService, TagsService, ProfilesService, ConnectionGraph, AccountGraph):
        container.register(service)


# subscribe: identity's account events (lifecycle.py: erasure, export, invites that connect)
package = Package(
    name="connections",
    register=_register,
    subscribe=subscribe,
    routers=(router,),
    tags={
        "connections": "Mutual connections: one user requests, the other accepts (or rejects); either may "
        "disconnect. A post reaches only the author's connections.",
        "blocks": "Blocking a user ends every connection, request and tag membership between the two and "
        "keeps them apart.",
        "tags": 'Audience tags: private groups of the caller\'s connections ("family", "climbing club") '
        "that a post can be addressed to.",
    },
)
