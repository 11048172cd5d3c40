"""Request and response models of the posts package (the API's Post, Comment, reaction and digest objects)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from hearth_identity import UserSummary
from hearth_platform.examples import example, examples
from hearth_platform.ids import Id
from hearth_storage import Media

from .sanitize import BODY_PATTERN, shows_text

BODY_MAX = 5000
COMMENT_MAX = 2000


def _shows_text(value: str) -> str:
    if not shows_text(value):  # e.g. only spaces, zero-width characters, empty tags or comments
        raise ValueError("must have a visible character outside markup")
    return value


def _body_schema(max_len: int) -> dict[str, object]:
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": max_len,
        "pattern": BODY_PATTERN,
        "description": "HTML of the allowed subset (anything else is escaped), with a visible character outside "
        "tags, comments and references to invisible characters.",
    }


# A body as typed (the service sanitises it): what a reader sees of it is never longer.
PostBody = Annotated[
    str, Field(max_length=BODY_MAX), AfterValidator(_shows_text), WithJsonSchema(_body_schema(BODY_MAX))
]
CommentBody = Annotated[
    str, Field(max_length=COMMENT_MAX), AfterValidator(_shows_text), WithJsonSchema(_body_schema(COMMENT_MAX))
]

ReactionKind = Literal["like", "love", "laugh", "wow", "sad"]  # models.REACTION_KINDS, in this order


class ConnectionsAudience(BaseModel):
    """Every connection of the author's."""

    # one instance serves every page
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=examples({"type": "connections"}))

    type: Literal["connections"]


class TagsAudience(BaseModel):
    """The author's connections in any of these tags of the author's (only the author sees the tag ids)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=examples({"type": "tags", "tag_ids": [3, 4]}))

    type: Literal["tags"]
    tag_ids: list[Id] = Field(min_length=1, max_length=20)

    @field_validator("tag_ids")
    @classmethod
    def _unique(cls, v: list[int]) -> list[int]:
        return sorted(set(v))


class LimitedAudience(BaseModel):
    """What a viewer other than the author sees of a tags audience: never the author's tag ids."""

    model_config = ConfigDict(frozen=True, json_schema_extra=examples({"type": "limited"}))  # one serves every page

    type: Literal["limited"]


AudienceIn = Annotated[ConnectionsAudience | TagsAudience, Field(discriminator="type")]
AudienceOut = ConnectionsAudience | TagsAudience | LimitedAudience


class PostCreate(BaseModel):
    """Body of ``POST /posts``: up to 4 of the caller's uploaded media may come along."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=examples(
            {"body": "Hello, Hearth", "audience": {"type": "connections"}},
            {
                "body": "Sunday lunch at ours? <b>Bring bread.</b>",
                "audience": {"type": "tags", "tag_ids": [3]},
                "media_ids": [31],
            },
        ),
    )

    body: PostBody
    audience: AudienceIn
    media_ids: list[Id] = Field(default_factory=list, max_length=4, json_schema_extra={"uniqueItems": True})

    @field_validator("media_ids")
    @classmethod
    def _unique_media(cls, v: list[int]) -> list[int]:
        if len(set(v)) != len(v):
            raise ValueError("media ids must be distinct")
        return v


class PostUpdate(BaseModel):
    """Body of ``PATCH /posts/{id}``: only the fields present change."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=examples(
            {"body": "Sunday lunch at ours, 1 pm? <b>Bring bread.</b>"},
            {"audience": {"type": "connections"}},
        ),
    )

    body: PostBody | None = None
    audience: AudienceIn | None = None


class Post(BaseModel):
    """A post as the caller sees it: the author alone sees a tags audience's tag ids."""

    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "id": 42,
                "author": example(UserSummary),
                "body": "Sunday lunch at ours? <b>Bring bread.</b>",
                "audience": {"type": "limited"},
                "media": [example(Media)],
                "comment_count": 1,
                "reactions": {"like": 2, "love": 1},
                "my_reactions": ["like"],
                "created_at": "2026-11-30T13:40:05.772310Z",
                "updated_at": "2026-11-30T13:40:05.772310Z",
            }
        )
    )

    id: int
    author: UserSummary
    body: str
    audience: AudienceOut
    media: list[Media]
    comment_count: int
    reactions: dict[ReactionKind, int] = Field(description="Count per kind, for the kinds with a count above zero")
    my_reactions: list[ReactionKind] = Field(description="The caller's own reactions to the post")
    created_at: datetime
    updated_at: datetime


class CommentCreate(BaseModel):
    """Body of ``POST /posts/{id}/comments``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=examples({"body": "Count me in!"}))

    body: CommentBody


class Comment(BaseModel):
    """A comment on a post: whoever sees the post sees its comments."""

    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "id": 88,
                "post_id": 42,
                "author": example(UserSummary, 1),
                "body": "Count me in!",
                "created_at": "2026-11-30T13:52:41.019884Z",
            }
        )
    )

    id: int
    post_id: int
    author: UserSummary
    body: str
    created_at: datetime


class Reactor(BaseModel):
    """Someone's reaction to a post, in the post's reactors list."""

    model_config = ConfigDict(
        json_schema_extra=examples(
            {"user": example(UserSummary, 1), "kind": "love", "created_at": "2026-11-30T13:45:12.308511Z"}
        )
    )

    user: UserSummary
    kind: ReactionKind
    created_at: datetime


class DigestAuthor(BaseModel):
    """One author's posts in the digest's window: how many, and the latest."""

    model_config = ConfigDict(
        json_schema_extra=examples({"author": example(UserSummary), "post_count": 1, "latest_posts": [example(Post)]})
    )

    author: UserSummary
    post_count: int
    latest_posts: list[Post]


class Digest(BaseModel):
    """What the caller's connections posted in a window, by author."""

    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "since": "2026-11-29T14:00:00Z",
                "until": "2026-11-30T14:00:00Z",
                "post_count": 1,
                "authors": [example(DigestAuthor)],
            }
        )
    )

    since: datetime
    until: datetime
    post_count: int
    authors: list[DigestAuthor]
