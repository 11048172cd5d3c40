"""Platform-core's test app (small apps are built on it with ``make_app``) and ``restore_logging``;
``assert_problem`` and the other shared fixtures come from hearth_testing."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI

from hearth_platform.app import build_app
from hearth_platform.settings import Settings

TESTED_LAYER = "hearth_platform"  # the layer guard: these tests import no domain package and no app


def build_test_app(settings: Settings) -> FastAPI:
    """An app of the platform alone: no domain package."""
    return build_app(settings, [], configure_logs=False)


@pytest.fixture(scope="session")
def app_factory() -> Callable[[Settings], FastAPI]:
    return build_test_app


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger back as it was (for tests that call ``configure_logging``)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for h in list(root.handlers):
            if h not in handlers:
                root.removeHandler(h)
        root.setLevel(level)
