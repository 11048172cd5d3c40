"""Request and response models of the connections package (the API's objects, exactly as API.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from hearth_identity import PublicUser, UserSummary
from hearth_platform.text import plain_text

from .models import TAG_NAME_MAX

RAW_TAG_NAME_MAX = 500  # before sanitising; the 1-50 limit is checked on the plain text


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
"""Timestamps go out as RFC 3339 in UTC, whatever the database session's time zone."""

Direction = Literal["incoming", "outgoing"]

UserId = Annotated[int, Field(strict=True)]


class UserRef(BaseModel):
    """Body of ``POST /connections/requests`` and ``POST /blocks``."""

    model_config = ConfigDict(extra="forbid")

    user_id: UserId


class ConnectionRequest(BaseModel):
    id: int
    from_user: UserSummary
    to_user: UserSummary
    status: Literal["pending", "accepted", "rejected", "cancelled"]
    created_at: UtcDatetime


class Accepted(BaseModel):
    """Answer to accepting a request: the new connection."""

    user: PublicUser
    connected_at: UtcDatetime


class Connection(BaseModel):
    user: UserSummary
    connected_at: UtcDatetime
    tag_ids: list[int] = Field(description="The caller's own tags on this user.")


class Tag(BaseModel):
    id: int
    name: str
    member_count: int


class TagList(BaseModel):
    items: list[Tag]


class TagIn(BaseModel):
    """Body of ``POST /tags`` and ``PATCH /tags/{id}``: 1-50 characters of plain text."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=RAW_TAG_NAME_MAX)

    @field_validator("name")
    @classmethod
    def _plain(cls, value: str) -> str:
        name = plain_text(value)
        if not name:
            raise ValueError("the name must have at least 1 character of plain text")
        if len(name) > TAG_NAME_MAX:
            raise ValueError(f"the name must have at most {TAG_NAME_MAX} characters")
        return name
