"""Hearth's composition root: the app factory (every package, in layer order) and the ``hearth`` CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # on first use: the CLI (``hearth --help`` above all) must not import the whole app to start
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
