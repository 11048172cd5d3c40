"""Thin HTTP handlers for the caller's notifications."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Response, status

from hearth_platform.pagination import NewestFirst, NewestFirstPage
from hearth_platform.routing import Router
from hearth_platform.security import CurrentUser
from hearth_platform.uow import provide

from .schemas import MarkRead, Notification, UnreadCount
from .service import NotificationsService

router = Router(tags=["notifications"])

Notifications = Annotated[NotificationsService, Depends(provide(NotificationsService))]


@router.get("/notifications")
def list_notifications(
    user: CurrentUser,
    page: NewestFirst,
    notifications: Notifications,
    unread_only: Annotated[bool, Query(description="Only the notifications not marked read")] = False,
) -> NewestFirstPage[Notification]:
    """List the caller's notifications

    Newest first (`created_at`, then `id`); with `unread_only`, only those not marked read. `type` says
    what happened: `connection_request`, `connection_accepted`, `comment` (on the caller's post), `reply`
    (a comment on a post the caller commented on), `reaction` (on the caller's post; once per reactor and
    post, gone when they take back their last reaction to it) or `mention`; `post_id` and `comment_id` are
    null where they do not apply. What is listed is decided when it is read: a notification about a post
    or comment the caller can no longer see, or from a user who blocked the caller or whom the caller
    blocked, is left out. Poll with `newer_than` and the page's `newer_cursor` for what came since.
    """
    return notifications.page(user.user_id, page, unread_only)


@router.get("/notifications/unread-count")
def unread_count(user: CurrentUser, notifications: Notifications) -> UnreadCount:
    """Count the caller's unread notifications

    `count` of the caller's notifications not marked read, by the list's rule: those about a post or
    comment the caller can no longer see, or from a user blocked either way, are not counted.
    """
    return notifications.unread_count(user.user_id)


@router.post("/notifications/read", status_code=status.HTTP_204_NO_CONTENT)
def mark_read(data: MarkRead, user: CurrentUser, notifications: Notifications) -> Response:
    """Mark notifications read

    Either `{"up_to_id": id}`: every notification of the caller's with an id up to that one (the top of
    the page the client showed); or `{"ids": [...]}`: those of 1-100 ids. Exactly one of the two, not
    null, else `422`. Ids of notifications that are not the caller's change nothing. `204`, no body.
    """
    notifications.mark_read(user.user_id, data)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
