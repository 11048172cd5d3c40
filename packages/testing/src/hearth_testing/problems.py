"""What an error answer must look like: RFC 9457 problem+json with the contract's fields and no internals."""

from __future__ import annotations

import re
from typing import Any

import httpx

PROBLEM_FIELDS = frozenset({"type", "title", "status", "detail", "instance", "code", "request_id"})

# What an answer to a client must never contain, whatever broke behind it.
INTERNALS = re.compile(
    r"Traceback|File \"|psycopg|sqlalchemy|OperationalError|botocore|boto3|redis\.exceptions|"
    r"ConnectionRefused|EndpointConnectionError|SELECT |INSERT |UPDATE |DELETE FROM|"
    r"postgresql(\+psycopg)?://|/tmp/|\.s\.PGSQL|127\.0\.0\.1:\d+|localhost:\d+",
    re.IGNORECASE,
)


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is problem+json with the contract's fields, this status and code, the request id the
    response carries, the request's path as ``instance``, and no internals; returns the body."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_FIELDS, body
    assert (body["status"], body["code"]) == (status, code), body
    assert body["type"].startswith("https://hearth.dev/problems/"), body
    assert body["request_id"] == response.headers.get("x-request-id"), body
    assert body["instance"] == response.request.url.path, body
    assert_no_internals(response)
    return body


def assert_no_internals(response: httpx.Response) -> None:
    found = INTERNALS.search(response.text)
    assert found is None, f"internals in a {response.status_code} answer ({found.group(0)!r}): {response.text[:500]}"


def assert_not_ready(response: httpx.Response, failing: str) -> dict[str, Any]:
    """``/health/ready`` answers 503 with ``failing`` in error and the others ok; the reason is short and
    names no host, port, path or URL (the endpoint is public)."""
    assert response.status_code == 503, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "error"
    for name, check in body["checks"].items():
        assert check["status"] == ("error" if name == failing else "ok"), body
    reason = body["checks"][failing]["reason"]
    assert reason and len(reason) <= 200 and "\n" not in reason, reason
    leak = re.search(r"\d+\.\d+\.\d+\.\d+|localhost|[A-Za-z0-9\]]:\d{2,5}\b|/[a-z]+/|://|@", response.text)
    assert leak is None, f"the readiness answer shows {leak.group(0)!r}: {response.text}"
    return body
