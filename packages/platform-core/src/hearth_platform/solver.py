"""A route's dependencies solved from a plan made once, for the routes that need nothing more.

FastAPI solves a route's dependencies by walking its dependency tree on every request: a dependency
used twice (the unit of work, under the caller and under a service) has its whole subtree walked again
before its cached value is found, and every level reads the path, query, headers and cookies afresh. On
the feed that walk cost more than the handler (28 % of a request's CPU, profiled), for five coroutines
that each only read the request.

:func:`plan` flattens the tree once, in FastAPI's order, each dependency solved once per request as
FastAPI caches it, its parameters validated by FastAPI's own function (the same values, the same
errors). A route gets a :class:`Plan` only when its tree holds nothing else: no body, every dependency a
coroutine function (``async def``), no security scopes, background tasks, websockets, sub-responses or
concurrency limits; it then answers as FastAPI's handler would (``hearth_platform.routing``). While the app
has dependency overrides (tests), FastAPI's own handler answers.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_params_to_args


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


class Plan:
    """The steps of a route's dependencies, then its handler's own inputs."""

    __slots__ = ("_endpoint", "_steps")

    def __init__(self, steps: list[_Step], endpoint: _Step) -> None:
        self._steps = tuple(steps)
        self._endpoint = endpoint

    async def solve(self, request: Request) -> tuple[dict[str, Any], list[Any]]:
        """The handler's arguments, and the validation errors (FastAPI's) when there are any."""
        results: list[Any] = []
        failed: list[bool] = []
        errors: list[Any] = []
        for step in self._steps:
            values, step_errors, ok = _inputs(step, request, results, failed)
            if step_errors:
                errors.extend(step_errors)
            if ok and not step_errors:
                results.append(await step.call(**values))
                failed.append(False)
            else:
                results.append(None)
                failed.append(True)
        values, step_errors, _ = _inputs(self._endpoint, request, results, failed)
        errors.extend(step_errors)
        return values, errors


def _inputs(
    step: _Step, request: Request, results: list[Any], failed: list[bool]
) -> tuple[dict[str, Any], list[Any], bool]:
    values: dict[str, Any] = {}
    ok = True
    for name, index in step.inputs:
        if failed[index]:
            ok = False
        values[name] = results[index]
    errors: list[Any] = []
    for fields, source in (
        (step.path, "path"),
        (step.query, "query"),
        (step.header, "header"),
        (step.cookie, "cookie"),
    ):
        if fields:
            found, wrong = request_params_to_args(fields, _source(request, source))
            values.update(found)
            errors.extend(wrong)
    if step.request_name is not None:
        values[step.request_name] = request
    return values, errors, ok


def _source(request: Request, source: str) -> Any:
    if source == "path":
        return request.path_params
    if source == "query":
        return request.query_params
    if source == "header":
        return request.headers
    return request.cookies


def plan(dependant: Dependant) -> Plan | None:
    """The route's :class:`Plan`, or ``None`` when FastAPI's general solver is needed."""
    steps: list[_Step] = []
    index_of: dict[Any, int] = {}

    def add(node: Dependant) -> _Step | None:
        if not _plain(node):
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
        )

    endpoint = add(dependant)
    return None if endpoint is None else Plan(steps, endpoint)


def _plain(node: Dependant) -> bool:
    return not (
        node.body_params
        or node.websocket_param_name
        or node.http_connection_param_name
        or node.response_param_name
        or node.background_tasks_param_name
        or node.security_scopes_param_name
        or node.own_oauth_scopes
        or node.parent_oauth_scopes
        or node.concurrency is not None
    )
