"""The router every package mounts its handlers on, and the one thread hop a request makes.

A plain handler (``def``) does blocking database work, so it runs in a worker thread. FastAPI would make
several hops between the event loop and the thread pool per request (the token check, the handler, the
validation of its answer, the unit of work's commit). ``OffloadedRoute`` makes one, for the handler and
what must happen next to it, in order:

1. the steps dependencies queued with :func:`before_handler` (the bearer token check, a per-user rate
   limit): dependencies themselves are coroutines that only read the request, on the event loop;
2. the handler;
3. the end of the request's units of work (``hearth_platform.uow.finish_request``): commit or roll back.

A coroutine handler (``async def``: the live stream) gets 1 and 3 in one hop before it runs (``_settle``).

FastAPI then validates and serialises the answer on the event loop (pure CPU). Signatures, names and the
OpenAPI schema are the handler's own.

Every operation is documented the same way, from the handler itself (so a new route is too):

- its ``operationId`` is the handler's name (``create_post``, ``add_tag_member``): short, stable, the method
  name a generated SDK gives it (:func:`operation_id`; the app uses it too, and a test keeps them unique);
- its ``summary`` is the first paragraph of the handler's docstring (without the closing full stop) and its
  ``description`` the rest (Markdown), unless the route sets them itself.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import json
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from fastapi import APIRouter, HTTPException, Request, Response, params
from fastapi._body_limit import get_body_limit_error
from fastapi.datastructures import DefaultPlaceholder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, _effective_route_context_var, serialize_response
from fastapi.utils import is_body_allowed_for_status_code
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.routing import Match

from .solver import plan
from .uow import finish_request, needs_io

T = TypeVar("T")

_BEFORE = "hearth.before_handler"

HANDLER_THREADS = 4
"""Handlers running at once per worker process, unless ``configure_threads`` says otherwise
(``HEARTH_HANDLER_THREADS``). Few: a handler holds Python's lock between its statements, and more threads
than cores mostly wait for it. Forty threads (anyio's default) served the feed a quarter slower, at 30 %
more CPU per request, than three or four (one worker under wrk, profiled): the threads' turns at the lock
cost more than the overlap of their database waits gains."""

WAITING_THREADS = 40
"""Threads for handlers marked :func:`waits` (a password hash, a remote store): they wait on something else
than the database, for long, and must not hold up the quick handlers."""

_executors: dict[str, ThreadPoolExecutor] = {}
_sizes = {"quick": HANDLER_THREADS, "waiting": WAITING_THREADS}


def configure_threads(handler_threads: int) -> None:
    """Set the number of quick handler threads (the app's lifespan, from the settings)."""
    if _sizes["quick"] != handler_threads:
        _sizes["quick"] = handler_threads
        old = _executors.pop("quick", None)
        if old is not None:
            old.shutdown(wait=False)  # its queued work still runs; new work goes to the new pool


def _threads(kind: str = "quick") -> ThreadPoolExecutor:
    executor = _executors.get(kind)
    if executor is None:  # made at the first request, not at import
        executor = _executors[kind] = ThreadPoolExecutor(_sizes[kind], thread_name_prefix=f"hearth-{kind}")
    return executor


def in_thread(call: Callable[..., T], *args: Any, waiting: bool = False) -> Awaitable[T]:
    """``call(*args)`` in a worker thread, with this context's variables (request id, statement counter);
    ``waiting``: one of the threads for calls that wait long on something else than the database.

    ``loop.run_in_executor`` on a plain pool: anyio's ``to_thread.run_sync`` (Starlette's
    ``run_in_threadpool``) costs a cancel scope, a capacity limiter and task lookups on every hop, 5-7 % of
    a feed request's CPU in the profile; a handler's hop cannot be cancelled either way.
    """
    context = contextvars.copy_context()
    executor = _threads("waiting" if waiting else "quick")
    return asyncio.get_running_loop().run_in_executor(executor, functools.partial(context.run, call, *args))


_WAITS = "__hearth_waits__"


def waits(endpoint: Callable[..., T]) -> Callable[..., T]:
    """Mark a handler that waits long on something else than the database (hashing a password, a remote
    store): it runs on the waiting threads, so a burst of them leaves the quick handlers their threads."""
    setattr(endpoint, _WAITS, True)
    return endpoint


def before_handler(scope: MutableMapping[str, Any], step: Callable[[], None]) -> None:
    """Run ``step`` (blocking work a dependency needs done before the handler, e.g. a token lookup) in the
    handler's thread, just before the handler; a step that raises answers the request instead."""
    steps = scope.get(_BEFORE)
    if steps is None:
        scope[_BEFORE] = [step]
    else:
        steps.append(step)


def has_steps_before_handler(scope: MutableMapping[str, Any]) -> bool:
    return bool(scope.get(_BEFORE))


def run_before_handler(scope: MutableMapping[str, Any]) -> None:
    """Run the queued steps (once: each step is taken off the queue)."""
    steps = scope.pop(_BEFORE, None)
    if steps:
        for step in steps:
            step()


def _call_plain(scope: MutableMapping[str, Any], endpoint: Callable[..., Any], values: dict[str, Any]) -> Any:
    """In the worker thread: the queued steps, the handler, the end of its units of work."""
    try:
        run_before_handler(scope)
        result = endpoint(**values)
    except BaseException:
        finish_request(scope, succeeded=False)
        raise
    finish_request(scope, succeeded=True)
    return result


def _settle(scope: MutableMapping[str, Any]) -> None:
    """Before a coroutine handler, in one worker thread: the queued steps, then the end of the units of work
    they used. A coroutine handler does no blocking database work of its own (it would stall the event
    loop); what it needs later runs in units of work of its own (the live stream's steps). Ending them here
    returns their connections in the same hop: a hop queued to return them later, behind threads waiting for
    a connection, would hold them until the pool timed out (300 streams opened at once did)."""
    try:
        run_before_handler(scope)
    except BaseException:
        finish_request(scope, succeeded=False)
        raise
    finish_request(scope, succeeded=True)


async def finish_on_loop(scope: MutableMapping[str, Any], *, succeeded: bool) -> None:
    """End the request's units of work from the event loop: in a worker thread only when that talks to the
    database."""
    if needs_io(scope):
        await in_thread(functools.partial(finish_request, scope, succeeded=succeeded))
    else:
        finish_request(scope, succeeded=succeeded)


def _signature(endpoint: Callable[..., Any]) -> inspect.Signature:
    try:
        return inspect.signature(endpoint, eval_str=True)
    except NameError:  # an annotation only imported for type checking: FastAPI resolves what it needs
        return inspect.signature(endpoint)


def _offloaded(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    plain = not (inspect.iscoroutinefunction(endpoint) or inspect.isasyncgenfunction(endpoint))
    signature = _signature(endpoint)
    # the request, for its scope: the handler's own request parameter, or one of the wrapper's (FastAPI
    # hands the request to one parameter only)
    own = next(
        (
            p.name
            for p in signature.parameters.values()
            if isinstance(p.annotation, type) and issubclass(p.annotation, Request)
        ),
        None,
    )
    name = own or "hearth_request_"

    def scope_of(values: dict[str, Any]) -> MutableMapping[str, Any]:
        request: Request = values[name] if own else values.pop(name)
        return request.scope

    if plain:
        waiting = getattr(endpoint, _WAITS, False)

        async def run(**values: Any) -> Any:
            scope = scope_of(values)
            return await in_thread(_call_plain, scope, endpoint, values, waiting=waiting)

    else:

        async def run(**values: Any) -> Any:
            scope = scope_of(values)
            try:
                if scope.get(_BEFORE) or needs_io(scope):
                    await in_thread(_settle, scope)
                result = await endpoint(**values)
            except BaseException:
                await finish_on_loop(scope, succeeded=False)
                raise
            await finish_on_loop(scope, succeeded=True)
            return result

    functools.update_wrapper(run, endpoint)
    if own is None:
        extra = inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=Request)
        signature = signature.replace(parameters=[*signature.parameters.values(), extra])
    run.__signature__ = signature  # type: ignore[attr-defined]
    return run


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


class OffloadedRoute(APIRoute):
    """An API route whose handler runs with its blocking steps and the end of its units of work in one
    thread hop, documented from its handler's docstring (see the module). A generator handler (a streamed
    answer) is left to FastAPI."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if kwargs.get("summary") is None and kwargs.get("description") is None:
            kwargs["summary"], kwargs["description"] = docstring_parts(endpoint)
        if not (inspect.isgeneratorfunction(endpoint) or inspect.isasyncgenfunction(endpoint)):
            endpoint = _offloaded(endpoint)
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        general = super().get_route_handler()
        # FastAPI builds a handler per inclusion, for the route as that inclusion sees it (its prefix, its
        # router's dependencies): the route's own fields, or those of that inclusion's context
        context = _effective_route_context_var.get()
        route: Any = context if context is not None and context.original_route is self else self
        return _planned_handler(route, general) or general


def _planned_handler(
    route: Any, general: Callable[[Request], Coroutine[Any, Any, Response]]
) -> Callable[[Request], Coroutine[Any, Any, Response]] | None:
    """FastAPI's request handler, for a route whose dependencies a :class:`~hearth_platform.solver.Plan`
    solves (``hearth_platform.solver``); ``None`` for any other route."""
    response_class = route.response_class
    if (
        (route.body_field is not None and isinstance(route.body_field.field_info, params.Form))
        or route.stream_item_field is not None
        or route.is_json_stream
        or not isinstance(response_class, DefaultPlaceholder)
        or response_class.value is not JSONResponse
        or not inspect.iscoroutinefunction(route.dependant.call)
    ):
        return None
    solver = plan(route.dependant, embed_body=route._embed_body_fields)
    if solver is None:
        return None
    with_body = solver.has_body
    endpoint = route.dependant.call
    field = route.response_field
    status_code = route.status_code
    overrides = route.dependency_overrides_provider
    options = {
        "include": route.response_model_include,
        "exclude": route.response_model_exclude,
        "by_alias": route.response_model_by_alias,
        "exclude_unset": route.response_model_exclude_unset,
        "exclude_defaults": route.response_model_exclude_defaults,
        "exclude_none": route.response_model_exclude_none,
    }

    async def handle(request: Request) -> Response:
        if overrides is not None and getattr(overrides, "dependency_overrides", None):
            return await general(request)
        body = None
        if with_body:
            # a JSON body, as every client sends it; anything else (another or no content type, no body, JSON
            # that does not decode) takes FastAPI's own handler, which tells what is wrong the way it does
            if request.headers.get("content-type") != "application/json":
                return await general(request)
            try:
                received = await request.body()
            except Exception as exc:  # as FastAPI's handler answers it
                if MAX_BODY_SIZE_SCOPE_KEY in request.scope and (error := get_body_limit_error(exc)):
                    raise error from exc
                raise HTTPException(status_code=400, detail="There was an error parsing the body") from exc
            if not received:
                return await general(request)
            try:
                body = json.loads(received)
            except (ValueError, RecursionError):  # not JSON, or nested too deep
                return await general(request)  # the body is read: FastAPI reads it again from the request
        values, errors, sub = await solver.solve(request, body)
        if errors:
            raise RequestValidationError(errors)
        raw = await endpoint(**values)
        if isinstance(raw, Response):
            return raw
        content = await serialize_response(
            field=field, response_content=raw, is_coroutine=True, dump_json=field is not None, **options
        )
        # a status the handler or a dependency set on the sub-response wins, as in FastAPI's handler
        status = (sub.status_code if sub is not None else None) or status_code or 200
        if field is not None:
            response: Response = Response(content, status_code=status, media_type="application/json")
        else:
            response = JSONResponse(content, status_code=status)
        if not is_body_allowed_for_status_code(status):
            response.body = b""
        if sub is not None:
            response.headers.raw.extend(sub.headers.raw)
        return response

    return handle


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


_MATCHED = "hearth.matched"


def index_routes(app: Any) -> None:
    """Make finding a request's route cost one package's routes, once.

    FastAPI (0.16x) keeps each included router whole and, per request, asks every one of them in turn,
    through several layers of scope bookkeeping per route, then matches the chosen one a second time to
    handle it: about 40 route checks and 0.2 ms per feed request, profiled. Each included router here first
    checks the literal beginnings of its paths (a string prefix test), and remembers its own match for the
    handling that follows. A FastAPI without these internals is left as it is.
    """
    for route in getattr(getattr(app, "router", None), "routes", ()):
        contexts = getattr(route, "effective_route_contexts", None)
        match = getattr(route, "_match", None)
        if not callable(contexts) or not callable(match) or not callable(getattr(route, "matches", None)):
            continue
        literals = tuple(sorted({ctx.path.split("{", 1)[0].rstrip("/") or "/" for ctx in contexts()}))
        route.matches = _guarded(route.matches, literals)
        route._match = _remembered(route, match)


def _guarded(matches: Callable[[Any], Any], literals: tuple[str, ...]) -> Callable[[Any], Any]:
    none: tuple[Match, dict[str, Any]] = (Match.NONE, {})

    def guarded(scope: Any) -> Any:
        if not scope["path"].startswith(literals):
            return none
        return matches(scope)

    return guarded


def _remembered(router: Any, match: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def remembered(scope: Any) -> Any:
        key = (router, scope["path"], scope.get("method"))
        seen = scope.get(_MATCHED)
        if seen is not None and seen[0] == key:
            return seen[1]
        found = match(scope)
        scope[_MATCHED] = (key, found)
        return found

    return remembered
