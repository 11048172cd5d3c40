"""The OpenAPI document is the contract in machine form: the committed ``openapi.json`` is what the app
serves, so any change to paths, fields, statuses or error codes shows up in review as a diff of that file.

It also checks the document keeps what ``hearth_api.openapi`` promises: every operation declares its
problem+json errors, and the document is valid OpenAPI 3.1.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.core.result import Err

REGENERATE = "uv run hearth openapi --indent > openapi.json"
PROBLEM_JSON = "application/problem+json"


def _text(schema: dict[str, Any]) -> str:
    """Exactly as ``hearth openapi --indent`` writes it."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


@pytest.fixture(scope="module")
def served(client: TestClient) -> dict[str, Any]:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    return dict(r.json())


def _summary(committed: dict[str, Any], served: dict[str, Any]) -> list[str]:
    def ops(schema: dict[str, Any]) -> dict[str, Any]:
        return {f"{m.upper()} {p}": op for p, item in schema.get("paths", {}).items() for m, op in item.items()}

    old, new = ops(committed), ops(served)
    lines = [f"+ {k}" for k in sorted(new.keys() - old.keys())] + [f"- {k}" for k in sorted(old.keys() - new.keys())]
    lines += [f"~ {k}" for k in sorted(old.keys() & new.keys()) if old[k] != new[k]]
    old_c, new_c = committed.get("components", {}), served.get("components", {})
    for section in sorted(old_c.keys() | new_c.keys()):
        a, b = old_c.get(section, {}), new_c.get(section, {})
        lines += [f"~ components/{section}/{k}" for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)]
    return lines


def test_the_served_schema_is_the_committed_snapshot(served: dict[str, Any], repo_root: Path) -> None:
    path = repo_root / "openapi.json"
    assert path.exists(), f"openapi.json is missing at the repo root; create it with `{REGENERATE}`"
    committed_text = path.read_text()
    committed = json.loads(committed_text)
    if committed != served:
        diff = list(
            difflib.unified_diff(
                committed_text.splitlines(),
                _text(served).splitlines(),
                "openapi.json (committed)",
                "served",
                n=2,
                lineterm="",
            )
        )
        shown = "\n".join(diff[:120]) + (f"\n... {len(diff) - 120} more diff lines" if len(diff) > 120 else "")
        pytest.fail(
            "The API contract changed: the schema the app serves differs from the committed openapi.json.\n"
            f"Changed: {', '.join(_summary(committed, served)) or '(info only)'}\n\n"
            "If the change is deliberate (and API.md says the same), regenerate the snapshot and commit it with\n"
            f"the change, so the diff is reviewed:\n\n    {REGENERATE}\n\n"
            "Otherwise the change is an accident: undo it.\n\n" + shown,
            pytrace=False,
        )
    assert committed_text == _text(served), f"openapi.json is not formatted as the command writes it: `{REGENERATE}`"


def test_the_schema_is_valid_openapi_3_1(served: dict[str, Any]) -> None:
    assert served["openapi"].startswith("3.1")
    schema = schemathesis.openapi.from_dict(served)
    schema.validate()
    results = list(schema.get_all_operations())
    errors = [result.err() for result in results if isinstance(result, Err)]
    assert not errors, errors
    assert len(results) >= 36


def _operations(served: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, item in served["paths"].items() for m, op in item.items()]


def _resolve(served: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in obj:
        node: Any = served
        for part in obj["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        obj = node
    return obj


def _codes(served: dict[str, Any], response: dict[str, Any]) -> tuple[int, list[str]]:
    schema = response["content"][PROBLEM_JSON]["schema"]
    base, specific = schema["allOf"]
    assert base["$ref"] in ("#/components/schemas/Problem", "#/components/schemas/ValidationProblem")
    (status,) = specific["properties"]["status"]["enum"]
    return status, specific["properties"]["code"]["enum"]


PUBLIC = {
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/login"),
    # a forgotten password and a mailed link need no token
    ("post", "/api/v1/auth/password-reset"),
    ("post", "/api/v1/auth/password-reset/confirm"),
    ("post", "/api/v1/auth/verify-email"),
}


def test_every_operation_declares_its_problem_responses(served: dict[str, Any]) -> None:
    problem = served["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance", "code", "request_id"}
    assert "HTTPValidationError" not in served["components"]["schemas"]
    for method, path, op in _operations(served):
        where = f"{method.upper()} {path}"
        responses = {int(k): _resolve(served, v) for k, v in op["responses"].items()}
        errors = {status: r for status, r in responses.items() if status >= 400}
        for status, response in errors.items():
            assert list(response["content"]) == [PROBLEM_JSON], (where, status)
            declared_status, codes = _codes(served, response)
            assert declared_status == status and codes, (where, status)
            assert "X-Request-ID" in response["headers"], (where, status)
        for status, response in responses.items():
            if status < 400:
                assert "X-Request-ID" in response.get("headers", {}), (where, status)
        if (method, path) not in PUBLIC:
            assert op.get("security") == [{"bearerAuth": []}], where
            assert 401 in errors and "WWW-Authenticate" in errors[401]["headers"], where
        if re.search(r"\{[^}]+\}", path):
            assert 404 in errors, where
        if op.get("parameters") or "requestBody" in op:
            assert _codes(served, errors[422])[1][0] == "validation_error", where
            assert "errors" in json.dumps(served["components"]["schemas"]["ValidationProblem"]), where
        if "requestBody" in op:
            assert 413 in errors, where
        assert 429 in errors and "Retry-After" in errors[429]["headers"], where
        assert 503 in errors, where


@pytest.mark.parametrize(
    ("method", "path", "status", "codes"),
    [
        ("post", "/api/v1/auth/register", 409, {"username_taken", "email_taken"}),
        ("post", "/api/v1/auth/login", 401, {"invalid_credentials"}),
        ("post", "/api/v1/connections/requests", 403, {"blocked"}),
        ("post", "/api/v1/connections/requests", 409, {"already_connected", "request_pending"}),
        ("post", "/api/v1/connections/requests", 422, {"self_request"}),
        ("post", "/api/v1/blocks", 422, {"self_block"}),
        ("post", "/api/v1/tags", 409, {"tag_exists"}),
        ("patch", "/api/v1/tags/{tag_id}", 409, {"tag_exists"}),
        ("put", "/api/v1/tags/{tag_id}/members/{user_id}", 409, {"not_connected"}),
        ("patch", "/api/v1/posts/{post_id}", 403, {"forbidden"}),
        ("delete", "/api/v1/posts/{post_id}", 403, {"forbidden"}),
        ("delete", "/api/v1/comments/{comment_id}", 403, {"forbidden"}),
        ("get", "/api/v1/feed", 422, {"invalid_cursor"}),
        ("get", "/api/v1/feed", 404, {"not_found"}),
        ("patch", "/api/v1/users/me", 404, {"not_found"}),
        ("post", "/api/v1/posts", 404, {"not_found"}),
    ],
)
def test_the_contracts_named_errors_are_declared(
    served: dict[str, Any], method: str, path: str, status: int, codes: set[str]
) -> None:
    response = _resolve(served, served["paths"][path][method]["responses"][str(status)])
    assert codes <= set(_codes(served, response)[1])
