"""Identity's domain errors (each carries its HTTP status and contract code)."""

from __future__ import annotations

from hearth_platform.errors import Conflict, Forbidden, ObjectNotFound, RateLimited, Unauthorized, Unprocessable


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


class AccountSuspended(Forbidden):
    """The right password for an account an operator suspended."""

    def __init__(self) -> None:
        super().__init__("This account is suspended.")


class InvalidToken(Unprocessable):
    """A reset or verification token that is unknown, used or expired: one answer for all three."""

    code = "invalid_token"

    def __init__(self) -> None:
        super().__init__("The token is unknown, used or expired.")


class AlreadyVerified(Conflict):
    code = "already_verified"

    def __init__(self) -> None:
        super().__init__("The email address is already verified.")


class ExportRunning(Conflict):
    code = "export_running"

    def __init__(self) -> None:
        super().__init__("An export of this account is being built already.")


class SessionNotFound(ObjectNotFound):
    noun = "Session"


class ExportNotFound(ObjectNotFound):
    noun = "Export"


class InviteRequired(Forbidden):
    """Registration needs a valid invite code (or is closed)."""

    code = "invite_required"

    def __init__(self) -> None:
        super().__init__("Registering needs a valid invite code.")


class InviteUsed(Conflict):
    code = "invite_used"

    def __init__(self) -> None:
        super().__init__("The invite has been used: it cannot be withdrawn.")


class InviteNotFound(ObjectNotFound):
    noun = "Invite"


class InviteQuotaExceeded(RateLimited):
    """Too many open invites: one becomes free when it is used, withdrawn or expires."""

    def __init__(self, quota: int, retry_after: int) -> None:
        super().__init__(retry_after, f"At most {quota} open invites at once; withdraw one or wait.")
