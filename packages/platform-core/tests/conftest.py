"""Helpers for platform-core's tests: build small apps from ``make_app`` and check problem+json answers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance", "code", "request_id"}


def _assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is RFC 9457 problem+json with the contract's fields, the given status and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_FIELDS, body
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].startswith("https://hearth.dev/problems/")
    assert body["request_id"] == response.headers["x-request-id"]
    assert body["instance"] == response.request.url.path
    return body


@pytest.fixture
def assert_problem() -> Callable[[httpx.Response, int, str], dict[str, Any]]:
    return _assert_problem


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
