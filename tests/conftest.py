"""Cross-package tests (contract, security matrix, migrations, faults, end to end) run on the whole app;
the shared fixtures and helpers come from hearth_testing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from hearth_api import create_app
from hearth_platform.settings import Settings


@pytest.fixture(scope="session")
def app_factory() -> Callable[[Settings], FastAPI]:
    return lambda settings: create_app(settings, configure_logs=False)
