"""Wiring of the posts package: its services, the ports it needs, and the storage port it satisfies."""

from __future__ import annotations

from typing import TYPE_CHECKING

import punq
from fastapi import APIRouter

import hearth_identity
import hearth_posts
import hearth_storage
from hearth_platform.settings import Settings


def register(container: punq.Container, settings: Settings) -> None:
    container.register(hearth_posts.PostsService)
    container.register(hearth_posts.FeedService)
    container.register(hearth_posts.PostMediaAccess)
    # Ports posts needs: batched user summaries (identity) and media (storage). AudienceGraph is
    # satisfied by ConnectionsService in wiring/connections.py.
    container.register(hearth_posts.UserDirectory, hearth_identity.UserDirectory)
    container.register(hearth_posts.MediaCatalog, hearth_storage.MediaService)


def routers() -> list[APIRouter]:
    return [hearth_posts.router]


if TYPE_CHECKING:  # mypy proves each port is satisfied by what is registered for it

    def _ports_fit(
        directory: hearth_identity.UserDirectory,
        media: hearth_storage.MediaService,
        access: hearth_posts.PostMediaAccess,
    ) -> None:
        users: hearth_posts.UserDirectory = directory
        catalog: hearth_posts.MediaCatalog = media
        media_access: hearth_storage.MediaAccess = access
        del users, catalog, media_access
