"""HTTP routes of the connections package: thin handlers over its services (one per use case)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Response, status

from hearth_identity import PublicUser, UserSummary
from hearth_platform.ids import PathId
from hearth_platform.pagination import Page, Pagination
from hearth_platform.ratelimit import WriteLimit
from hearth_platform.routing import Router, locate
from hearth_platform.security import CurrentUser
from hearth_platform.uow import provide

from . import schemas
from .service import BlocksService, ProfilesService, RequestsService, TagsService

Requests = Annotated[RequestsService, Depends(provide(RequestsService))]
Blocks = Annotated[BlocksService, Depends(provide(BlocksService))]
Tags = Annotated[TagsService, Depends(provide(TagsService))]
Profiles = Annotated[ProfilesService, Depends(provide(ProfilesService))]

router = Router()

_NO_CONTENT = status.HTTP_204_NO_CONTENT
_AUTH = (401, "Missing, invalid, expired or revoked bearer token")
_INVALID = (422, "Invalid field, limit or cursor (`validation_error`, `invalid_cursor`)")
_SIGNED_IN = (401, "Not authenticated")
_WRITES = (429, "Too many writes (`rate_limited`)")


def _problems(*codes: tuple[int, str], auth: tuple[int, str] = _AUTH) -> dict[int | str, dict[str, Any]]:
    return {
        code: {"description": description, "content": {"application/problem+json": {}}}
        for code, description in (auth, *codes)
    }


# -- connection requests -------------------------------------------------------------------------------


@router.post(
    "/connections/requests",
    status_code=status.HTTP_201_CREATED,
    dependencies=[WriteLimit],
    tags=["connections"],
    responses=_problems(
        (403, "Either user blocked the other (`blocked`)"),
        (404, "Unknown user"),
        (409, "`already_connected`, or `request_pending` (either direction)"),
        (422, "`self_request`, or an invalid body"),
        _WRITES,
    ),
)
def send_connection_request(
    body: schemas.UserRef, user: CurrentUser, service: Requests, response: Response
) -> schemas.ConnectionRequest:
    """Send a connection request

    Asks another user to connect. The request stays `pending` until they accept or reject it, or the
    caller cancels it. Refused with `422 self_request` for the caller's own id, `409 already_connected`
    when the two are connected, `409 request_pending` when a pending request exists either way, and
    `403 blocked` when either user blocked the other; `Location` is the new request's path.
    """
    request = service.send_request(user.user_id, body.user_id)
    locate(response, f"/connections/requests/{request.id}")
    return request


@router.get(
    "/connections/requests",
    tags=["connections"],
    responses=_problems(_INVALID),
)
def list_connection_requests(
    direction: Annotated[schemas.Direction, Query(description="`incoming` or `outgoing`")],
    user: CurrentUser,
    service: Requests,
    page: Pagination,
) -> Page[schemas.ConnectionRequest]:
    """List pending connection requests

    The pending requests sent to the caller (`direction=incoming`) or by the caller
    (`direction=outgoing`), newest first, one page at a time.
    """
    return service.pending_requests(user.user_id, direction, page)


@router.post(
    "/connections/requests/{request_id}/accept",
    dependencies=[WriteLimit],
    tags=["connections"],
    responses=_problems((404, "Not a pending request to the caller"), _WRITES),
)
def accept_connection_request(request_id: PathId, user: CurrentUser, service: Requests) -> schemas.Accepted:
    """Accept a connection request

    Accepts a pending request sent to the caller: the two users are connected from now on and see each
    other's posts to connections. `404` unless the caller is the recipient of a pending request.
    """
    return service.accept_request(user.user_id, request_id)


@router.post(
    "/connections/requests/{request_id}/reject",
    status_code=_NO_CONTENT,
    dependencies=[WriteLimit],
    tags=["connections"],
    responses=_problems((404, "Not a pending request to the caller"), _WRITES),
)
def reject_connection_request(request_id: PathId, user: CurrentUser, service: Requests) -> None:
    """Reject a connection request

    Turns down a pending request sent to the caller; the sender may ask again later. `404` unless the
    caller is the recipient of a pending request.
    """
    service.reject_request(user.user_id, request_id)


@router.delete(
    "/connections/requests/{request_id}",
    status_code=_NO_CONTENT,
    dependencies=[WriteLimit],
    tags=["connections"],
    responses=_problems((404, "Not a pending request from the caller"), _WRITES),
)
def cancel_connection_request(request_id: PathId, user: CurrentUser, service: Requests) -> None:
    """Cancel a connection request

    Withdraws a pending request the caller sent. `404` unless the caller sent it and it is still pending.
    """
    service.cancel_request(user.user_id, request_id)


# -- connections ---------------------------------------------------------------------------------------


@router.get(
    "/connections",
    tags=["connections"],
    responses=_problems(_INVALID),
)
def list_connections(user: CurrentUser, service: Requests, page: Pagination) -> Page[schemas.Connection]:
    """List the caller's connections

    The caller's connections, newest first, each with the ids of the caller's own tags on that user
    (`tag_ids`; nobody else sees them).
    """
    return service.connections(user.user_id, page)


@router.delete(
    "/connections/{user_id}",
    status_code=_NO_CONTENT,
    tags=["connections"],
    responses=_problems((404, "Not connected")),
)
def remove_connection(user_id: PathId, user: CurrentUser, service: Requests) -> None:
    """Disconnect from a user

    Ends the connection between the caller and that user: each stops seeing the other's posts at once,
    and both sides' tag memberships of the pair go too. `404` when the two are not connected.
    """
    service.remove_connection(user.user_id, user_id)


# -- blocks --------------------------------------------------------------------------------------------


@router.post(
    "/blocks",
    status_code=_NO_CONTENT,
    tags=["blocks"],
    responses=_problems((404, "Unknown user"), (422, "`self_block`, or an invalid body")),
)
def block_user(body: schemas.UserRef, user: CurrentUser, service: Blocks) -> None:
    """Block a user

    Ends any connection, pending requests and tag memberships between the two; neither can send the other
    a request, and the blocked user no longer finds the caller. `422 self_block` for the caller's own id.
    """
    service.block(user.user_id, body.user_id)


@router.delete(
    "/blocks/{user_id}",
    status_code=_NO_CONTENT,
    tags=["blocks"],
    responses=_problems((404, "Not blocked by the caller")),
)
def unblock_user(user_id: PathId, user: CurrentUser, service: Blocks) -> None:
    """Unblock a user

    Lifts a block the caller placed; nothing it ended comes back. `404` when the caller does not block
    that user.
    """
    service.unblock(user.user_id, user_id)


@router.get("/blocks", tags=["blocks"], responses=_problems(_INVALID))
def list_blocks(user: CurrentUser, service: Blocks, page: Pagination) -> Page[UserSummary]:
    """List blocked users

    The users the caller blocked, most recently blocked first.
    """
    return service.blocks(user.user_id, page)


# -- audience tags -------------------------------------------------------------------------------------


@router.get("/tags", tags=["tags"], responses=_problems())
def list_tags(user: CurrentUser, service: Tags) -> schemas.TagList:
    """List the caller's tags

    Every audience tag of the caller's, by name, with its member count. Not paged: a user has few tags.
    Tags are private: nobody else sees them or learns they are in one.
    """
    return service.tags(user.user_id)


@router.post(
    "/tags",
    status_code=status.HTTP_201_CREATED,
    tags=["tags"],
    responses=_problems((409, "`tag_exists` (case-insensitive)"), (422, "Name not 1-50 characters of plain text")),
)
def create_tag(body: schemas.TagIn, user: CurrentUser, service: Tags, response: Response) -> schemas.Tag:
    """Create a tag

    A new, empty audience tag. Names are plain text, 1-50 characters, unique per owner regardless of case
    (`409 tag_exists`). `Location` is the new tag's path.
    """
    tag = service.create_tag(user.user_id, body.name)
    locate(response, f"/tags/{tag.id}")
    return tag


@router.patch(
    "/tags/{tag_id}",
    tags=["tags"],
    responses=_problems(
        (404, "Not the caller's tag"),
        (409, "`tag_exists` (case-insensitive)"),
        (422, "Name not 1-50 characters of plain text"),
    ),
)
def rename_tag(tag_id: PathId, body: schemas.TagIn, user: CurrentUser, service: Tags) -> schemas.Tag:
    """Rename a tag

    Gives one of the caller's tags a new name (`409 tag_exists` when another of their tags has it, in any
    case). Its members and the posts to it stay as they are.
    """
    return service.rename_tag(user.user_id, tag_id, body.name)


@router.delete(
    "/tags/{tag_id}",
    status_code=_NO_CONTENT,
    tags=["tags"],
    responses=_problems((404, "Not the caller's tag")),
)
def delete_tag(tag_id: PathId, user: CurrentUser, service: Tags) -> None:
    """Delete a tag

    Deletes one of the caller's tags and its memberships. Posts to it stay visible only to their other
    tags' members (or to the author alone): an audience never widens by accident.
    """
    service.delete_tag(user.user_id, tag_id)


@router.get(
    "/tags/{tag_id}/members",
    tags=["tags"],
    responses=_problems((404, "Not the caller's tag"), _INVALID),
)
def list_tag_members(tag_id: PathId, user: CurrentUser, service: Tags, page: Pagination) -> Page[UserSummary]:
    """List a tag's members

    The members of one of the caller's tags, most recently added first.
    """
    return service.tag_members(user.user_id, tag_id, page)


@router.put(
    "/tags/{tag_id}/members/{user_id}",
    status_code=_NO_CONTENT,
    tags=["tags"],
    responses=_problems((404, "Not the caller's tag"), (409, "`not_connected`")),
)
def add_tag_member(tag_id: PathId, user_id: PathId, user: CurrentUser, service: Tags) -> None:
    """Add a connection to a tag

    Puts one of the caller's connections in one of the caller's tags (idempotent): they see the posts to
    that tag from now on, earlier ones included. `409 not_connected` for a user who is not a connection.
    """
    service.add_tag_member(user.user_id, tag_id, user_id)


@router.delete(
    "/tags/{tag_id}/members/{user_id}",
    status_code=_NO_CONTENT,
    tags=["tags"],
    responses=_problems((404, "Not the caller's tag")),
)
def remove_tag_member(tag_id: PathId, user_id: PathId, user: CurrentUser, service: Tags) -> None:
    """Remove a user from a tag

    Takes a user out of one of the caller's tags (idempotent): the posts to that tag disappear for them
    at once, unless another of the post's tags has them.
    """
    service.remove_tag_member(user.user_id, tag_id, user_id)


# -- other users, with the caller's relationship to each --------------------------------------------------


@router.get("/users/{user_id}", tags=["users"], responses=_problems((404, "Unknown user"), auth=_SIGNED_IN))
def get_user(user_id: int, caller: CurrentUser, profiles: Profiles) -> PublicUser:
    """Get a user's profile

    Another user's (or the caller's own) public profile, with how the caller relates to them
    (`connection_status`). `404` for an unknown user, or one who blocked the caller.
    """
    return profiles.get(caller.user_id, user_id)


@router.get("/users", tags=["users"], responses=_problems((422, "Invalid query or cursor"), auth=_SIGNED_IN))
def search_users(
    q: Annotated[str, Query(min_length=1, max_length=50, description="Prefix of a username or display name.")],
    caller: CurrentUser,
    profiles: Profiles,
    page: Pagination,
) -> Page[PublicUser]:
    """Search users

    Users whose username or display name starts with `q` (case-insensitive), by username, each with how
    the caller relates to them. Users who blocked the caller are left out.
    """
    return profiles.search(caller.user_id, q, page)
