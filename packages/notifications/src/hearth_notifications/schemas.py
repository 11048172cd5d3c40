"""Request and response models of the notifications package (the API's Notification)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hearth_identity import UserSummary
from hearth_platform.ids import Id

NotificationType = Literal["connection_request", "connection_accepted", "comment", "reply", "reaction", "mention"]
MAX_IDS = 100


class Notification(BaseModel):
    id: int
    type: NotificationType
    actor: UserSummary
    post_id: int | None = Field(description="The post it is about (null for connection notifications)")
    comment_id: int | None = Field(description="The comment it is about (a comment, a reply, a mention in a comment)")
    created_at: datetime
    read: bool


class UnreadCount(BaseModel):
    count: int


class MarkRead(BaseModel):
    """Either every notification up to an id (the top of the page the client showed), or the given ids."""

    model_config = ConfigDict(extra="forbid")

    up_to_id: Id | None = None
    ids: list[Id] | None = Field(default=None, min_length=1, max_length=MAX_IDS)

    @model_validator(mode="after")
    def _one_of(self) -> MarkRead:
        if (self.up_to_id is None) == (self.ids is None):
            raise ValueError("give exactly one of up_to_id and ids")
        return self
