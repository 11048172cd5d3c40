"""Hearth's composition root: the app factory (every package, in layer order) and the ``hearth`` CLI."""

from .app import create_app

__all__ = ["create_app"]
