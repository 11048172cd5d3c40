"""The API objects of identity (``UserSummary``, ``PublicUser``, ``Me``) and its request bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from hearth_platform.examples import example, examples
from hearth_platform.ids import IdRef
from hearth_platform.text import PLAIN_TEXT_PATTERN, clean_plain_text, shows_plain_text

from .text import EMAIL_MAX, EMAIL_PATTERN, USERNAME_PATTERN, has_surrogates, normalised_email

DISPLAY_NAME_MAX = 80
BIO_MAX = 500


# --- objects -----------------------------------------------------------------------------------

ConnectionStatus = Literal["self", "none", "pending_outgoing", "pending_incoming", "connected"]

_AVATAR_URL = (
    "https://hearth.example.com/files/u7/kq0vN3mQ5rT1wZ9bYh4LdPe6GsAJx8c2"
    "?expires=1796131860&signature=3f1c9e0b7a2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e"
)


class UserSummary(BaseModel):
    """``{id, username, display_name, avatar_url}``."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra=examples(
            {"id": 7, "username": "sam", "display_name": "Sam Rivera", "avatar_url": _AVATAR_URL},
            {"id": 12, "username": "alex", "display_name": "Alex Chen", "avatar_url": None},
        ),
    )

    id: int
    username: str
    display_name: str
    avatar_url: str | None = None


_BIO = "Climbing on weekends, bread on Sundays."


class UserProfile(UserSummary):
    """A summary plus the bio."""

    model_config = ConfigDict(json_schema_extra=examples({**example(UserSummary), "bio": _BIO}))

    bio: str = ""


class PublicUser(UserProfile):
    """``UserSummary + {bio, connection_status}``."""

    model_config = ConfigDict(json_schema_extra=examples({**example(UserProfile), "connection_status": "connected"}))

    connection_status: ConnectionStatus


class Me(PublicUser):
    """The caller's own account: ``PublicUser + {email, created_at}``."""

    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                **example(PublicUser),
                "connection_status": "self",
                "email": "sam@example.com",
                "email_verified": True,
                "created_at": "2026-11-02T09:14:27.501230Z",
            }
        )
    )

    email: str
    email_verified: bool
    created_at: datetime


class AuthSession(BaseModel):
    """The answer to register and login."""

    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "user": example(Me),
                "access_token": "pA3xQ9vK2mT7wR1zL8nB5cY4dF6gH0jS2uE9iO3aW7k",
                "token_type": "bearer",
                "expires_in": 2592000,
            }
        )
    )

    user: Me
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int = Field(description="Seconds until the token expires.")


# --- field types -------------------------------------------------------------------------------
# Each states in its JSON schema every rule its validator applies: what the schema accepts is taken.


def _lower(value: str) -> str:
    return value.lower()


def _email(value: str) -> str:
    email = normalised_email(value)
    if email is None:
        raise ValueError("must be a valid email address")
    return email


def _no_surrogates(value: str) -> str:
    if has_surrogates(value):
        raise ValueError("must be valid Unicode text")
    return value


def _display_name(value: str) -> str:
    if not shows_plain_text(value):  # e.g. only zero-width spaces, or markup: a name nobody can see
        raise ValueError("must have a visible character outside markup")
    return clean_plain_text(value, max_len=DISPLAY_NAME_MAX)


def _bio(value: str) -> str:
    return clean_plain_text(value, max_len=BIO_MAX, multiline=True, required=False)


Username = Annotated[
    str,
    Field(min_length=3, max_length=30, pattern=USERNAME_PATTERN, description="3-30 of [A-Za-z0-9_]; case-insensitive"),
    AfterValidator(_lower),
]
_EMAIL_SCHEMA = {
    "type": "string",
    "format": "idn-email",
    "maxLength": EMAIL_MAX,
    "pattern": EMAIL_PATTERN,
    "description": "An address valid by RFC 5321/6531 (internationalised ones included) that can receive mail: "
    "no quoted local part, no IP address or special-use name (`.test`, `.local`, ...) as its domain, "
    "which has a dot. Normalised: NFC, the domain in Unicode, lower-case.",
}
Email = Annotated[str, Field(max_length=EMAIL_MAX), AfterValidator(_email), WithJsonSchema(_EMAIL_SCHEMA)]
Password = Annotated[str, Field(min_length=10, max_length=128), AfterValidator(_no_surrogates)]
_DISPLAY_NAME_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": DISPLAY_NAME_MAX,
    "pattern": PLAIN_TEXT_PATTERN,
    "description": "Plain text with a visible character outside markup; tags, control and bidi-override "
    "characters are removed.",
}
_BIO_SCHEMA = {
    "type": "string",
    "maxLength": BIO_MAX,
    "description": "Plain text; tags, control and bidi-override characters are removed.",
}
DisplayName = Annotated[
    str, Field(max_length=DISPLAY_NAME_MAX), AfterValidator(_display_name), WithJsonSchema(_DISPLAY_NAME_SCHEMA)
]
Bio = Annotated[str, Field(max_length=BIO_MAX), AfterValidator(_bio), WithJsonSchema(_BIO_SCHEMA)]


# --- requests ----------------------------------------------------------------------------------


class RegisterRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=examples(
            {
                "username": "sam",
                "email": "sam@example.com",
                "password": "correct horse battery",
                "display_name": "Sam Rivera",
            }
        ),
    )

    username: Username
    email: Email
    password: Password
    display_name: DisplayName
    invite_code: str | None = Field(default=None, min_length=1, max_length=64)


class LoginRequest(BaseModel):
    """Loosely typed on purpose: anything that is not a valid login gets ``401 invalid_credentials``."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra=examples({"username": "sam", "password": "correct horse battery"})
    )

    username: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class UpdateMeRequest(BaseModel):
    """Only the fields present change; ``avatar_media_id: null`` clears the avatar."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=examples(
            {"display_name": "Sam Rivera", "bio": _BIO, "avatar_media_id": 31},
            {"avatar_media_id": None},
        ),
    )

    # Present means "set it": documented as non-null, and null is refused below.
    display_name: Annotated[DisplayName | None, WithJsonSchema(_DISPLAY_NAME_SCHEMA)] = None
    bio: Annotated[Bio | None, WithJsonSchema(_BIO_SCHEMA)] = None
    avatar_media_id: IdRef | None = None

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
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=examples(
            {"current_password": "correct horse battery", "new_password": "staple battery horse correct"}
        ),
    )

    current_password: str = Field(min_length=1, max_length=1024)
    new_password: Password


class PasswordResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=examples({"email": "sam@example.com"}))

    email: Email


class PasswordResetConfirm(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=examples(
            {"token": "mExzIzx-YYHdWL6mkbu0xwlti4Ikjf1UEhHtbgaS8H4", "new_password": "staple battery horse correct"}
        ),
    )

    token: _MailedToken
    new_password: Password


class VerifyEmailRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra=examples({"token": "cCQsBW7JDooTp9CMUj-8wgGxqpQrWCkncrwsaOYfpBM"})
    )

    token: _MailedToken


class DeleteAccountRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=examples({"password": "correct horse battery"}))

    password: str = Field(min_length=1, max_length=1024)


class SessionOut(BaseModel):
    """A bearer token of the caller's that still works; ``user_agent`` may be null."""

    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "id": 318,
                "created_at": "2026-12-01T18:40:03.127844Z",
                "last_used_at": "2026-12-03T10:04:51.902311Z",
                "expires_at": "2026-12-31T18:40:03.127844Z",
                "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "current": True,
            },
            {
                "id": 302,
                "created_at": "2026-11-20T07:12:45.660193Z",
                "last_used_at": "2026-11-28T21:33:10.004817Z",
                "expires_at": "2026-12-20T07:12:45.660193Z",
                "user_agent": "Hearth/1.4.2 (Android 15; Pixel 8)",
                "current": False,
            },
        )
    )

    id: int
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    user_agent: str | None
    current: bool = Field(description="The token this request carries.")


class SessionList(BaseModel):
    """The caller's sessions, newest first."""

    model_config = ConfigDict(json_schema_extra=examples({"items": [example(SessionOut), example(SessionOut, 1)]}))

    items: list[SessionOut]


class Export(BaseModel):
    """``url`` (a zip) and ``url_expires_at`` once ``ready``; null before, and for a failed export."""

    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "id": 5,
                "status": "pending",
                "created_at": "2026-12-03T10:05:12.418532Z",
                "url": None,
                "url_expires_at": None,
            },
            {
                "id": 5,
                "status": "ready",
                "created_at": "2026-12-03T10:05:12.418532Z",
                "url": "https://hearth.example.com/files/exports/u7/vtmag-nkMoo-eluBTsIrhwHrtGD24gRN"
                "?expires=1796295960&signature=5d2b8f0e4a6c1e3b7d9f2a4c6e8b0d1f3a5c7e9b2d4f6a8c0e1b3d5f7a9c2e4b",
                "url_expires_at": "2026-12-03T11:06:00Z",
            },
        )
    )

    id: int
    status: Literal["pending", "ready", "failed"]
    created_at: datetime
    url: str | None = None
    url_expires_at: datetime | None = None


# --- invites -----------------------------------------------------------------------------------


class CreateInviteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=examples({"connect": True}, {}))

    connect: bool = Field(
        default=False, strict=True, description="Connect the new user with the inviter on registration."
    )


class InviteOut(BaseModel):
    """An invite code of the caller's; ``used_by``: the user who registered with it, null while unused."""

    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "id": 9,
                "code": "v3h5hpzTaf-9EPsBlgPgUg",
                "connect": True,
                "created_at": "2026-12-02T16:20:44.285019Z",
                "expires_at": "2026-12-16T16:20:44.285019Z",
                "used_by": None,
            },
            {
                "id": 4,
                "code": "Qm8rT2wZ5nK0xB7cY4dL1s",
                "connect": False,
                "created_at": "2026-11-10T12:02:19.731546Z",
                "expires_at": "2026-11-24T12:02:19.731546Z",
                "used_by": example(UserSummary, 1),
            },
        )
    )

    id: int
    code: str
    connect: bool
    created_at: datetime
    expires_at: datetime
    used_by: UserSummary | None = None
