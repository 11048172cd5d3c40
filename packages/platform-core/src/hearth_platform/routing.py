"""The router every package mounts its handlers on.

A plain handler (``def``) does blocking database work, so FastAPI runs it in the thread pool; it then also
validates the returned value there, a second hop between the event loop and a worker thread. ``Router``
wraps each plain handler in a coroutine that makes the one hop for the handler itself, so FastAPI sees a
coroutine and validates and serialises the answer on the event loop (pure CPU, no I/O). Signatures, names
and the OpenAPI schema are the handler's own.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool


def _offloaded(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    async def run(**values: Any) -> Any:
        return await run_in_threadpool(endpoint, **values)

    return run


class OffloadedRoute(APIRoute):
    """An API route whose plain handler runs in the thread pool in one hop (see the module)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        plain = not (
            inspect.iscoroutinefunction(endpoint)
            or inspect.isgeneratorfunction(endpoint)
            or inspect.isasyncgenfunction(endpoint)
        )
        super().__init__(path, _offloaded(endpoint) if plain else endpoint, **kwargs)


class Router(APIRouter):
    """``APIRouter`` with :class:`OffloadedRoute` routes."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(route_class=OffloadedRoute, **kwargs)


API_PREFIX = "/api/v1"


def locate(response: Response, path: str) -> None:
    """``Location`` of what a ``201`` created (API.md): its path under the API, never built from the request's
    ``Host`` (a forged one must not end up in a client's next request)."""
    response.headers["Location"] = API_PREFIX + path
