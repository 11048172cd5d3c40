"""Identity's domain errors (each carries its HTTP status and contract code)."""

from __future__ import annotations

from hearth_platform.errors import Conflict, NotFound, Unauthorized


class InvalidCredentials(Unauthorized):
    """Unknown user or wrong password: one answer for both."""

    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("The username or password is incorrect.")


class UsernameTaken(Conflict):
    code = "username_taken"

    def __init__(self) -> None:
        super().__init__("That username is already taken.")


class EmailTaken(Conflict):
    code = "email_taken"

    def __init__(self) -> None:
        super().__init__("An account with that email address already exists.")


class UserNotFound(NotFound):
    def __init__(self, user_id: int) -> None:
        super().__init__(f"User {user_id} was not found.")


class MediaNotFound(NotFound):
    def __init__(self, media_id: int) -> None:
        super().__init__(f"Media {media_id} was not found.")
