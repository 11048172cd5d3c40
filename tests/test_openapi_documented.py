"""Every operation of the served OpenAPI document is documented, for the people who read ``/docs`` and the
tools that generate clients from it (issue 13): a short, stable, unique ``operationId`` (the handler's
name, which a generated SDK makes its method name), a summary and a description, a described tag, and an
example of every request body and every answer, each valid against its own schema.

The rules are generic on purpose: a route added later is held to them without a change here. What a new
route needs is a docstring (first paragraph: the summary; the rest: the description) and examples on its
models (``hearth_platform.examples``); ``hearth_platform.routing`` and ``hearth_api.openapi`` do the rest.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import jsonschema_rs
import pytest
from fastapi import FastAPI, routing
from fastapi.testclient import TestClient

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
OPERATION_ID = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
MAX_OPERATION_ID = 40
MAX_SUMMARY = 60


@pytest.fixture(scope="module")
def served(client: TestClient) -> dict[str, Any]:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    return dict(r.json())


def _operations(served: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", op)
        for path, item in served["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _resolve(served: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in obj:
        node: Any = served
        for part in obj["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        obj = node
    return obj


def test_the_document_has_operations(served: dict[str, Any]) -> None:
    assert len(_operations(served)) >= 36


def test_every_operation_has_a_short_unique_operation_id(served: dict[str, Any], app: FastAPI) -> None:
    ids = {where: op.get("operationId") for where, op in _operations(served)}
    assert not [where for where, op_id in ids.items() if not op_id], "operations without an operationId"
    bad = {
        where: op_id for where, op_id in ids.items() if not OPERATION_ID.match(op_id) or len(op_id) > MAX_OPERATION_ID
    }
    assert not bad, f"operationIds must be short snake_case handler names: {bad}"
    twice = {op_id for op_id, n in Counter(ids.values()).items() if n > 1}
    assert not twice, f"operationIds used by more than one operation (rename a handler): {sorted(twice)}"
    # stable: the handler's name, not derived from the path or method (FastAPI's default)
    routes = {
        f"{method} {route.path_format}": route.name
        for route in routing.iter_route_contexts(app.routes)  # included routers' routes, as mounted
        if getattr(route, "include_in_schema", False)
        for method in route.methods or ()
    }
    assert {where: routes.get(where) for where in ids} == ids


def test_every_operation_has_a_summary_and_a_description(served: dict[str, Any]) -> None:
    for where, op in _operations(served):
        summary, description = op.get("summary", ""), op.get("description", "")
        assert summary.strip(), f"{where}: no summary (the first line of the handler's docstring)"
        assert len(summary) <= MAX_SUMMARY and "\n" not in summary and not summary.endswith("."), (where, summary)
        assert description.strip(), f"{where}: no description (the docstring's paragraphs after the first)"
        assert not description.startswith(summary), (
            f"{where}: the description repeats the summary: give the handler's docstring a second paragraph"
        )


def test_every_tag_is_described(served: dict[str, Any]) -> None:
    described = {tag["name"]: tag.get("description", "") for tag in served.get("tags", [])}
    assert all(description.strip() for description in described.values()), described
    for where, op in _operations(served):
        assert op.get("tags"), f"{where} has no tag"
        undeclared = set(op["tags"]) - described.keys()
        assert not undeclared, f"{where}: tags without a description (a Package's `tags`): {undeclared}"


def _examples(media: dict[str, Any], schema: dict[str, Any]) -> list[Any]:
    """The examples shown for a body: the media type's own, else its schema's."""
    if "example" in media:
        return [media["example"]]
    if media.get("examples"):
        return [e["value"] for e in media["examples"].values()]
    if schema.get("examples"):
        return list(schema["examples"])
    return [schema["example"]] if "example" in schema else []


def _bodies(served: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``(where, media type object)`` of every request body and every answer with a JSON body."""
    out = []
    for where, op in _operations(served):
        if "requestBody" in op:
            for content_type, media in _resolve(served, op["requestBody"])["content"].items():
                out.append((f"{where} request ({content_type})", media))
        for status, response in op["responses"].items():
            for content_type, media in _resolve(served, response).get("content", {}).items():
                if "json" in content_type:
                    out.append((f"{where} {status} ({content_type})", media))
    return out


def test_every_body_and_answer_shows_a_valid_example(served: dict[str, Any]) -> None:
    bodies = _bodies(served)
    assert sum(" request " in where for where, _ in bodies) >= 9
    assert sum(re.search(r" 2\d\d ", where) is not None for where, _ in bodies) >= 20
    missing, invalid = [], []
    for where, media in bodies:
        schema = media.get("schema", {})
        examples = _examples(media, _resolve(served, schema))
        if not examples:
            missing.append(where)
            continue
        validator = jsonschema_rs.validator_for({**schema, "components": served["components"]}, validate_formats=True)
        for example in examples:
            errors = [e.message for e in validator.iter_errors(example)]
            if errors:
                invalid.append(f"{where}: {json.dumps(example)[:200]}: {errors[:3]}")
    assert not missing, "no example (give the model `json_schema_extra=examples(...)`):\n" + "\n".join(missing)
    assert not invalid, "examples that their own schema refuses:\n" + "\n".join(invalid)


def test_an_error_example_is_the_problem_the_server_sends(served: dict[str, Any], client: TestClient) -> None:
    documented = _resolve(served, served["paths"]["/api/v1/feed"]["get"]["responses"]["401"])
    example = documented["content"]["application/problem+json"]["example"]
    r = client.get("/api/v1/feed")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert set(r.json()) == set(example)
    assert {k: r.json()[k] for k in ("type", "title", "status", "code")} == {
        k: example[k] for k in ("type", "title", "status", "code")
    }
