"""Invites over HTTP (API.md, "Registration modes and invites"); mounted under ``/api/v1``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Response, status

from hearth_platform.ids import PathId
from hearth_platform.pagination import Page, Pagination
from hearth_platform.ratelimit import WriteLimit
from hearth_platform.routing import Router, locate
from hearth_platform.security import CurrentUser
from hearth_platform.uow import provide

from .router import _problems
from .schemas import CreateInviteRequest, InviteOut
from .service import InviteService

router = Router()

Invites = Annotated[InviteService, Depends(provide(InviteService))]


@router.post(
    "/invites",
    status_code=status.HTTP_201_CREATED,
    dependencies=[WriteLimit],
    tags=["invites"],
    responses=_problems((401, ""), (429, "Over the quota of open invites, or rate limited")),
)
def create_invite(body: CreateInviteRequest, caller: CurrentUser, invites: Invites, response: Response) -> InviteOut:
    """Create an invite

    A new single-use invite code, valid 14 days by default, for registering (`invite_code`) when
    registration is by invitation. With `connect: true`, whoever registers with it is connected with the
    caller. `429`, with `Retry-After` (when the soonest expires), when the caller has as many open invites
    as the quota (10 by default). `Location` is the new invite's path.
    """
    invite = invites.create(caller.user_id, body.connect)
    locate(response, f"/invites/{invite.id}")
    return invite


@router.get("/invites", tags=["invites"], responses=_problems((401, "")))
def list_invites(caller: CurrentUser, page: Pagination, invites: Invites) -> Page[InviteOut]:
    """List the caller's invites

    A page of the invites the caller created, newest first; `used_by` is the user who registered with an
    invite's code, null while it is unused.
    """
    return invites.page(caller.user_id, page)


@router.delete(
    "/invites/{invite_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["invites"],
    responses=_problems((401, ""), (404, "Not one of the caller's invites"), (409, "`invite_used`")),
)
def withdraw_invite(invite_id: PathId, caller: CurrentUser, invites: Invites) -> None:
    """Withdraw an invite

    Deletes one of the caller's unused invites: its code no longer registers anyone. `409 invite_used`
    for an invite already used; `404` for one that is not the caller's. `204`, no body.
    """
    invites.withdraw(caller.user_id, invite_id)
