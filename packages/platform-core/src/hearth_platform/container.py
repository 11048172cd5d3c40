"""The app's container: what each package registered, and services built on a unit of work.

A service's constructor names what it needs by type (``session: Session``, ``settings: Settings``, another
service); the container reads each constructor once and keeps the plan, so building a request's services
costs a few calls, not a signature inspection each time (as a general-purpose container does).
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class MissingDependency(LookupError):
    pass


class Container:
    def __init__(self) -> None:
        self._instances: dict[Any, Any] = {}
        self._impls: dict[Any, Any] = {}
        self._plans: dict[Any, list[tuple[str, Any]]] = {}

    def register(self, kind: Any, impl: Any = None, *, instance: Any = None) -> None:
        """``kind`` is built as ``impl`` (default: itself) on each unit of work, or is ``instance`` always."""
        if instance is not None:
            self._instances[kind] = instance
        else:
            self._impls[kind] = impl or kind

    def resolve(self, kind: type[T], **given: Any) -> T:
        """``kind`` built with ``given`` values by parameter name (the unit of work's ``session`` and
        ``events``), registered instances and other registered services by type."""
        return self._build(kind, given, {})  # type: ignore[no-any-return]

    def _build(self, kind: Any, given: dict[str, Any], built: dict[Any, Any]) -> Any:
        if kind in self._instances:
            return self._instances[kind]
        if kind in built:  # one instance of each service per resolution
            return built[kind]
        impl = self._impls.get(kind)
        if impl is None:
            raise MissingDependency(f"nothing is registered for {kind!r}")
        args = {
            name: given[name] if name in given else self._build(needed, given, built)
            for name, needed in self._plan(impl)
        }
        built[kind] = obj = impl(**args)
        return obj

    def _plan(self, impl: Callable[..., Any]) -> list[tuple[str, Any]]:
        plan = self._plans.get(impl)
        if plan is None:
            init = impl.__init__
            hints = typing.get_type_hints(init)
            params = inspect.signature(init).parameters
            plan = [
                (name, hints.get(name))
                for name, param in params.items()
                if name != "self" and param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY)
            ]
            self._plans[impl] = plan
        return plan
