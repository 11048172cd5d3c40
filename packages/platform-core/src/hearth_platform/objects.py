"""API objects that several packages return (``shared/API.md`` "Objects"), defined once.

Each package still builds them from its own data; defining them here keeps one shape (and one name in
the OpenAPI schema) for what clients see as one object.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

ConnectionStatus = Literal["self", "none", "pending_outgoing", "pending_incoming", "connected"]


class UserSummary(BaseModel):
    """``{id, username, display_name, avatar_url}``."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    username: str
    display_name: str
    avatar_url: str | None = None


class UserProfile(UserSummary):
    """A summary plus the bio."""

    bio: str = ""


class PublicUser(UserProfile):
    """``UserSummary + {bio, connection_status}``."""

    connection_status: ConnectionStatus


class Media(BaseModel):
    """``{id, content_type, size_bytes, status, url, url_expires_at}``; ``url`` is null while pending."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    content_type: str
    size_bytes: int
    status: Literal["pending", "ready"]
    url: str | None = None
    url_expires_at: datetime | None = None
