"""The account lifecycle over HTTP (API.md, "Account lifecycle"): password change and reset, sessions, email
verification, deletion, exports. Thin handlers over the services; mounted under ``/api/v1``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Response, status

from hearth_platform.ids import PathId
from hearth_platform.ratelimit import WriteLimit, limit_per_address
from hearth_platform.routing import Router
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
def change_password(body: PasswordChangeRequest, caller: CurrentUser, passwords: Passwords) -> None:
    """Change the password; every other token of the caller is revoked at once."""
    passwords.change(caller.user_id, caller.token_id, body)


@router.get("/auth/sessions", tags=["auth"], responses=_problems(_AUTH))
def list_sessions(caller: CurrentUser, sessions: Sessions) -> SessionList:
    """The caller's tokens that still work (`current`: the one this request carries)."""
    return sessions.list(caller.user_id, caller.token_id)


@router.delete(
    "/auth/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["auth"],
    responses=_problems(_AUTH, (404, "Not one of the caller's sessions")),
)
def revoke_session(session_id: PathId, caller: CurrentUser, sessions: Sessions) -> None:
    """Revoke one of the caller's sessions at once."""
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
    """Always 202: a single-use link valid one hour is mailed when the address belongs to an account."""
    passwords.request_reset(body.email)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/auth/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["auth"],
    responses=_problems((422, "`invalid_token` (unknown, used or expired), or an invalid password")),
)
def confirm_password_reset(body: PasswordResetConfirm, passwords: Passwords) -> None:
    """Set a new password with a mailed token; every token of the account is revoked."""
    passwords.confirm_reset(body)


@router.post(
    "/auth/verify-email",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["auth"],
    responses=_problems((422, "`invalid_token`")),
)
def verify_email(body: VerifyEmailRequest, verification: Verification) -> None:
    """Confirm the address with a mailed token: `email_verified` becomes true."""
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
    """Mail a new verification link (the earlier ones stop working)."""
    verification.resend(caller.user_id)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.delete(
    "/users/me",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,  # no body
    tags=["users"],
    responses=_problems((401, "`invalid_credentials` (the password) or not authenticated"), (422, "")),
)
def delete_account(body: DeleteAccountRequest, caller: CurrentUser, lifecycle: Lifecycle) -> Response:
    """Delete the account: at once it answers 404 to everyone and its tokens are revoked; a job erases
    everything of it soon after."""
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
    """Start building a zip of the caller's data; poll it with `GET /users/me/exports/{id}`."""
    return exports.start(caller.user_id)


@router.get(
    "/users/me/exports/{export_id}",
    tags=["users"],
    responses=_problems(_AUTH, (404, "Not one of the caller's exports")),
)
def get_export(export_id: PathId, caller: CurrentUser, exports: Exports) -> Export:
    """The export; once `ready`, `url` downloads the zip until `url_expires_at`."""
    return exports.get(caller.user_id, export_id)
