"""The API objects of identity (``UserSummary``, ``PublicUser``, ``Me``) and its request bodies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from hearth_platform.text import has_visible_text, plain_text

from .text import USERNAME_PATTERN, has_surrogates, is_valid_email

DISPLAY_NAME_MAX = 80
BIO_MAX = 500
# Raw input may carry markup that cleaning removes, but never without bound.
_RAW_FACTOR = 8


# --- objects -----------------------------------------------------------------------------------

ConnectionStatus = Literal["self", "none", "pending_outgoing", "pending_incoming", "connected"]


class UserSummary(BaseModel):
    """``{id, username, display_name, avatar_url}``."""

    model_config = ConfigDict(frozen=True)

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


class Me(PublicUser):
    email: str
    email_verified: bool
    created_at: datetime


class AuthSession(BaseModel):
    """The answer to register and login."""

    user: Me
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int = Field(description="Seconds until the token expires.")


# --- field types -------------------------------------------------------------------------------


def _lower(value: str) -> str:
    return value.lower()


def _email(value: str) -> str:
    value = value.strip().lower()
    if not is_valid_email(value):
        raise ValueError("must be a valid email address")
    return value


def _no_surrogates(value: str) -> str:
    if has_surrogates(value):
        raise ValueError("must be valid Unicode text")
    return value


def _plain(max_len: int, *, min_len: int, multiline: bool) -> Callable[[str], str]:
    def clean(value: str) -> str:
        if len(value) > max_len * _RAW_FACTOR:
            raise ValueError(f"must be at most {max_len} characters")
        value = plain_text(value, multiline=multiline)
        if len(value) < min_len:
            raise ValueError("must not be empty (after removing markup and control characters)")
        if min_len and not has_visible_text(value):  # e.g. only zero-width spaces: a name nobody can see
            raise ValueError("must have a visible character")
        if len(value) > max_len:
            raise ValueError(f"must be at most {max_len} characters")
        return value

    return clean


Username = Annotated[
    str,
    Field(min_length=3, max_length=30, pattern=USERNAME_PATTERN, description="3-30 of [A-Za-z0-9_]; case-insensitive"),
    AfterValidator(_lower),
]
Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]
Password = Annotated[str, Field(min_length=10, max_length=128), AfterValidator(_no_surrogates)]
_DISPLAY_NAME_SCHEMA = {"type": "string", "minLength": 1, "maxLength": DISPLAY_NAME_MAX, "description": "plain text"}
_BIO_SCHEMA = {"type": "string", "maxLength": BIO_MAX, "description": "plain text"}
DisplayName = Annotated[
    str,
    AfterValidator(_plain(DISPLAY_NAME_MAX, min_len=1, multiline=False)),
    WithJsonSchema(_DISPLAY_NAME_SCHEMA),
]
Bio = Annotated[str, AfterValidator(_plain(BIO_MAX, min_len=0, multiline=True)), WithJsonSchema(_BIO_SCHEMA)]


# --- requests ----------------------------------------------------------------------------------


class RegisterRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    email: Email
    password: Password
    display_name: DisplayName
    invite_code: str | None = Field(default=None, min_length=1, max_length=64)


class LoginRequest(BaseModel):
    """Loosely typed on purpose: anything that is not a valid login gets ``401 invalid_credentials``."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class UpdateMeRequest(BaseModel):
    """Only the fields present change; ``avatar_media_id: null`` clears the avatar."""

    model_config = ConfigDict(extra="forbid")

    # Present means "set it": documented as non-null, and null is refused below.
    display_name: Annotated[DisplayName | None, WithJsonSchema(_DISPLAY_NAME_SCHEMA)] = None
    bio: Annotated[Bio | None, WithJsonSchema(_BIO_SCHEMA)] = None
    avatar_media_id: Annotated[int, Field(strict=True)] | None = None  # a JSON integer, not "5" or true

    @field_validator("display_name", "bio", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be left out but not null")
        return value


# --- the account lifecycle ---------------------------------------------------------------------

# a token we mail (43 URL-safe characters); anything else is refused as invalid_token, not as a 422 of its shape
_MailedToken = Annotated[str, Field(min_length=1, max_length=256)]


class PasswordChangeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=1024)
    new_password: Password


class PasswordResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email


class PasswordResetConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: _MailedToken
    new_password: Password


class VerifyEmailRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: _MailedToken


class DeleteAccountRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=1, max_length=1024)


class SessionOut(BaseModel):
    """A bearer token of the caller's that still works."""

    id: int
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    user_agent: str | None
    current: bool = Field(description="The token this request carries.")


class SessionList(BaseModel):
    items: list[SessionOut]


class Export(BaseModel):
    """``url`` (a zip) and ``url_expires_at`` once ``ready``; null before, and for a failed export."""

    id: int
    status: Literal["pending", "ready", "failed"]
    created_at: datetime
    url: str | None = None
    url_expires_at: datetime | None = None


# --- invites -----------------------------------------------------------------------------------


class CreateInviteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    connect: bool = Field(
        default=False, strict=True, description="Connect the new user with the inviter on registration."
    )


class InviteOut(BaseModel):
    id: int
    code: str
    connect: bool
    created_at: datetime
    expires_at: datetime
    used_by: UserSummary | None = None
