"""Thin HTTP handlers for the caller's notifications."""

from __future__ import annotations

import logging
import os
from typing import Annotated

from fastapi import Depends, Header, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from hearth_platform.pagination import NewestFirst, NewestFirstPage
from hearth_platform.routing import Router, in_thread
from hearth_platform.security import CurrentUser
from hearth_platform.uow import provide

from .live import StreamHub, Subscription
from .schemas import MarkRead, Notification, UnreadCount
from .service import NotificationsService
from .streaming import STREAM_EXAMPLE, event_stream, last_event_id

log = logging.getLogger("hearth.stream")

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


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-Sent Events: `notification` and `post` events, each with an `id`, and a comment "
            "line at least every 30 s",
            "content": {
                "text/event-stream": {
                    "schema": {
                        "type": "object",
                        "description": "One event: `data` is a Notification or `{id}` (post), as JSON",
                        "properties": {
                            "event": {"type": "string", "enum": ["notification", "post"]},
                            "id": {"type": "string"},
                            "data": {"type": "string"},
                        },
                    },
                    "example": STREAM_EXAMPLE,
                }
            },
        },
        429: {"description": "The caller has as many streams open as a user may (`too_many_streams`)"},
        503: {"description": "The server holds as many streams as it may (`streams_unavailable`)"},
    },
)
async def open_stream(
    user: CurrentUser,
    request: Request,
    last_event: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            description="The id of the last event received: the events after it of the last 5 minutes are sent first",
        ),
    ] = None,
) -> StreamingResponse:
    """The caller's live events, as Server-Sent Events

    `notification` events carry a `Notification` (as the list shows it), `post` events `{"id": ...}` of a post
    that just reached the top of the caller's feed; each has an `id`. A client that reconnects with
    `Last-Event-ID` is sent first the events it missed in the last 5 minutes. Only what the caller may still
    see when the event is sent is sent. A logout or a revoked token ends the stream within seconds.
    `429 too_many_streams` when the caller has as many streams open as a user may; `503 streams_unavailable`
    when the server holds as many as it may.
    """
    hub: StreamHub = request.app.state.container.resolve(StreamHub)
    member = await in_thread(hub.claim, user.user_id)  # the user's cap on every worker and instance (Redis)
    try:
        subscription = hub.open(user.user_id, user.token_id, member)  # this worker's caps
    except BaseException:
        await in_thread(hub.release, user.user_id, member)
        raise
    log.info("stream opened", extra={"user_id": user.user_id, "worker_pid": os.getpid()})
    body = event_stream(request.app.state, hub, subscription, last_event_id(last_event))
    return StreamingResponse(
        body,
        background=BackgroundTask(_closing, hub, subscription),  # idempotent: also when the body never started
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _closing(hub: StreamHub, subscription: Subscription) -> None:
    """The answer's background task: a coroutine, so the hub's streams (event-loop state) are changed on the
    loop (Starlette runs a plain function in a worker thread)."""
    hub.close(subscription)
