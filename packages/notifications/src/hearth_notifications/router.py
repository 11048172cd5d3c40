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
    """The caller's notifications, newest first: only those about what they may still see."""
    return notifications.page(user.user_id, page, unread_only)


@router.get("/notifications/unread-count")
def unread_count(user: CurrentUser, notifications: Notifications) -> UnreadCount:
    """How many of the listed notifications are unread."""
    return notifications.unread_count(user.user_id)


@router.post("/notifications/read", status_code=status.HTTP_204_NO_CONTENT)
def mark_read(data: MarkRead, user: CurrentUser, notifications: Notifications) -> Response:
    """Mark read every notification up to ``up_to_id``, or those of ``ids`` (others' ids change nothing)."""
    notifications.mark_read(user.user_id, data)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
