"""Wiring of the storage package (its service and the ports it needs from neighbours)."""

from __future__ import annotations

import punq
from fastapi import APIRouter

from hearth_platform.settings import Settings


def register(container: punq.Container, settings: Settings) -> None:
    pass


def routers() -> list[APIRouter]:
    return []
