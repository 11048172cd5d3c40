"""Request and response models of the connections package (the API's objects, exactly as API.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from hearth_identity import PublicUser, UserSummary
from hearth_platform.examples import example, examples
from hearth_platform.ids import IdRef
from hearth_platform.text import PLAIN_TEXT_PATTERN, clean_plain_text, shows_plain_text

from .models import TAG_NAME_MAX


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
"""Timestamps go out as RFC 3339 in UTC, whatever the database session's time zone."""

Direction = Literal["incoming", "outgoing"]


class UserRef(BaseModel):
    """Body of ``POST /connections/requests`` and ``POST /blocks``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=examples({"user_id": 12}))

    user_id: IdRef


class ConnectionRequest(BaseModel):
    """A connection request, ``pending`` until the recipient accepts or rejects it or the sender cancels it."""

    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "id": 5,
                "from_user": example(UserSummary),
                "to_user": example(UserSummary, 1),
                "status": "pending",
                "created_at": "2026-11-30T13:31:00.414274Z",
            }
        )
    )

    id: int
    from_user: UserSummary
    to_user: UserSummary
    status: Literal["pending", "accepted", "rejected", "cancelled"]
    created_at: UtcDatetime


class Accepted(BaseModel):
    """Answer to accepting a request: the new connection."""

    model_config = ConfigDict(
        json_schema_extra=examples({"user": example(PublicUser), "connected_at": "2026-11-30T13:35:12.080511Z"})
    )

    user: PublicUser
    connected_at: UtcDatetime


class Connection(BaseModel):
    """A connection of the caller's, with the caller's own tags on that user."""

    model_config = ConfigDict(
        json_schema_extra=examples(
            {"user": example(UserSummary, 1), "connected_at": "2026-11-30T13:35:12.080511Z", "tag_ids": [3]}
        )
    )

    user: UserSummary
    connected_at: UtcDatetime
    tag_ids: list[int] = Field(description="The caller's own tags on this user.")


class Tag(BaseModel):
    """An audience tag: private to its owner."""

    model_config = ConfigDict(
        json_schema_extra=examples({"id": 3, "name": "family", "member_count": 4}),
    )

    id: int
    name: str
    member_count: int


class TagList(BaseModel):
    """All of the caller's tags, by name."""

    model_config = ConfigDict(
        json_schema_extra=examples({"items": [{"id": 4, "name": "climbing club", "member_count": 2}, example(Tag)]})
    )

    items: list[Tag]


def _tag_name(value: str) -> str:
    if not shows_plain_text(value):
        raise ValueError("the name must have a visible character outside markup")
    return clean_plain_text(value, max_len=TAG_NAME_MAX)


_TAG_NAME_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": TAG_NAME_MAX,
    "pattern": PLAIN_TEXT_PATTERN,
    "description": "Plain text with a visible character outside markup; tags and control characters are removed.",
}
TagName = Annotated[str, Field(max_length=TAG_NAME_MAX), AfterValidator(_tag_name), WithJsonSchema(_TAG_NAME_SCHEMA)]


class TagIn(BaseModel):
    """Body of ``POST /tags`` and ``PATCH /tags/{id}``: 1-50 characters of plain text."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=examples({"name": "family"}))

    name: TagName
