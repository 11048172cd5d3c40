"""The methods a URL answers to, for the ``Allow`` header of a ``405`` (RFC 9110, section 15.5.6).

Starlette answers a wrong method with the methods of the first route whose path matched, but FastAPI
makes one route per method, so that ``Allow`` named one method of several. Here every route whose path
matches counts, and a route counts only when the URL's path parameters fit it: ``/connections/requests``
is not ``/connections/{user_id}`` with ``user_id="requests"``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import routing
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_params_to_args
from starlette.requests import Request
from starlette.routing import Match

# A path id outside bigint fits its route's shape (it is a number); it names nothing, which is a 404.
OUT_OF_RANGE = frozenset({"greater_than_equal", "less_than_equal", "greater_than", "less_than"})


def _path_fields(dependant: Dependant) -> Iterator[Any]:
    yield from dependant.path_params
    for sub in dependant.dependencies:
        yield from _path_fields(sub)


def _routes(request: Request) -> Iterator[Any]:
    """Every route as mounted (FastAPI >= 0.13x keeps included routers nested: their routes come with
    their prefixes through ``iter_route_contexts``)."""
    iter_route_contexts = getattr(routing, "iter_route_contexts", None)
    routes = request.app.router.routes
    yield from iter_route_contexts(routes) if iter_route_contexts is not None else routes


def _fits(route: Any, path_params: dict[str, Any]) -> bool:
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return True
    _, errors = request_params_to_args(list(_path_fields(dependant)), path_params)
    return all(error.get("type") in OUT_OF_RANGE for error in errors)


def allowed_methods(request: Request) -> list[str]:
    """The methods of every route that serves ``request``'s URL, sorted (empty when none does)."""
    methods: set[str] = set()
    for route in _routes(request):
        if not getattr(route, "methods", None):
            continue
        match, child = route.matches(request.scope)
        if match is not Match.NONE and _fits(route, child.get("path_params", {})):
            methods |= route.methods
    return sorted(methods)
