"""Issue 12 (the schema fuzzer's findings) and 13 (emails): the served OpenAPI schema and the server agree.

Each case sends a request body the schema judges (valid or not, as a generated client or a contract
check would see it) and the server must judge it alike: a schema-valid body is taken (or meets a state
the schema cannot know: an id that is not the caller's is ``404``), a schema-invalid one is refused with
``422``. Then: every ``405`` names the methods of its URL in ``Allow``. ``tests/test_schema_fuzz.py``
fuzzes every operation; these are the disagreements it found, kept as examples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from hearth_platform.ids import MAX_ID
from hearth_testing import API, Api, AppUser

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def served(client: TestClient) -> dict[str, Any]:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    return dict(r.json())


def _request_schema(served: dict[str, Any], method: str, path: str) -> Any:
    """A validator of the JSON body of ``method path``, as the served document declares it."""
    operation = served["paths"][f"{API}{path}"][method.lower()]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    return jsonschema_rs.validator_for({**body, "components": served["components"]}, validate_formats=True)


@dataclass
class Me:
    user: AppUser
    post: int
    tag: int


@pytest.fixture(scope="module")
def me(client: TestClient) -> Me:
    api = Api(client)
    user = api.user("sc")
    return Me(user, api.post(user), api.call("POST", "/tags", user, 201, json={"name": "family"})["id"])


# (name, method, path with {post}/{tag}, body, schema-valid?); a schema-invalid body gets 422, but an id that
# names one object to find (``user_id``, ``avatar_media_id``) and cannot exist is not found (404), as in a path
CASES: list[tuple[str, str, str, Any, bool]] = [
    ("empty tag name", "POST", "/tags", {"name": ""}, False),
    ("tag name of a zero-width space", "POST", "/tags", {"name": "\u200b"}, False),
    ("tag name of markup only", "POST", "/tags", {"name": "<b></b>"}, False),
    ("tag name of 51 characters", "POST", "/tags", {"name": "t" * 51}, False),
    ("tag name of 50 characters with markup", "POST", "/tags", {"name": "<i>" + "t" * 43 + "</i>"}, True),
    ("empty email", "POST", "/auth/register", "email:", False),
    ("email without a dot in its domain", "POST", "/auth/register", "email:{u}@localhost", False),
    ("email in a special-use domain", "POST", "/auth/register", "email:{u}@example.test", False),
    ("internationalised email", "POST", "/auth/register", "email:jörg{u}@bücher.de", True),
    (
        "display name past 80 characters with markup",
        "PATCH",
        "/users/me",
        {"display_name": "<b>" + "n" * 78 + "</b>"},
        False,
    ),
    ("display name of 80 characters", "PATCH", "/users/me", {"display_name": "n" * 80}, True),
    ("display name of markup around nothing", "PATCH", "/users/me", {"display_name": "<b>\u200b</b>"}, False),
    ("avatar id past bigint", "PATCH", "/users/me", {"avatar_media_id": 2**63}, False),
    (
        "media id past bigint",
        "POST",
        "/posts",
        {"body": "x", "audience": {"type": "connections"}, "media_ids": [2**63]},
        False,
    ),
    (
        "largest media id",
        "POST",
        "/posts",
        {"body": "x", "audience": {"type": "connections"}, "media_ids": [MAX_ID]},
        True,
    ),
    ("tag id past bigint", "PATCH", "/posts/{post}", {"audience": {"type": "tags", "tag_ids": [2**63 + 191]}}, False),
    (
        "the same media twice",
        "POST",
        "/posts",
        {"body": "x", "audience": {"type": "connections"}, "media_ids": [7, 7]},
        False,
    ),
    (
        "size one byte over the limit",
        "POST",
        "/media",
        {"content_type": "image/png", "size_bytes": 10 * MiB + 1},
        False,
    ),
    ("size at the limit", "POST", "/media", {"content_type": "image/png", "size_bytes": 10 * MiB}, True),
    ("size as a number with no fraction", "POST", "/media", {"content_type": "image/png", "size_bytes": 2048.0}, True),
    ("size with a fraction", "POST", "/media", {"content_type": "image/png", "size_bytes": 2048.5}, False),
    ("user id as a number with no fraction", "POST", "/blocks", "user_id:float", True),
    ("comment of a zero-width space", "POST", "/posts/{post}/comments", {"body": "\u200b"}, False),
    ("comment of empty markup", "POST", "/posts/{post}/comments", {"body": "<p>&nbsp;</p><!-- x -->"}, False),
    ("comment past 2000 characters", "POST", "/posts/{post}/comments", {"body": "c" * 2001}, False),
    (
        "comment of 2000 characters that escaping lengthens",
        "POST",
        "/posts/{post}/comments",
        {"body": "<" * 2000},
        True,
    ),
    ("comment of an unclosed tag", "POST", "/posts/{post}/comments", {"body": "<x "}, True),
    ("post of 5000 characters", "POST", "/posts", {"body": "&" * 5000, "audience": {"type": "connections"}}, True),
]


def _body(spec: Any, client: TestClient) -> Any:
    """The body of a case; a few need something fresh (an unused email, an existing user)."""
    if isinstance(spec, str) and spec.startswith("email:"):
        user = Api(client).user("em")  # only for a fresh suffix nobody registered
        return {
            "username": f"x{user.username}"[:30],
            "email": spec.removeprefix("email:").format(u=user.username),
            "password": "correct horse battery",
            "display_name": "Someone",
        }
    if spec == "user_id:float":
        return {"user_id": float(Api(client).user("bl").id)}
    return spec


@pytest.mark.parametrize(("name", "method", "path", "spec", "valid"), CASES, ids=[c[0] for c in CASES])
def test_the_server_takes_what_the_schema_takes_and_refuses_the_rest(
    client: TestClient,
    served: dict[str, Any],
    me: Me,
    assert_problem: Callable[..., Any],
    name: str,
    method: str,
    path: str,
    spec: Any,
    valid: bool,
) -> None:
    body = _body(spec, client)
    assert _request_schema(served, method, path.replace("{post}", "{post_id}")).is_valid(body) is valid, name
    r = client.request(method, API + path.format(post=me.post, tag=me.tag), json=body, headers=me.user.headers)
    if valid:
        assert r.status_code < 300 or r.status_code == 404, f"{name}: {r.status_code} {r.text[:300]}"
    elif "avatar_media_id" in body:
        assert_problem(r, 404, "not_found")
    else:
        assert_problem(r, 422, "validation_error")


def test_the_schema_says_what_an_email_is(served: dict[str, Any]) -> None:
    email = served["components"]["schemas"]["RegisterRequest"]["properties"]["email"]
    assert email["format"] == "idn-email" and email["maxLength"] == 254


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/posts/{post}", "DELETE, GET, PATCH"),
        ("OPTIONS", "/users/me", "DELETE, GET, PATCH"),
        ("TRACE", "/tags/{tag}/members/1", "DELETE, PUT"),
        ("DELETE", "/connections/requests", "GET, POST"),  # not /connections/{user_id} with user_id="requests"
        ("PUT", "/blocks", "GET, POST"),
        ("DELETE", "/tags", "GET, POST"),
    ],
)
def test_a_405_names_every_method_of_the_url(
    client: TestClient, me: Me, assert_problem: Callable[..., Any], method: str, path: str, allow: str
) -> None:
    r = client.request(method, API + path.format(post=me.post, tag=me.tag), headers=me.user.headers)
    assert_problem(r, 405, "method_not_allowed")
    assert r.headers["allow"] == allow
