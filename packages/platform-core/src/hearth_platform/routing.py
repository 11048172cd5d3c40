"""The router every package mounts its handlers on.

A plain handler (``def``) does blocking database work, so FastAPI runs it in the thread pool; it then also
validates the returned value there, a second hop between the event loop and a worker thread. ``Router``
wraps each plain handler in a coroutine that makes the one hop for the handler itself, so FastAPI sees a
coroutine and validates and serialises the answer on the event loop (pure CPU, no I/O). Signatures, names
and the OpenAPI schema are the handler's own.

Every operation is documented the same way, from the handler itself (so a new route is too):

- its ``operationId`` is the handler's name (``create_post``, ``add_tag_member``): short, stable, the method
  name a generated SDK gives it (:func:`operation_id`; the app uses it too, and a test keeps them unique);
- its ``summary`` is the first paragraph of the handler's docstring (without the closing full stop) and its
  ``description`` the rest (Markdown), unless the route sets them itself.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool


def operation_id(route: APIRoute) -> str:
    """The ``operationId`` of a route: its name, which is its handler's (``create_post``)."""
    return route.name


def docstring_parts(endpoint: Callable[..., Any]) -> tuple[str | None, str | None]:
    """``(summary, description)`` of a handler's docstring: its first paragraph on one line, without the
    closing full stop, and the paragraphs after it (FastAPI's rule holds: nothing after a form feed)."""
    doc = inspect.cleandoc(endpoint.__doc__ or "").split("\f")[0].strip()
    if not doc:
        return None, None
    first, _, rest = doc.partition("\n\n")
    summary = " ".join(first.split())
    return summary.removesuffix("."), rest.strip() or None


def _offloaded(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    async def run(**values: Any) -> Any:
        return await run_in_threadpool(endpoint, **values)

    return run


class OffloadedRoute(APIRoute):
    """An API route whose plain handler runs in the thread pool in one hop, documented from its handler's
    docstring (see the module)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if kwargs.get("summary") is None and kwargs.get("description") is None:
            kwargs["summary"], kwargs["description"] = docstring_parts(endpoint)
        plain = not (
            inspect.iscoroutinefunction(endpoint)
            or inspect.isgeneratorfunction(endpoint)
            or inspect.isasyncgenfunction(endpoint)
        )
        super().__init__(path, _offloaded(endpoint) if plain else endpoint, **kwargs)


class Router(APIRouter):
    """``APIRouter`` with :class:`OffloadedRoute` routes, each named by :func:`operation_id`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("generate_unique_id_function", operation_id)
        super().__init__(route_class=OffloadedRoute, **kwargs)


API_PREFIX = "/api/v1"


def locate(response: Response, path: str) -> None:
    """``Location`` of what a ``201`` created (API.md): its path under the API, never built from the request's
    ``Host`` (a forged one must not end up in a client's next request)."""
    response.headers["Location"] = API_PREFIX + path
