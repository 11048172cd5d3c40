"""Hearth notifications: what happened to a user's connections and posts (requests, acceptances, comments,
replies, reactions, mentions), written by handlers of the lower packages' events in their transaction, and
shown only while the recipient may still see what they are about.

The face: the ``Notification`` API object and ``package`` (its services, its event handlers, its routes).
"""

from .package import package
from .schemas import Notification

__all__ = ["Notification", "package"]
