"""Hearth connections: connection requests, connections, blocks, private audience tags and members.

The public face. Neighbours reach the graph through their own ports, satisfied by
:class:`ConnectionsService` in the app's wiring; this package needs :class:`UserDirectory` from identity.
"""

from .errors import (
    AlreadyConnected,
    Blocked,
    BlockNotFound,
    MemberNotConnected,
    NotConnected,
    RequestNotFound,
    RequestPending,
    SelfBlock,
    SelfRequest,
    TagExists,
    TagNotFound,
    UserNotFound,
)
from .ports import UserDirectory, UserProfileLike, UserSummaryLike
from .router import router
from .service import ConnectionGraph, ConnectionsService, Relationship

__all__ = [
    "AlreadyConnected",
    "BlockNotFound",
    "Blocked",
    "ConnectionGraph",
    "ConnectionsService",
    "MemberNotConnected",
    "NotConnected",
    "Relationship",
    "RequestNotFound",
    "RequestPending",
    "SelfBlock",
    "SelfRequest",
    "TagExists",
    "TagNotFound",
    "UserDirectory",
    "UserNotFound",
    "UserProfileLike",
    "UserSummaryLike",
    "router",
]
