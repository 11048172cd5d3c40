"""Domain errors of the connections package (status and code come from the platform types)."""

from __future__ import annotations

from hearth_platform.errors import Conflict, Forbidden, NotFound, Unprocessable


class SelfRequest(Unprocessable):
    code = "self_request"


class SelfBlock(Unprocessable):
    code = "self_block"


class UserNotFound(NotFound):
    pass


class RequestNotFound(NotFound):
    pass


class NotConnected(NotFound):
    """``DELETE /connections/{user_id}`` for a user the caller is not connected to."""


class BlockNotFound(NotFound):
    pass


class TagNotFound(NotFound):
    """The tag does not exist or is not the caller's (tags are private: both answer 404)."""


class Blocked(Forbidden):
    code = "blocked"


class AlreadyConnected(Conflict):
    code = "already_connected"


class RequestPending(Conflict):
    code = "request_pending"


class TagExists(Conflict):
    code = "tag_exists"


class MemberNotConnected(Conflict):
    """Only connections can be put in a tag."""

    code = "not_connected"
