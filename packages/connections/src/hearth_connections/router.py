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
    summary="Send a connection request",
    responses=_problems(
        (403, "Either user blocked the other (`blocked`)"),
        (404, "Unknown user"),
        (409, "`already_connected`, or `request_pending` (either direction)"),
        (422, "`self_request`, or an invalid body"),
        _WRITES,
    ),
)
def send_request(
    body: schemas.UserRef, user: CurrentUser, service: Requests, response: Response
) -> schemas.ConnectionRequest:
    request = service.send_request(user.user_id, body.user_id)
    locate(response, f"/connections/requests/{request.id}")
    return request


@router.get(
    "/connections/requests",
    tags=["connections"],
    summary="Pending requests to (incoming) or from (outgoing) the caller, newest first",
    responses=_problems(_INVALID),
)
def list_requests(
    direction: Annotated[schemas.Direction, Query(description="`incoming` or `outgoing`")],
    user: CurrentUser,
    service: Requests,
    page: Pagination,
) -> Page[schemas.ConnectionRequest]:
    return service.pending_requests(user.user_id, direction, page)


@router.post(
    "/connections/requests/{request_id}/accept",
    dependencies=[WriteLimit],
    tags=["connections"],
    summary="Accept a pending request sent to the caller",
    responses=_problems((404, "Not a pending request to the caller"), _WRITES),
)
def accept_request(request_id: PathId, user: CurrentUser, service: Requests) -> schemas.Accepted:
    return service.accept_request(user.user_id, request_id)


@router.post(
    "/connections/requests/{request_id}/reject",
    status_code=_NO_CONTENT,
    dependencies=[WriteLimit],
    tags=["connections"],
    summary="Reject a pending request sent to the caller",
    responses=_problems((404, "Not a pending request to the caller"), _WRITES),
)
def reject_request(request_id: PathId, user: CurrentUser, service: Requests) -> None:
    service.reject_request(user.user_id, request_id)


@router.delete(
    "/connections/requests/{request_id}",
    status_code=_NO_CONTENT,
    dependencies=[WriteLimit],
    tags=["connections"],
    summary="Cancel a pending request the caller sent",
    responses=_problems((404, "Not a pending request from the caller"), _WRITES),
)
def cancel_request(request_id: PathId, user: CurrentUser, service: Requests) -> None:
    service.cancel_request(user.user_id, request_id)


# -- connections ---------------------------------------------------------------------------------------


@router.get(
    "/connections",
    tags=["connections"],
    summary="The caller's connections, newest first, with the caller's own tags on each",
    responses=_problems(_INVALID),
)
def list_connections(user: CurrentUser, service: Requests, page: Pagination) -> Page[schemas.Connection]:
    return service.connections(user.user_id, page)


@router.delete(
    "/connections/{user_id}",
    status_code=_NO_CONTENT,
    tags=["connections"],
    summary="Disconnect (both sides' tag memberships of the pair go too)",
    responses=_problems((404, "Not connected")),
)
def remove_connection(user_id: PathId, user: CurrentUser, service: Requests) -> None:
    service.remove_connection(user.user_id, user_id)


# -- blocks --------------------------------------------------------------------------------------------


@router.post(
    "/blocks",
    status_code=_NO_CONTENT,
    tags=["blocks"],
    summary="Block a user (ends any connection, pending requests and tag memberships between the two)",
    responses=_problems((404, "Unknown user"), (422, "`self_block`, or an invalid body")),
)
def block(body: schemas.UserRef, user: CurrentUser, service: Blocks) -> None:
    service.block(user.user_id, body.user_id)


@router.delete(
    "/blocks/{user_id}",
    status_code=_NO_CONTENT,
    tags=["blocks"],
    summary="Unblock a user",
    responses=_problems((404, "Not blocked by the caller")),
)
def unblock(user_id: PathId, user: CurrentUser, service: Blocks) -> None:
    service.unblock(user.user_id, user_id)


@router.get(
    "/blocks", tags=["blocks"], summary="The users the caller blocked, newest first", responses=_problems(_INVALID)
)
def list_blocks(user: CurrentUser, service: Blocks, page: Pagination) -> Page[UserSummary]:
    return service.blocks(user.user_id, page)


# -- audience tags -------------------------------------------------------------------------------------


@router.get("/tags", tags=["tags"], summary="All of the caller's tags, by name", responses=_problems())
def list_tags(user: CurrentUser, service: Tags) -> schemas.TagList:
    return service.tags(user.user_id)


@router.post(
    "/tags",
    status_code=status.HTTP_201_CREATED,
    tags=["tags"],
    summary="Create a tag",
    responses=_problems((409, "`tag_exists` (case-insensitive)"), (422, "Name not 1-50 characters of plain text")),
)
def create_tag(body: schemas.TagIn, user: CurrentUser, service: Tags, response: Response) -> schemas.Tag:
    tag = service.create_tag(user.user_id, body.name)
    locate(response, f"/tags/{tag.id}")
    return tag


@router.patch(
    "/tags/{tag_id}",
    tags=["tags"],
    summary="Rename a tag",
    responses=_problems(
        (404, "Not the caller's tag"),
        (409, "`tag_exists` (case-insensitive)"),
        (422, "Name not 1-50 characters of plain text"),
    ),
)
def rename_tag(tag_id: PathId, body: schemas.TagIn, user: CurrentUser, service: Tags) -> schemas.Tag:
    return service.rename_tag(user.user_id, tag_id, body.name)


@router.delete(
    "/tags/{tag_id}",
    status_code=_NO_CONTENT,
    tags=["tags"],
    summary="Delete a tag and its memberships",
    responses=_problems((404, "Not the caller's tag")),
)
def delete_tag(tag_id: PathId, user: CurrentUser, service: Tags) -> None:
    service.delete_tag(user.user_id, tag_id)


@router.get(
    "/tags/{tag_id}/members",
    tags=["tags"],
    summary="A tag's members, most recently added first",
    responses=_problems((404, "Not the caller's tag"), _INVALID),
)
def list_tag_members(tag_id: PathId, user: CurrentUser, service: Tags, page: Pagination) -> Page[UserSummary]:
    return service.tag_members(user.user_id, tag_id, page)


@router.put(
    "/tags/{tag_id}/members/{user_id}",
    status_code=_NO_CONTENT,
    tags=["tags"],
    summary="Put a connection in a tag (idempotent)",
    responses=_problems((404, "Not the caller's tag"), (409, "`not_connected`")),
)
def add_tag_member(tag_id: PathId, user_id: PathId, user: CurrentUser, service: Tags) -> None:
    service.add_tag_member(user.user_id, tag_id, user_id)


@router.delete(
    "/tags/{tag_id}/members/{user_id}",
    status_code=_NO_CONTENT,
    tags=["tags"],
    summary="Take a user out of a tag (idempotent)",
    responses=_problems((404, "Not the caller's tag")),
)
def remove_tag_member(tag_id: PathId, user_id: PathId, user: CurrentUser, service: Tags) -> None:
    service.remove_tag_member(user.user_id, tag_id, user_id)


# -- other users, with the caller's relationship to each --------------------------------------------------


@router.get("/users/{user_id}", tags=["users"], responses=_problems((404, "Unknown user"), auth=_SIGNED_IN))
def get_user(user_id: int, caller: CurrentUser, profiles: Profiles) -> PublicUser:
    return profiles.get(caller.user_id, user_id)


@router.get("/users", tags=["users"], responses=_problems((422, "Invalid query or cursor"), auth=_SIGNED_IN))
def search_users(
    q: Annotated[str, Query(min_length=1, max_length=50, description="Prefix of a username or display name.")],
    caller: CurrentUser,
    profiles: Profiles,
    page: Pagination,
) -> Page[PublicUser]:
    """Users whose username or display name starts with ``q`` (case-insensitive), by username."""
    return profiles.search(caller.user_id, q, page)
