"""Request and response models of the notifications package (the API's Notification)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

from hearth_identity import UserSummary
from hearth_platform.examples import example, examples
from hearth_platform.ids import MAX_ID, Id

NotificationType = Literal["connection_request", "connection_accepted", "comment", "reply", "reaction", "mention"]
MAX_IDS = 100


class Notification(BaseModel):
    """Something that concerns the caller: who did it, and the post or comment it is about."""

    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "id": 501,
                "type": "comment",
                "actor": example(UserSummary, 1),
                "post_id": 42,
                "comment_id": 88,
                "created_at": "2026-11-30T13:52:41.019884Z",
                "read": False,
            }
        )
    )

    id: int
    type: NotificationType
    actor: UserSummary
    post_id: int | None = Field(description="The post it is about (null for connection notifications)")
    comment_id: int | None = Field(description="The comment it is about (a comment, a reply, a mention in a comment)")
    created_at: datetime
    read: bool


class UnreadCount(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples({"count": 3}))

    count: int


_ID_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


class MarkRead(BaseModel):
    """Either every notification up to an id (the top of the page the client showed), or the given ids."""

    # the schema states the rule the server applies: exactly one of the two, present and not null
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [{"required": ["up_to_id"]}, {"required": ["ids"]}],
            **examples({"up_to_id": 501}, {"ids": [498, 501]}),
        },
    )

    up_to_id: Annotated[Id | None, WithJsonSchema(_ID_SCHEMA)] = None
    ids: Annotated[
        list[Id] | None,
        Field(min_length=1, max_length=MAX_IDS),
        WithJsonSchema({"type": "array", "items": _ID_SCHEMA, "minItems": 1, "maxItems": MAX_IDS}),
    ] = None

    @field_validator("up_to_id", "ids", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be left out but not null")
        return value

    @model_validator(mode="after")
    def _one_of(self) -> MarkRead:
        if (self.up_to_id is None) == (self.ids is None):
            raise ValueError("give exactly one of up_to_id and ids")
        return self
