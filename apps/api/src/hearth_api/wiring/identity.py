"""Wiring of the identity package."""

from __future__ import annotations

from typing import Any

import punq
from fastapi import APIRouter

from hearth_platform.settings import Settings


def register(container: punq.Container, settings: Settings) -> None:
    pass


def routers() -> list[APIRouter]:
    return []


def authenticator_type() -> Any:
    """The type registered for token checks (``None`` until identity provides one)."""
    return None
