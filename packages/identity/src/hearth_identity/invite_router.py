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
    """A new invite code; with `connect`, the new user and the caller are connected on registration."""
    invite = invites.create(caller.user_id, body.connect)
    locate(response, f"/invites/{invite.id}")
    return invite


@router.get("/invites", tags=["invites"], responses=_problems((401, "")))
def list_invites(caller: CurrentUser, page: Pagination, invites: Invites) -> Page[InviteOut]:
    """The caller's invites, newest first."""
    return invites.page(caller.user_id, page)


@router.delete(
    "/invites/{invite_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["invites"],
    responses=_problems((401, ""), (404, "Not one of the caller's invites"), (409, "`invite_used`")),
)
def withdraw_invite(invite_id: PathId, caller: CurrentUser, invites: Invites) -> None:
    """Withdraw an unused invite."""
    invites.withdraw(caller.user_id, invite_id)
