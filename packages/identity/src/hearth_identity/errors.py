"""Identity's domain errors (each carries its HTTP status and contract code)."""

from __future__ import annotations

from hearth_platform.errors import Conflict, ObjectNotFound, Unauthorized


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


class UserNotFound(ObjectNotFound):
    """The user does not exist, or does not exist for the caller (blocked): the same answer."""

    noun = "User"
