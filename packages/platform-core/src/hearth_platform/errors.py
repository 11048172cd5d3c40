"""Typed errors and the one place that renders every error as RFC 9457 problem+json."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from .methods import OUT_OF_RANGE, allowed_methods
from .routing import has_steps_before_handler, in_thread, run_before_handler

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://hearth.dev/problems/"

log = logging.getLogger("hearth.errors")


class HearthError(Exception):
    """Base of every domain error: carries its HTTP status and a stable machine-readable code."""

    status: int = 500
    code: str = "internal_error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail or HTTPStatus(self.status).phrase)
        self.detail = detail
        if code is not None:
            self.code = code
        self.headers = dict(headers or {})
        self.errors = list(errors) if errors is not None else None


class BadRequest(HearthError):
    status, code = 400, "bad_request"


class HostNotAllowed(BadRequest):
    """A ``Host`` header outside ``HEARTH_ALLOWED_HOSTS`` (the host is not echoed: it is the client's text)."""

    def __init__(self) -> None:
        super().__init__("The Host header names a host this server does not answer to.")


class Unauthorized(HearthError):
    status, code = 401, "unauthorized"

    def __init__(self, detail: str | None = None, *, code: str | None = None) -> None:
        super().__init__(detail, code=code, headers={"WWW-Authenticate": "Bearer"})


class TokenRequired(Unauthorized):
    def __init__(self) -> None:
        super().__init__("A bearer token is required.")


class TokenRejected(Unauthorized):
    def __init__(self) -> None:
        super().__init__("The bearer token is invalid, expired or revoked.")


class Forbidden(HearthError):
    status, code = 403, "forbidden"


class NotFound(HearthError):
    status, code = 404, "not_found"


class ObjectNotFound(NotFound):
    """``<Noun> <id> was not found.``: one class per kind of object, its noun written once."""

    noun = "Object"

    def __init__(self, object_id: int) -> None:
        super().__init__(f"{self.noun} {object_id} was not found.")
        self.object_id = object_id


class Conflict(HearthError):
    status, code = 409, "conflict"


class PayloadTooLarge(HearthError):
    status, code = 413, "payload_too_large"


class BodyTooLarge(PayloadTooLarge):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than {limit} bytes.")


class Unprocessable(HearthError):
    """A request that is well formed but breaks a rule (422), e.g. ``self_request``."""

    status, code = 422, "validation_error"


class InvalidCursor(Unprocessable):
    code = "invalid_cursor"

    def __init__(self) -> None:
        super().__init__("The cursor is not valid for this list.")


class RateLimited(HearthError):
    status, code = 429, "rate_limited"

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        super().__init__(
            detail or f"Too many requests; retry in {retry_after} s.",
            headers={"Retry-After": str(max(1, retry_after))},
        )
        self.retry_after = max(1, retry_after)


class ServiceUnavailable(HearthError):
    status, code = 503, "service_unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__("The service is temporarily unavailable; please retry.", headers={"Retry-After": "2"})


class Unexpected(HearthError):
    """Whatever went wrong unexpectedly: the client learns nothing more than this."""

    def __init__(self) -> None:
        super().__init__("An unexpected error occurred.")


def problem_body(
    status: int,
    code: str,
    detail: str | None = None,
    *,
    instance: str | None = None,
    request_id: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The RFC 9457 body, the one shape of every error (also for middleware that answers before routing)."""
    title = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code.replace("_", "-"),
        "title": title,
        "status": status,
        "detail": detail or title,
        "code": code,
    }
    if instance is not None:
        body["instance"] = instance
    if request_id:
        body["request_id"] = request_id
    if extra:
        body.update(extra)
    return body


def problem_response(
    request: Request | None,
    status: int,
    code: str,
    detail: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """Build one problem+json response; every error path goes through here."""
    request_id = getattr(request.state, "request_id", None) if request is not None else None
    instance = request.url.path if request is not None else None
    body = problem_body(status, code, detail, instance=instance, request_id=request_id, extra=extra)
    out_headers = dict(headers or {})
    if request_id:
        out_headers.setdefault("X-Request-ID", request_id)
    return JSONResponse(body, status_code=status, headers=out_headers, media_type=PROBLEM_JSON)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "service_unavailable",
}


def _clean_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        out.append(
            {
                "loc": [str(p) if not isinstance(p, int) else p for p in err.get("loc", ())],
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
        )
    return out


async def _hearth_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HearthError)
    extra = {"errors": exc.errors} if exc.errors is not None else None
    if exc.status == 422 and extra is None:
        extra = {"errors": []}
    return problem_response(request, exc.status, exc.code, exc.detail, headers=exc.headers, extra=extra)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if has_steps_before_handler(request.scope):
        # the caller's token (and rate limit) is checked before what is wrong with the request is told
        try:
            await in_thread(run_before_handler, request.scope)
        except HearthError as refused:
            return await _hearth_error(request, refused)
    errors = _clean_errors(exc.errors())
    if errors and all(e["loc"][:1] == ["path"] for e in errors):
        # e.g. DELETE /connections/requests reached /connections/{user_id}: the URL is another route's
        allowed = allowed_methods(request)
        if allowed and request.method not in allowed:
            return _method_not_allowed(request, allowed)
    if errors and all(e["loc"][:1] == ["path"] and e["type"] in OUT_OF_RANGE for e in errors):
        # an id that cannot exist (0, negative, past bigint) is simply not found, like any unknown id
        return problem_response(request, 404, "not_found", f"No resource at {request.url.path}.")
    detail = "The request is not valid: " + "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5]
    )
    return problem_response(request, 422, "validation_error", detail, extra={"errors": errors})


_UNPARSABLE_BODY = "There was an error parsing the body"  # FastAPI's 400 for a body json.loads cannot take


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _UNPARSABLE_BODY:
        # invalid UTF-8 or nesting too deep to decode: malformed JSON like any other, so 422 (API.md)
        msg = "The body is not valid JSON text (UTF-8, nested at most ~1000 deep)."
        error = {"loc": ["body"], "msg": msg, "type": "json_invalid"}
        return problem_response(request, 422, "validation_error", msg, extra={"errors": [error]})
    code = _HTTP_CODES.get(exc.status_code, "error")
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path}."
    if exc.status_code == 405:
        return _method_not_allowed(request, allowed_methods(request), exc.headers)
    return problem_response(request, exc.status_code, code, detail, headers=exc.headers)


def _method_not_allowed(
    request: Request, allowed: list[str], fallback: Mapping[str, str] | None = None
) -> JSONResponse:
    """``405`` with ``Allow`` naming every method of the URL (Starlette's names only the first route's)."""
    headers = {"Allow": ", ".join(allowed)} if allowed else dict(fallback or {})
    return problem_response(request, 405, "method_not_allowed", "Method Not Allowed", headers=headers)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.error("database unavailable: %s", type(exc).__name__)
    return await _hearth_error(request, DatabaseUnavailable())


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if exc.connection_invalidated or isinstance(exc, OperationalError):
        return await _database_unavailable(request, exc)
    if isinstance(exc, DataError):  # a value the database refuses (out of range, bad encoding)
        return problem_response(
            request, 422, "validation_error", "A value in the request is out of range.", extra={"errors": []}
        )
    if isinstance(exc, IntegrityError):  # a constraint the service did not turn into a precise 409
        log.warning("unmapped integrity error: %s", getattr(exc.orig, "diag", None) and exc.orig.diag.constraint_name)  # type: ignore[union-attr]
        return problem_response(request, 409, "conflict", "The request conflicts with the current state.")
    return await _unexpected(request, exc)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette calls this from ServerErrorMiddleware, outside the request-id middleware (whose context
    # has ended): pass the id explicitly so the stack trace can be found from the id the client got.
    log.exception("unhandled error", exc_info=exc, extra={"request_id": getattr(request.state, "request_id", None)})
    return await _hearth_error(request, Unexpected())


def install_error_handlers(app: FastAPI) -> None:
    """Route every kind of error through :func:`problem_response`."""
    app.add_exception_handler(HearthError, _hearth_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(PoolTimeoutError, _database_unavailable)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
