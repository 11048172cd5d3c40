"""Wiring of the connections package: its service, the port it needs, the neighbours' ports it satisfies."""

from __future__ import annotations

from typing import TYPE_CHECKING

import punq
from fastapi import APIRouter

import hearth_connections
import hearth_identity
import hearth_posts
from hearth_platform.settings import Settings

# (``hearth_connections.router``, not ``from hearth_connections import router``: import-linter would
# read the latter as an import of the private module ``hearth_connections.router``)


def register(container: punq.Container, settings: Settings) -> None:
    # The service, built per unit of work: ConnectionsService(session, cache, users).
    container.register(hearth_connections.ConnectionsService)
    # The graph face alone: ConnectionGraph(session, cache). Neighbours' ports get this one, which needs
    # no user directory: identity's directory needs storage, storage needs posts, posts needs this port,
    # so ConnectionsService here would close a cycle the container cannot build.
    container.register(hearth_connections.ConnectionGraph)
    # The port connections needs: batched user reads, from identity.
    container.register(hearth_connections.UserDirectory, hearth_identity.UserDirectory)
    # The ports neighbours need from connections.
    container.register(hearth_identity.Relationships, hearth_connections.ConnectionGraph)
    container.register(hearth_posts.AudienceGraph, hearth_connections.ConnectionGraph)


def routers() -> list[APIRouter]:
    return [hearth_connections.router]


if TYPE_CHECKING:  # mypy proves each port is satisfied by what is registered for it

    def _ports_fit(
        graph: hearth_connections.ConnectionGraph,
        service: hearth_connections.ConnectionsService,
        directory: hearth_identity.UserDirectory,
    ) -> None:
        users: hearth_connections.UserDirectory = directory
        relationships: hearth_identity.Relationships = graph
        audience: hearth_posts.AudienceGraph = graph
        also_relationships: hearth_identity.Relationships = service
        also_audience: hearth_posts.AudienceGraph = service
        del users, relationships, audience, also_relationships, also_audience
