"""The account lifecycle over HTTP (API.md, "Account lifecycle"): password change and reset, sessions, email
verification, deletion, exports. Thin handlers over the services; mounted under ``/api/v1``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Response, status

from hearth_platform.ids import PathId
from hearth_platform.ratelimit import WriteLimit, limit_per_address
from hearth_platform.routing import Router, waits
from hearth_platform.security import CurrentUser
from hearth_platform.uow import provide

from .router import _problems
from .schemas import (
    DeleteAccountRequest,
    Export,
    PasswordChangeRequest,
    PasswordResetConfirm,
    PasswordResetRequest,
    SessionList,
    VerifyEmailRequest,
)
from .service import AccountLifecycle, EmailVerification, ExportService, PasswordService, SessionsService

router = Router()

Passwords = Annotated[PasswordService, Depends(provide(PasswordService))]
Sessions = Annotated[SessionsService, Depends(provide(SessionsService))]
Verification = Annotated[EmailVerification, Depends(provide(EmailVerification))]
Lifecycle = Annotated[AccountLifecycle, Depends(provide(AccountLifecycle))]
Exports = Annotated[ExportService, Depends(provide(ExportService))]

_AUTH = (401, "Not authenticated")


@router.post(
    "/users/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["users"],
    responses=_problems((401, "`invalid_credentials` (the current password) or not authenticated"), (422, "")),
)
@waits  # hashes a password (argon2id, tens of ms)
def change_password(body: PasswordChangeRequest, caller: CurrentUser, passwords: Passwords) -> None:
    """Change the caller's password

    Sets `new_password` (10-128 characters) after checking `current_password`: a wrong one gets
    `401 invalid_credentials`. Every other token of the caller is revoked at once; the one this request
    carries keeps working. `204`, no body.
    """
    passwords.change(caller.user_id, caller.token_id, body)


@router.get("/auth/sessions", tags=["auth"], responses=_problems(_AUTH))
def list_sessions(caller: CurrentUser, sessions: Sessions) -> SessionList:
    """List the caller's sessions

    The caller's bearer tokens that still work, newest first: when each was issued, last used and expires,
    and the `User-Agent` of the register or login that issued it (may be null). `current` marks the token
    this request carries. `last_used_at` is noted at most once a minute per token.
    """
    return sessions.list(caller.user_id, caller.token_id)


@router.delete(
    "/auth/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["auth"],
    responses=_problems(_AUTH, (404, "Not one of the caller's sessions")),
)
def revoke_session(session_id: PathId, caller: CurrentUser, sessions: Sessions) -> None:
    """Revoke one of the caller's sessions

    Revokes that token at once: any later request with it gets `401`. `404` for a session that is not the
    caller's or no longer works. `204`, no body.
    """
    sessions.revoke(caller.user_id, session_id)


@router.post(
    "/auth/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,  # no body
    dependencies=[limit_per_address("password_reset")],
    tags=["auth"],
    responses=_problems((422, "Not an email address"), (429, "Rate limited")),
)
def request_password_reset(body: PasswordResetRequest, passwords: Passwords) -> Response:
    """Request a password reset mail

    Needs no token. Always `202`, no body, whether or not the address is an account's, so that it tells
    nobody which addresses are: when it belongs to an active account, a single-use reset link valid one
    hour (by default) is mailed to it, and any earlier link stops working. `429` when the client's address
    asks too often.
    """
    passwords.request_reset(body.email)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/auth/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["auth"],
    responses=_problems((422, "`invalid_token` (unknown, used or expired), or an invalid password")),
)
@waits  # hashes a password (argon2id, tens of ms)
def confirm_password_reset(body: PasswordResetConfirm, passwords: Passwords) -> None:
    """Reset the password with a mailed token

    Needs no bearer token: the `token` from the reset mail sets `new_password` (10-128 characters), and
    every token of the account is revoked. A token that is unknown, used or expired gets
    `422 invalid_token`. `204`, no body.
    """
    passwords.confirm_reset(body)


@router.post(
    "/auth/verify-email",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["auth"],
    responses=_problems((422, "`invalid_token`")),
)
def verify_email(body: VerifyEmailRequest, verification: Verification) -> None:
    """Verify the email address with a mailed token

    Needs no bearer token: the `token` from the verification mail confirms the account's address, and its
    `email_verified` becomes true. A token that is unknown, used or expired gets `422 invalid_token`.
    `204`, no body.
    """
    verification.verify(body.token)


@router.post(
    "/users/me/verification-email",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,  # no body
    dependencies=[WriteLimit],
    tags=["users"],
    responses=_problems(_AUTH, (409, "`already_verified`"), (429, "Rate limited")),
)
def resend_verification(caller: CurrentUser, verification: Verification) -> Response:
    """Resend the verification mail

    Mails the caller a new link to verify their address, valid three days by default; the earlier links
    stop working. `409 already_verified` when the address is verified already. `202`, no body.
    """
    verification.resend(caller.user_id)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.delete(
    "/users/me",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,  # no body
    tags=["users"],
    responses=_problems((401, "`invalid_credentials` (the password) or not authenticated"), (422, "")),
)
@waits  # hashes a password (argon2id, tens of ms)
def delete_account(body: DeleteAccountRequest, caller: CurrentUser, lifecycle: Lifecycle) -> Response:
    """Delete the caller's account

    Needs the caller's `password` (`401 invalid_credentials` otherwise). At once the account answers
    `404` to everyone and all its tokens are revoked; a job soon erases its posts, comments, connections,
    requests, blocks, tags, invites, exports and media (the bytes too), then the account. `202`, no body.
    """
    lifecycle.delete(caller.user_id, body.password)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/users/me/exports",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[WriteLimit],
    tags=["users"],
    responses=_problems(_AUTH, (409, "`export_running`"), (429, "Rate limited")),
)
def start_export(caller: CurrentUser, exports: Exports) -> Export:
    """Start an export of the caller's data

    Starts building a zip of the caller's profile, connections, tags, blocks, posts, comments and media
    (as JSON, with the media files) and answers the export, `pending`; poll it with
    `GET /users/me/exports/{id}`. `409 export_running` while another export of the caller's is pending.
    """
    return exports.start(caller.user_id)


@router.get(
    "/users/me/exports/{export_id}",
    tags=["users"],
    responses=_problems(_AUTH, (404, "Not one of the caller's exports")),
)
def get_export(export_id: PathId, caller: CurrentUser, exports: Exports) -> Export:
    """Get one of the caller's exports

    Once `status` is `ready`, `url` downloads the zip until `url_expires_at` (read the export again for a
    fresh URL); `url` is null while it is `pending` and for a `failed` export. An export is deleted seven
    days (by default) after it was made. `404` for an export that is not the caller's.
    """
    return exports.get(caller.user_id, export_id)
