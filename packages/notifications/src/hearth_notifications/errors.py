"""Errors of the notifications package: none of its own. Its lists answer for the caller only (nothing to
find or refuse: a notification that is not shown is simply not there), and a bad body is a validation error
of its schema."""

from __future__ import annotations
