"""A route's dependencies solved from a plan made once, for the routes that need nothing more.

FastAPI solves a route's dependencies by walking its dependency tree on every request: a dependency
used twice (the unit of work, under the caller and under a service) has its whole subtree walked again
before its cached value is found, and every level reads the path, query, headers and cookies afresh. On
the feed that walk cost more than the handler (28 % of a request's CPU, profiled), for five coroutines
that each only read the request.

:func:`plan` flattens the tree once, in FastAPI's order, each dependency solved once per request as
FastAPI caches it, its parameters validated by FastAPI's own function (the same values, the same
errors). A route gets a :class:`Plan` only when its tree holds nothing else: a body (JSON) only as the
handler's own parameter, every dependency a coroutine function (``async def``), no security scopes,
background tasks, websockets or concurrency limits (a ``Response`` parameter gets the one sub-response of
the request, as FastAPI gives it); it then answers as FastAPI's handler would (``hearth_platform.routing``).
While the app has dependency overrides (tests), FastAPI's own handler answers.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi._compat import field_annotation_is_sequence, get_missing_field_error
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import (
    _get_param_aliases,
    _get_param_model,
    _is_json_field,
    request_body_to_args,
    request_params_to_args,
)


class _Scalar:
    """A path or query parameter of one plain value, read as ``request_params_to_args`` reads it (what it
    does per field, without finding out each time which of its cases the field is)."""

    __slots__ = ("alias", "default", "field", "loc", "name", "required", "validate_default")

    def __init__(self, field: Any, alias: str) -> None:
        info = field.field_info
        self.field = field
        self.name = field.name
        self.alias = alias
        self.loc = (info.in_.value, alias)
        self.required = info.is_required()
        self.default = field.default
        self.validate_default = bool(info.validate_default)

    def read(self, received: Any, values: dict[str, Any], errors: list[Any]) -> None:
        # not ``received.get``: the query's mapping inherits Mapping.get, which raises and catches a KeyError
        # for every absent parameter (3 % of a feed request's samples, with its three optional ones)
        alias = self.alias
        raw = received[alias] if alias in received else None  # noqa: SIM401 - see above
        if raw is None:
            if self.required:
                errors.append(get_missing_field_error(loc=self.loc))
                return
            if not self.validate_default:
                values[self.name] = deepcopy(self.default)
                return
            raw = deepcopy(self.default)
        value, wrong = self.field.validate(raw, values, loc=self.loc)
        if wrong:
            errors.extend(wrong)
        else:
            values[self.name] = value


def _scalars(fields: Sequence[Any]) -> tuple[_Scalar, ...] | None:
    """The fields as :class:`_Scalar` readers, or ``None`` when any needs FastAPI's general reading (a
    model of parameters, a list, JSON, alias choices)."""
    out = []
    for field in fields:
        aliases = _get_param_aliases(field)
        if (
            len(aliases) != 1
            or aliases[0][0] != aliases[0][1]
            or _get_param_model(field) is not None
            or _is_json_field(field)
            or field_annotation_is_sequence(field.field_info.annotation)
        ):
            return None
        out.append(_Scalar(field, aliases[0][1]))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class _Step:
    call: Callable[..., Any]
    # (argument name, index of the step whose value it takes)
    inputs: tuple[tuple[str, int], ...]
    request_name: str | None
    path: Sequence[Any]
    query: Sequence[Any]
    header: Sequence[Any]
    cookie: Sequence[Any]
    # path and query parameters as plain readers (None: read by request_params_to_args)
    path_scalars: tuple[_Scalar, ...] | None
    query_scalars: tuple[_Scalar, ...] | None
    # the body's fields (the handler's step only), read by request_body_to_args
    body: tuple[Any, ...] = ()
    # the parameter that takes the request's sub-response (headers and status for the answer)
    response_name: str | None = None


class Plan:
    """The steps of a route's dependencies, then its handler's own inputs."""

    __slots__ = ("_embed_body", "_endpoint", "_steps", "_sub_response")

    def __init__(self, steps: list[_Step], endpoint: _Step, *, embed_body: bool = False) -> None:
        self._steps = tuple(steps)
        self._endpoint = endpoint
        self._embed_body = embed_body
        self._sub_response = any(step.response_name is not None for step in (*steps, endpoint))

    @property
    def has_body(self) -> bool:
        return bool(self._endpoint.body)

    async def solve(self, request: Request, body: Any = None) -> tuple[dict[str, Any], list[Any], Response | None]:
        """The handler's arguments, the validation errors (FastAPI's) when there are any, and the sub-response
        its dependencies and handler may have set headers or a status on; ``body``: the request's JSON,
        decoded (a route with a body)."""
        results: list[Any] = []
        failed: list[bool] = []
        errors: list[Any] = []
        sub: Response | None = None
        if self._sub_response:
            sub = Response()  # as FastAPI makes it: no content length, no status until one is set
            del sub.headers["content-length"]
            sub.status_code = None  # type: ignore[assignment]
        for step in self._steps:
            values, step_errors, ok = _inputs(step, request, results, failed, sub)
            if step_errors:
                errors.extend(step_errors)
            if ok and not step_errors:
                results.append(await step.call(**values))
                failed.append(False)
            else:
                results.append(None)
                failed.append(True)
        values, step_errors, _ = _inputs(self._endpoint, request, results, failed, sub)
        errors.extend(step_errors)
        if self._endpoint.body:
            found, wrong = await request_body_to_args(list(self._endpoint.body), body, self._embed_body)
            values.update(found)
            errors.extend(wrong)
        return values, errors, sub


def _inputs(
    step: _Step, request: Request, results: list[Any], failed: list[bool], sub: Response | None
) -> tuple[dict[str, Any], list[Any], bool]:
    values: dict[str, Any] = {}
    ok = True
    for name, index in step.inputs:
        if failed[index]:
            ok = False
        values[name] = results[index]
    errors: list[Any] = []
    for fields, scalars, source in (
        (step.path, step.path_scalars, "path"),
        (step.query, step.query_scalars, "query"),
        (step.header, None, "header"),
        (step.cookie, None, "cookie"),
    ):
        if scalars:
            received = _source(request, source)
            for scalar in scalars:
                scalar.read(received, values, errors)
        elif fields:
            found, wrong = request_params_to_args(fields, _source(request, source))
            values.update(found)
            errors.extend(wrong)
    if step.request_name is not None:
        values[step.request_name] = request
    if step.response_name is not None:
        values[step.response_name] = sub
    return values, errors, ok


def _source(request: Request, source: str) -> Any:
    if source == "path":
        return request.path_params
    if source == "query":
        return request.query_params
    if source == "header":
        return request.headers
    return request.cookies


def plan(dependant: Dependant, *, embed_body: bool = False) -> Plan | None:
    """The route's :class:`Plan`, or ``None`` when FastAPI's general solver is needed. ``embed_body``: the
    route's ``_embed_body_fields``."""
    steps: list[_Step] = []
    index_of: dict[Any, int] = {}

    def add(node: Dependant) -> _Step | None:
        if not _plain(node, body=node is dependant):
            return None
        inputs: list[tuple[str, int]] = []
        for sub in node.dependencies:
            key = sub.call
            if sub.use_cache and key in index_of:
                # FastAPI walks a cached dependency's subtree again (its errors are the first walk's)
                index = index_of[key]
            else:
                if sub.call is None or not inspect.iscoroutinefunction(sub.call):
                    return None
                built = add(sub)
                if built is None:
                    return None
                steps.append(built)
                index = len(steps) - 1
                if sub.use_cache:
                    index_of.setdefault(key, index)
            if sub.name is not None:
                inputs.append((sub.name, index))
        return _Step(
            call=node.call,  # type: ignore[arg-type]
            inputs=tuple(inputs),
            request_name=node.request_param_name,
            path=tuple(node.path_params),
            query=tuple(node.query_params),
            header=tuple(node.header_params),
            cookie=tuple(node.cookie_params),
            path_scalars=_scalars(node.path_params),
            query_scalars=_scalars(node.query_params),
            body=tuple(node.body_params),
            response_name=node.response_param_name,
        )

    endpoint = add(dependant)
    return None if endpoint is None else Plan(steps, endpoint, embed_body=embed_body)


def _plain(node: Dependant, *, body: bool) -> bool:
    """Nothing the plan does not do: a body only where ``body`` (the handler itself)."""
    return not (
        (node.body_params and not body)
        or node.websocket_param_name
        or node.http_connection_param_name
        or node.background_tasks_param_name
        or node.security_scopes_param_name
        or node.own_oauth_scopes
        or node.parent_oauth_scopes
        or node.concurrency is not None
    )
