"""The API's tests run on the whole app; the shared fixtures (``client``, ``make_app``, ...) come from
hearth_testing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from hearth_api import create_app
from hearth_platform.settings import Settings

TESTED_LAYER = "hearth_api"  # the top: the layer guard has nothing above it to refuse


@pytest.fixture(scope="session")
def app_factory() -> Callable[[Settings], FastAPI]:
    return lambda settings: create_app(settings, configure_logs=False)
