"""The OpenAPI document as the contract (``API.md``) has it: every operation declares its errors.

FastAPI documents the success response of each route and a JSON ``422`` of its own. Every error Hearth
sends is RFC 9457 ``application/problem+json`` (``hearth_platform.errors``), so :func:`install_openapi`
rewrites the generated document once, after FastAPI built it:

- a ``Problem`` schema (``type``, ``title``, ``status``, ``detail``, ``instance``, ``code``,
  ``request_id``) and a ``ValidationProblem`` that adds ``errors`` (for ``422``);
- on every operation: ``401`` when it needs a bearer token (with ``WWW-Authenticate``), ``404`` when its
  path takes an id, ``403`` and ``409`` where the contract has them, ``413`` when it takes a body, ``422``
  when it takes any input (FastAPI's JSON one replaced), ``429`` (every ``/api/v1`` route is rate limited)
  and ``503`` (every route needs the database); each with the contract's codes for that status and route;
- the bearer security scheme on every authenticated operation, and ``X-Request-ID`` on every response;
- an example of every error response (its status and first code), as the examples of the bodies and
  answers come from the packages' models (``hearth_platform.examples``);
- the limits that come from the settings (the largest upload), and integer bounds as integers: FastAPI's
  OpenAPI model keeps them as floats, and ``2**63 - 1`` (the largest id) does not survive as one.

The error statuses of an operation are exactly those: one a router declares beyond them is dropped (a
new one belongs in ``_CONTRACT``, after ``API.md``). A router's description of a ``403``, ``404`` or
``409`` is kept where the contract says nothing more precise. Success responses stay as declared.
"""

from __future__ import annotations

import copy
import re
import typing
from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, routing

from hearth_platform.errors import PROBLEM_BASE, PROBLEM_JSON
from hearth_platform.ids import MAX_ID
from hearth_platform.security import CurrentUser
from hearth_platform.settings import Settings

PROBLEM = "Problem"
VALIDATION_PROBLEM = "ValidationProblem"
BEARER = "bearerAuth"

_REF = "#/components/schemas/"
_HEADER_REF = "#/components/headers/"

# -- what the contract says, per status and per operation (``API.md``) ---------------------------------

_DEFAULT_DESCRIPTIONS: dict[int, str] = {
    401: "Missing, malformed, expired or revoked bearer token (`unauthorized`)",
    403: "Visible to the caller, but the caller may not change it (`forbidden`)",
    404: "Not found, or not visible to the caller (`not_found`)",
    409: "Conflicts with the current state",
    413: "Request body over the size limit (`payload_too_large`)",
    422: "Invalid input (`validation_error`)",
    429: "Rate limited (`rate_limited`); retry after `Retry-After` seconds",
    503: "A dependency is unavailable (`service_unavailable`); retry later",
}

_BASE_CODES: dict[int, tuple[str, ...]] = {
    401: ("unauthorized",),
    403: ("forbidden",),
    404: ("not_found",),
    409: ("conflict",),  # a constraint the service did not name more precisely
    413: ("payload_too_large",),
    422: ("validation_error",),
    429: ("rate_limited",),
    503: ("service_unavailable",),
}

# (method, path) -> {status: (description, codes)}: the statuses the contract names for an operation
# beyond what its shape implies (401 for a token, 404 for a path id, 413/422 for input, 429, 503).
_CONTRACT: dict[tuple[str, str], dict[int, tuple[str, tuple[str, ...]]]] = {
    ("post", "/api/v1/auth/register"): {
        403: ("`invite_required`: the registration mode needs a valid invite code, or is closed", ("invite_required",)),
        409: ("`username_taken` or `email_taken`", ("username_taken", "email_taken")),
    },
    ("post", "/api/v1/auth/login"): {
        401: ("`invalid_credentials` (one answer for an unknown user and a wrong password)", ("invalid_credentials",)),
        403: ("The right password for a suspended account (`forbidden`)", ()),
    },
    # -- the account lifecycle --
    ("post", "/api/v1/users/me/password"): {
        401: ("`invalid_credentials` (the current password), or a missing or dead token", ("invalid_credentials",))
    },
    ("delete", "/api/v1/auth/sessions/{session_id}"): {404: ("Not one of the caller's live sessions", ())},
    ("post", "/api/v1/auth/password-reset/confirm"): {
        422: ("`invalid_token` (unknown, used or expired), or an invalid body", ("invalid_token",))
    },
    ("post", "/api/v1/auth/verify-email"): {
        422: ("`invalid_token` (unknown, used or expired), or an invalid body", ("invalid_token",))
    },
    ("post", "/api/v1/users/me/verification-email"): {409: ("`already_verified`", ("already_verified",))},
    ("delete", "/api/v1/users/me"): {
        401: ("`invalid_credentials` (the password), or a missing or dead token", ("invalid_credentials",))
    },
    ("post", "/api/v1/users/me/exports"): {409: ("`export_running`: one is being built", ("export_running",))},
    ("get", "/api/v1/users/me/exports/{export_id}"): {404: ("Not one of the caller's exports", ())},
    # -- registration modes and invites --
    ("delete", "/api/v1/invites/{invite_id}"): {
        404: ("Not one of the caller's invites", ()),
        409: ("`invite_used`: a used invite cannot be withdrawn", ("invite_used",)),
    },
    ("patch", "/api/v1/users/me"): {404: ("Avatar media that is not the caller's", ())},
    ("post", "/api/v1/connections/requests"): {
        403: ("Either user blocked the other (`blocked`)", ("blocked",)),
        404: ("Unknown user", ()),
        409: ("`already_connected`, or `request_pending` (either direction)", ("already_connected", "request_pending")),
        422: ("`self_request`, or an invalid body", ("self_request",)),
    },
    ("post", "/api/v1/blocks"): {
        404: ("Unknown user", ()),
        422: ("`self_block`, or an invalid body", ("self_block",)),
    },
    ("post", "/api/v1/tags"): {409: ("`tag_exists` (case-insensitive per owner)", ("tag_exists",))},
    ("patch", "/api/v1/tags/{tag_id}"): {409: ("`tag_exists` (case-insensitive per owner)", ("tag_exists",))},
    ("put", "/api/v1/tags/{tag_id}/members/{user_id}"): {
        409: ("`not_connected`: only connections can be put in a tag", ("not_connected",))
    },
    ("post", "/api/v1/posts"): {
        404: ("A tag or media id that is not the caller's", ()),
        409: ("A media not uploaded yet (`media_not_ready`)", ("media_not_ready",)),
    },
    ("patch", "/api/v1/posts/{post_id}"): {
        403: ("Visible, but the caller is not the author (`forbidden`)", ()),
        404: ("Not visible to the caller, or a tag id that is not the caller's", ()),
    },
    ("delete", "/api/v1/posts/{post_id}"): {403: ("Visible, but the caller is not the author (`forbidden`)", ())},
    ("delete", "/api/v1/comments/{comment_id}"): {
        403: ("Visible, but the caller wrote neither the comment nor the post (`forbidden`)", ())
    },
    ("get", "/api/v1/feed"): {404: ("`tag_id` is not one of the caller's tags", ())},
    ("post", "/api/v1/media"): {
        413: ("Over the body limit, or `quota_exceeded`: over the caller's media storage quota", ("quota_exceeded",))
    },
}

# The `detail` of each code's example (a code without one shows its status phrase, as the server does).
_EXAMPLE_DETAILS: dict[str, str] = {
    "unauthorized": "The bearer token is invalid, expired or revoked.",
    "invalid_credentials": "The username or password is incorrect.",
    "forbidden": "Only the author may change post 42.",
    "blocked": "You cannot send a connection request to this user.",
    "not_found": "Post 42 was not found.",
    "conflict": "The request conflicts with the current state.",
    "username_taken": "That username is already taken.",
    "email_taken": "An account with that email address already exists.",
    "invite_required": "Registering needs a valid invite code.",
    "invite_used": "The invite has been used: it cannot be withdrawn.",
    "invalid_token": "The token is unknown, used or expired.",
    "already_verified": "The email address is already verified.",
    "export_running": "An export of this account is being built already.",
    "already_connected": "You are already connected to user 12.",
    "request_pending": "A connection request between you and user 12 is already pending.",
    "tag_exists": "You already have a tag named 'family'.",
    "not_connected": "You are not connected to user 12.",
    "payload_too_large": "The request body is larger than 1048576 bytes.",
    "quota_exceeded": "This upload would exceed your media storage quota of 1073741824 bytes (1073000000 in use).",
    "validation_error": "The request is not valid: body.name: String should have at least 1 character",
    "invalid_cursor": "The cursor is not valid for this list.",
    "self_request": "You cannot send a connection request to yourself.",
    "self_block": "You cannot block yourself.",
    "media_not_ready": "Media 32 has not been uploaded yet.",
    "rate_limited": "Too many requests; retry in 30 s.",
    "service_unavailable": "The service is temporarily unavailable; please retry.",
}
_EXAMPLE_REQUEST_ID = "980cc78faecea49707b4d48515db5a7a"
_EXAMPLE_INSTANCE = "/api/v1/posts/42"
_EXAMPLE_ID = 42

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PATH_PARAM = re.compile(r"\{[^}]+\}")


# -- components ----------------------------------------------------------------------------------------


def _problem_schema() -> dict[str, Any]:
    return {
        "title": PROBLEM,
        "description": "An error, as RFC 9457 problem details (`application/problem+json`).",
        "type": "object",
        "properties": {
            "type": {"type": "string", "description": "A URI naming the kind of problem."},
            "title": {"type": "string", "description": "The HTTP status phrase."},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string", "description": "What went wrong, for a human."},
            "instance": {"type": "string", "description": "The request path."},
            "code": {"type": "string", "description": "A stable machine-readable code (see API.md)."},
            "request_id": {"type": "string", "description": "The `X-Request-ID` of the response."},
        },
        "required": ["type", "title", "status", "detail", "instance", "code", "request_id"],
        "examples": [_problem_example(404, "not_found", _EXAMPLE_INSTANCE)],
    }


def _problem_example(status: int, code: str, instance: str) -> dict[str, Any]:
    """A problem as the server writes it (``hearth_platform.errors.problem_body``)."""
    title = HTTPStatus(status).phrase
    example: dict[str, Any] = {
        "type": PROBLEM_BASE + code.replace("_", "-"),
        "title": title,
        "status": status,
        "detail": _EXAMPLE_DETAILS.get(code, title),
        "instance": instance,
        "code": code,
        "request_id": _EXAMPLE_REQUEST_ID,
    }
    if status == 422:
        example["errors"] = (
            [{"loc": ["body", "name"], "msg": "String should have at least 1 character", "type": "string_too_short"}]
            if code == "validation_error"
            else []
        )
    return example


def _validation_problem_schema() -> dict[str, Any]:
    return {
        "title": VALIDATION_PROBLEM,
        "description": "A `422` problem: what was wrong with which input.",
        "allOf": [
            {"$ref": _REF + PROBLEM},
            {
                "type": "object",
                "properties": {
                    "errors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "loc": {
                                    "type": "array",
                                    "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                                    "description": 'Where: e.g. `["body", "name"]` or `["query", "limit"]`.',
                                },
                                "msg": {"type": "string"},
                                "type": {"type": "string"},
                            },
                            "required": ["loc", "msg", "type"],
                        },
                    }
                },
                "required": ["errors"],
            },
        ],
        "examples": [_problem_example(422, "validation_error", "/api/v1/tags")],
    }


def _headers() -> dict[str, Any]:
    return {
        "X-Request-ID": {
            "description": "The client's own request id when it sent a sane one, else a new one.",
            "required": True,
            "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,128}$"},
        },
        "WWW-Authenticate": {
            "description": "The authentication scheme to use: `Bearer`.",
            "required": True,
            "schema": {"type": "string"},
        },
        "Retry-After": {
            "description": "Seconds to wait before retrying.",
            "required": True,
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        },
    }


# -- per operation -------------------------------------------------------------------------------------


def _auth_dependency() -> Callable[..., Any]:
    return typing.get_args(CurrentUser)[1].dependency  # type: ignore[no-any-return]


def _routes(app: FastAPI) -> Iterator[Any]:
    """Every route as FastAPI documents it (its path and dependencies as mounted, prefixes included)."""
    iter_route_contexts = getattr(routing, "iter_route_contexts", None)  # FastAPI >= 0.13x: included routers
    yield from iter_route_contexts(app.routes) if iter_route_contexts is not None else app.routes


def _needs_auth(route: Any, auth: Callable[..., Any]) -> bool:
    dependant = getattr(route, "dependant", None)
    stack = [dependant] if dependant is not None else []
    while stack:
        dependant = stack.pop()
        if dependant.call is auth:
            return True
        stack.extend(dependant.dependencies)
    return False


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method in _METHODS:
                yield method, path, operation


def _error_response(status: int, description: str, codes: tuple[str, ...], instance: str) -> dict[str, Any]:
    problem = VALIDATION_PROBLEM if status == 422 else PROBLEM
    # `status` as a one-value enum, not `const`: generators (openapi-python-client) merge an enum into the
    # base schema's integer, and would drop a response whose `const` they cannot merge
    body: dict[str, Any] = {
        "allOf": [
            {"$ref": _REF + problem},
            {
                "type": "object",
                "properties": {"status": {"enum": [status]}, "code": {"enum": list(codes)}},
            },
        ]
    }
    headers = {401: ("WWW-Authenticate",), 429: ("Retry-After",)}.get(status, ())
    response: dict[str, Any] = {
        "description": description,
        "headers": {name: {"$ref": _HEADER_REF + name} for name in ("X-Request-ID", *headers)},
        "content": {PROBLEM_JSON: {"schema": body, "example": _problem_example(status, codes[0], instance)}},
    }
    return response


def _statuses(
    method: str, path: str, operation: dict[str, Any], authenticated: bool
) -> dict[int, tuple[str | None, list[str]]]:
    """Every error status of one operation: ``{status: (the contract's description or None, codes)}``.

    A status its shape implies (a token, a path id, a body, any input) starts from the generic code; the
    contract adds its named codes; a status only the contract names has only those (or the generic code
    when it names none). ``409`` always allows the generic ``conflict`` (a constraint hit by a race).
    """
    implied: list[int] = []
    if authenticated:
        implied.append(401)
    if _PATH_PARAM.search(path):
        implied.append(404)
    if "requestBody" in operation:
        implied.append(413)
    if operation.get("parameters") or "requestBody" in operation:
        implied.append(422)
    if path.startswith("/api/"):
        implied.append(429)
    implied.append(503)
    out: dict[int, tuple[str | None, list[str]]] = {status: (None, list(_BASE_CODES[status])) for status in implied}
    query = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    if "cursor" in query:
        out[422][1].append("invalid_cursor")
    for status, (description, named) in _CONTRACT.get((method, path), {}).items():
        codes = out[status][1] if status in out else []
        codes.extend(c for c in named if c not in codes)
        if not codes or status == 409:
            codes.extend(c for c in _BASE_CODES[status] if c not in codes)
        out[status] = (description, codes)
    return out


# Statuses whose description says something about the resource: a router's own description is kept.
_SPECIFIC = frozenset({403, 404, 409})

_RESPONSE_NAMES: dict[int, str] = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    413: "PayloadTooLarge",
    422: "ValidationFailed",
    429: "RateLimited",
    503: "ServiceUnavailable",
}


class _SharedResponses:
    """Error responses: the common ones once in ``components/responses`` (``$ref``), the rest inline."""

    def __init__(self, registry: dict[str, Any]) -> None:
        self.registry = registry

    def response(self, status: int, description: str | None, codes: tuple[str, ...], path: str) -> dict[str, Any]:
        if description is not None or status not in _RESPONSE_NAMES:
            text = description or _DEFAULT_DESCRIPTIONS.get(status, "")
            return _error_response(status, text, codes, _PATH_PARAM.sub(str(_EXAMPLE_ID), path))
        extra = [c for c in codes if c not in _BASE_CODES[status]]
        name = _RESPONSE_NAMES[status] + "".join("Or" + c.title().replace("_", "") for c in extra)
        if name not in self.registry:
            text = _DEFAULT_DESCRIPTIONS[status]
            if "invalid_cursor" in extra:
                text += ", or a tampered or foreign cursor (`invalid_cursor`)"
            self.registry[name] = _error_response(status, text, codes, _EXAMPLE_INSTANCE)
        return {"$ref": "#/components/responses/" + name}


_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def _exact_bounds(node: Any) -> None:
    """Integral bounds back to integers (``1.0`` is ``1``; ``9.223372036854776e+18`` was ``MAX_ID``)."""
    if isinstance(node, dict):
        for key in _BOUNDS:
            value = node.get(key)
            if isinstance(value, float) and value.is_integer():
                node[key] = MAX_ID if value == float(MAX_ID) else int(value)
        for value in node.values():
            _exact_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _exact_bounds(value)


def _settings_limits(schemas: dict[str, Any], settings: Settings) -> None:
    """Limits the settings choose, stated where the request bodies declare the fields they bound."""
    size = schemas.get("MediaUploadRequest", {}).get("properties", {}).get("size_bytes")
    if size is not None:
        size["maximum"] = settings.media_max_bytes


def _document(base: dict[str, Any], app: FastAPI, settings: Settings) -> dict[str, Any]:
    schema = copy.deepcopy(base)
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    _exact_bounds(schemas)
    _settings_limits(schemas, settings)
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas[PROBLEM] = _problem_schema()
    schemas[VALIDATION_PROBLEM] = _validation_problem_schema()
    components["headers"] = _headers()
    components["securitySchemes"] = {
        BEARER: {"type": "http", "scheme": "bearer", "description": "The `access_token` from register or login."}
    }

    shared = _SharedResponses(components.setdefault("responses", {}))
    auth = _auth_dependency()
    authenticated = {
        (method.lower(), route.path_format)
        for route in _routes(app)
        if getattr(route, "include_in_schema", False) and _needs_auth(route, auth)
        for method in route.methods or ()
    }

    for method, path, operation in _operations(schema):
        needs_auth = (method, path) in authenticated
        if needs_auth:
            operation["security"] = [{BEARER: []}]
        responses: dict[str, Any] = operation.setdefault("responses", {})
        statuses = _statuses(method, path, operation, needs_auth)
        for key in [k for k in responses if k.isdigit() and int(k) >= 400 and int(k) not in statuses]:
            del responses[key]  # an error the contract does not give this route (e.g. a 404 on the digest)
        for status, (contract_description, codes) in sorted(statuses.items()):
            declared = responses.get(str(status), {}).get("description") if status in _SPECIFIC else None
            description = contract_description or declared or None
            responses[str(status)] = shared.response(status, description, tuple(codes), path)
        for key, response in responses.items():
            if key.startswith("2"):
                response.setdefault("headers", {})["X-Request-ID"] = {"$ref": _HEADER_REF + "X-Request-ID"}
        operation["responses"] = dict(sorted(responses.items()))
    return schema


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Serve the completed document from ``app.openapi()`` (and so ``/openapi.json``), with the limits of
    ``settings``.

    FastAPI still builds (and rebuilds, when routes change) the base document; the completed one is
    derived from it once per base document.
    """
    base_openapi = app.openapi
    cache: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        base = base_openapi()
        if cache.get("base") is not base:
            cache["schema"] = _document(base, app, settings)
            cache["base"] = base
        return cache["schema"]  # type: ignore[no-any-return]

    app.openapi = openapi  # type: ignore[method-assign]
