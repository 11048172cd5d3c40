"""Hearth's composition root: the app factory, the wiring of packages, and the ``hearth`` CLI."""

from .app import create_app

__all__ = ["create_app"]
