"""Domain errors of the connections package: one class per case, its message written once."""

from __future__ import annotations

from hearth_platform.errors import Conflict, Forbidden, NotFound, ObjectNotFound, Unprocessable


class SelfRequest(Unprocessable):
    code = "self_request"

    def __init__(self) -> None:
        super().__init__("You cannot send a connection request to yourself.")


class SelfBlock(Unprocessable):
    code = "self_block"

    def __init__(self) -> None:
        super().__init__("You cannot block yourself.")


class RequestNotFound(ObjectNotFound):
    noun = "Connection request"


class TagNotFound(ObjectNotFound):
    """The tag does not exist or is not the caller's (tags are private: both answer 404)."""

    noun = "Tag"


class NotConnected(NotFound):
    """``DELETE /connections/{user_id}`` for a user the caller is not connected to."""

    def __init__(self, user_id: int) -> None:
        super().__init__(f"You are not connected to user {user_id}.")


class BlockNotFound(NotFound):
    def __init__(self, user_id: int) -> None:
        super().__init__(f"You have not blocked user {user_id}.")


class Blocked(Forbidden):
    code = "blocked"

    def __init__(self) -> None:
        super().__init__("You cannot send a connection request to this user.")


class AlreadyConnected(Conflict):
    code = "already_connected"

    def __init__(self, user_id: int) -> None:
        super().__init__(f"You are already connected to user {user_id}.")


class RequestPending(Conflict):
    code = "request_pending"

    def __init__(self, user_id: int) -> None:
        super().__init__(f"A connection request between you and user {user_id} is already pending.")


class TagExists(Conflict):
    code = "tag_exists"

    def __init__(self, name: str) -> None:
        super().__init__(f"You already have a tag named {name!r}.")


class MemberNotConnected(Conflict):
    """Only connections can be put in a tag."""

    code = "not_connected"

    def __init__(self, user_id: int) -> None:
        super().__init__(f"You are not connected to user {user_id}.")
