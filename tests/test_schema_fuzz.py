"""Schema fuzzing: schemathesis against the app's own OpenAPI document, every operation, authenticated.

Each operation is one test. Before it runs, a fresh user (whose token every request carries) gets a
small world of real objects around a shared cast of other users: connections (one in a tag, one in
none), pending requests both ways, blocks both ways, tags, posts of both audiences (theirs, a
connection's, a stranger's), comments and media (uploaded and pending). Path ids, ``tag_id`` in the
query and the ids in request bodies are drawn half of the time from those objects (only in place of a
valid id, so a negative case stays negative), so requests hit things that exist, things the caller
may not see and things that do not exist.

Two schemathesis phases run, derandomised: coverage (each boundary value, each broken constraint and each
undeclared method once) and fuzzing (positive and negative cases, at most ``MAX_EXAMPLES`` per operation).
Requests go in-process through the session's ``TestClient`` (no network). Every response passes every
check schemathesis has (``CHECKS``; only the response-time limit is left out): no 5xx, every
schema-violating request refused with a 4xx, every schema-valid request accepted (a 2xx, or a state the
schema cannot know: 401, 403, 404, 409, 429), a status the operation documents, a documented content
type, a body that matches its schema (problem+json errors included), the documented headers, ``405``
with an ``Allow`` naming the URL's methods, and a token that is checked (each success is sent again
without it and with a forged one). The rejections of schema-valid input left are those no schema can
state (see ``positive_data_acceptance_but_inexpressible``): a cursor the server did not issue, a digest
``since`` outside its 7-day window (which moves with the clock), the caller's own id where API.md
answers ``422 self_request`` / ``422 self_block``, and a password-reset or verification token the server
never mailed (``422 invalid_token``).
``test_every_operation_was_fuzzed`` prints the numbers (``-v`` for each operation's statuses).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import hypothesis.strategies as st
import jsonschema_rs
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from pydantic import SecretStr
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    object_level_authorization,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
)

from hearth_api import create_app
from hearth_platform.settings import Settings
from hearth_testing import Api, AppUser, Relay, report

API = "/api/v1"
MAX_EXAMPLES = 50
SEED = 20261128
BODY = "hello <b>world</b>"  # the posts of the worlds
ISSUED_CURSORS: set[str] = set()  # every cursor the server gave out in this run


def _problem(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _forged_cursor(case: Any, response: Any) -> bool:
    """``422 invalid_cursor`` for a cursor (``cursor``, or the poll's ``newer_than``) the server never issued:
    any string is a cursor by the schema, only the server knows which it signed (for this caller, this list
    and this use)."""
    query = case.query or {}
    given = [query.get(name) for name in ("cursor", "newer_than") if isinstance(query.get(name), str)]
    return (
        response.status_code == 422
        and _problem(response).get("code") == "invalid_cursor"
        and bool(given)
        and any(cursor not in ISSUED_CURSORS for cursor in given)
    )


def _outside_digest_window(case: Any, response: Any) -> bool:
    """``422`` for a digest ``since`` more than 7 days back or in the future: the window moves with the
    clock, which a schema cannot (a minute of slack either side, for the time the request took)."""
    if case.operation.path != f"{API}/digest" or response.status_code != 422:
        return False
    if [e.get("loc") for e in _problem(response).get("errors", [])] != [["query", "since"]]:
        return False
    try:
        since = datetime.fromisoformat(str((case.query or {}).get("since")).replace("Z", "+00:00"))
    except ValueError:
        return False
    since = since if since.tzinfo is not None else since.replace(tzinfo=UTC)
    now = datetime.now(UTC)
    return since < now - timedelta(days=7) + timedelta(minutes=1) or since > now - timedelta(minutes=1)


def _caller_named_self(case: Any, response: Any) -> bool:
    """``422 self_request`` / ``422 self_block`` (codes API.md fixes) for the caller's own id as ``user_id``:
    the schema cannot know who calls."""
    body = case.body if isinstance(case.body, dict) else {}
    return (
        response.status_code == 422
        and _problem(response).get("code") in ("self_request", "self_block")
        and bool(CURRENT)
        and body.get("user_id") == CURRENT[-1].user_id
    )


MAILED_TOKEN_ROUTES = (f"{API}/auth/password-reset/confirm", f"{API}/auth/verify-email")


def _unissued_token(case: Any, response: Any) -> bool:
    """``422 invalid_token`` for a password-reset or verification token the server never mailed: any string is
    a token by the schema, only the server knows which it issued (and whether it is used or expired)."""
    return (
        case.operation.path in MAILED_TOKEN_ROUTES
        and response.status_code == 422
        and _problem(response).get("code") == "invalid_token"
    )


def positive_data_acceptance_but_inexpressible(ctx: Any, response: Any, case: Any) -> bool | None:
    """``positive_data_acceptance``, less the rejections of schema-valid input that no schema can state."""
    if (
        _forged_cursor(case, response)
        or _outside_digest_window(case, response)
        or _caller_named_self(case, response)
        or _unissued_token(case, response)
    ):
        return None
    return positive_data_acceptance(ctx, response, case)  # type: ignore[no-any-return]


CHECKS = [
    not_a_server_error,
    negative_data_rejection,
    positive_data_acceptance_but_inexpressible,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
    ignored_auth,
    # these two follow a resource across requests (stateful runs, with a recorder): they hold vacuously here
    use_after_free,
    ensure_resource_availability,
    object_level_authorization,  # needs several configured identities: vacuous here too
]
LEFT_OUT = {"max_response_time"}  # timing, which the tests never assert
INSTEAD = {"positive_data_acceptance": positive_data_acceptance_but_inexpressible}


def _served_schema() -> dict[str, Any]:
    """The document the app serves (built without starting it: nothing connects)."""
    settings = Settings(_env_file=None, secret_key=SecretStr("x" * 40))
    return create_app(settings, configure_logs=False).openapi()


CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "with-security-parameters": False,  # every request carries the world's token (401s are tested apart)
        },
        "phases": {
            "examples": {"enabled": False},
            "coverage": {"enabled": True},  # boundary values and each constraint broken, once each
            "stateful": {"enabled": False},
            "fuzzing": {"enabled": True},
        },
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
    }
)
SERVED = _served_schema()
schema = schemathesis.openapi.from_dict(SERVED, config=CONFIG)
# what the schema takes as an email: only such a one is swapped for a fresh one (an invalid one stays invalid)
EMAIL = jsonschema_rs.validator_for(
    SERVED["components"]["schemas"]["RegisterRequest"]["properties"]["email"], validate_formats=True
)


# The requests checks send themselves (``ignored_auth`` sends each success again without the token and with
# a forged one) reach the session's running app through its client.
RELAY = Relay()
schema.app = RELAY


def _labels() -> list[str]:
    labels = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # the served schema must be valid (test_openapi_snapshot says why not)
        labels.append(f"{result.ok().method.upper()} {result.ok().path}")
    return sorted(labels)


OPERATIONS = _labels()
FUZZED: Counter[str] = Counter()
STATUSES: dict[str, Counter[str]] = {}  # "404", or "TRACE 405" for an undeclared method


# -- the world a fuzzed operation runs in ------------------------------------------------------------------


@dataclass
class World:
    token: str
    user_id: int
    pools: dict[str, list[int]] = field(default_factory=dict)


CURRENT: list[World] = []  # the world of the operation being fuzzed (hooks read it while drawing cases)


def _pool(name: str) -> list[int]:
    return CURRENT[-1].pools.get(name, []) if CURRENT else []


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value < 2**63


def _maybe_real(value: Any, pool: list[int]) -> st.SearchStrategy[Any]:
    """The generated value or, as often, one of the real ids: only in place of a valid id, so that a
    negative case (a string, a float, 0 ...) stays negative."""
    return st.one_of(st.just(value), st.sampled_from(pool)) if pool and _is_id(value) else st.just(value)


_PATH_POOLS = {
    "post_id": "posts",
    "comment_id": "comments",
    "user_id": "users",
    "tag_id": "tags",
    "request_id": "requests",
    "media_id": "media",
}
_BODY_POOLS = {"user_id": "users", "avatar_media_id": "media"}
_BODY_LIST_POOLS = {"media_ids": "media", "tag_ids": "tags"}


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    if not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    return st.fixed_dictionaries(
        {name: _maybe_real(value, _pool(_PATH_POOLS.get(name, ""))) for name, value in path_parameters.items()}
    )


@schema.hook
def flatmap_query(context: Any, query: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    if not isinstance(query, dict) or "tag_id" not in query:
        return st.just(query)
    return st.fixed_dictionaries(
        {k: _maybe_real(v, _pool("tags")) if k == "tag_id" else st.just(v) for k, v in query.items()}
    )


def _real_list(value: Any, pool: list[int]) -> st.SearchStrategy[Any]:
    """Likewise for a list of ids (``tag_ids``, ``media_ids``): 1-3 real ones in place of a valid list."""
    if not pool or not isinstance(value, list) or not 1 <= len(value) <= 4 or not all(map(_is_id, value)):
        return st.just(value)
    return st.one_of(
        st.just(value), st.lists(st.sampled_from(pool), min_size=1, max_size=min(3, len(pool)), unique=True)
    )


def _real_body(body: Any) -> st.SearchStrategy[Any]:
    if not isinstance(body, dict):
        return st.just(body)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for key, value in body.items():
        if key in _BODY_POOLS:
            fields[key] = _maybe_real(value, _pool(_BODY_POOLS[key]))
        elif key in _BODY_LIST_POOLS:
            fields[key] = _real_list(value, _pool(_BODY_LIST_POOLS[key]))
        elif key == "email" and EMAIL.is_valid(value):  # register: a valid one, or a valid and unused one
            fields[key] = st.one_of(st.just(value), st.uuids().map(lambda u: f"fz{u.hex[:16]}@example.com"))
        elif key == "audience":
            fields[key] = _real_body(value)
        else:
            fields[key] = st.just(value)
    return st.fixed_dictionaries(fields)


@schema.hook
def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
    return _real_body(body)


@dataclass
class Cast:
    """The other users, shared by every operation's world (whatever the fuzzed user does touches only
    the fuzzed user's own relations and objects): who they are and their objects."""

    users: dict[str, AppUser]
    posts: list[int]
    comments: list[int]
    tag: int
    media: int
    request: int

    @property
    def ids(self) -> dict[str, int]:
        return {role: user.id for role, user in self.users.items()}


def build_cast(client: TestClient) -> Cast:
    api = Api(client)
    users = {role: api.user("fz") for role in ("friend", "other", "stranger", "blocked", "blocker", "asker", "asked")}
    friend, stranger, other = users["friend"], users["stranger"], users["other"]
    api.connect(friend, stranger)
    foreign_request = api.call("POST", "/connections/requests", stranger, 201, json={"user_id": other.id})["id"]
    their_tag = api.call("POST", "/tags", friend, 201, json={"name": "close friends"})["id"]
    api.call("PUT", f"/tags/{their_tag}/members/{stranger.id}", friend, 204)
    their_media = api.media(friend, upload=True)
    posts = [
        api.post(friend, body=BODY),
        api.post(friend, tags=[their_tag], body=BODY),  # never visible to the fuzzed user
        api.post(stranger, body=BODY),  # never visible to the fuzzed user
        api.post(other, body=BODY),
    ]
    api.call(
        "POST",
        "/posts",
        friend,
        201,
        json={"body": "with a picture", "audience": {"type": "connections"}, "media_ids": [their_media]},
    )
    comments = [api.comment(friend, posts[0]), api.comment(stranger, posts[2])]
    return Cast(users, posts, comments, their_tag, their_media, foreign_request)


def build_world(client: TestClient, cast: Cast) -> World:
    """A fresh user, connected to ``friend`` (in a tag) and ``other`` (in none), with a pending request
    each way, a block each way, tags, media (uploaded and pending), posts of both audiences, comments."""
    api = Api(client)
    me = api.user("fz")
    c, them = cast.ids, cast.users
    api.connect(me, them["friend"])
    api.connect(them["other"], me)
    incoming = api.call("POST", "/connections/requests", them["asker"], 201, json={"user_id": me.id})["id"]
    outgoing = api.call("POST", "/connections/requests", me, 201, json={"user_id": c["asked"]})["id"]
    api.call("POST", "/blocks", me, 204, json={"user_id": c["blocked"]})
    api.call("POST", "/blocks", them["blocker"], 204, json={"user_id": me.id})
    my_tag = api.call("POST", "/tags", me, 201, json={"name": "family"})["id"]
    empty_tag = api.call("POST", "/tags", me, 201, json={"name": "empty"})["id"]
    api.call("PUT", f"/tags/{my_tag}/members/{c['friend']}", me, 204)
    ready = api.media(me, upload=True)
    pending = api.media(me, upload=False)
    mine = [api.post(me, body=BODY), api.post(me, tags=[my_tag], body=BODY)]
    comments = [api.comment(them["friend"], mine[0]), api.comment(me, cast.posts[0]), api.comment(me, mine[1])]
    return World(
        token=me.headers["Authorization"],
        user_id=me.id,
        pools={
            "users": [me.id, *c.values()],
            "posts": [*mine, *cast.posts],
            "comments": [*comments, *cast.comments],
            "tags": [my_tag, empty_tag, cast.tag],
            "requests": [incoming, outgoing, cast.request],
            "media": [ready, pending, cast.media],
        },
    )


@pytest.fixture(scope="module")
def cast(client: TestClient) -> Iterator[Cast]:
    RELAY.client = client
    try:
        yield build_cast(client)
    finally:
        RELAY.client = None


@pytest.fixture
def world(client: TestClient, cast: Cast) -> Iterator[World]:
    w = build_world(client, cast)
    CURRENT.append(w)
    try:
        yield w
    finally:
        CURRENT.remove(w)


# -- the fuzzing -------------------------------------------------------------------------------------------


def _send(client: TestClient, case: Any, token: str) -> Any:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    parts = urlsplit(kwargs["url"])
    headers = {**(kwargs.get("headers") or {}), "Authorization": token}
    request: dict[str, Any] = {"headers": headers, "params": kwargs.get("params") or None}
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        request["content"] = kwargs["data"]
    if kwargs.get("cookies"):
        request["cookies"] = kwargs["cookies"]
    return client.request(kwargs["method"], parts.path, **request)


@schema.parametrize()
@settings(  # the world is built once per operation, on purpose: its examples share it
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ]
)
def test_every_operation_answers_as_documented(case: Any, client: TestClient, world: World) -> None:
    label = f"{case.operation.method.upper()} {case.path}"
    FUZZED[label] += 1
    response = _send(client, case, world.token)
    method = "" if case.method.upper() == case.operation.method.upper() else f"{case.method.upper()} "
    STATUSES.setdefault(label, Counter())[f"{method}{response.status_code}"] += 1
    if response.content and "application/json" in response.headers.get("content-type", ""):
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("next_cursor"), str):
            ISSUED_CURSORS.add(body["next_cursor"])
    case.validate_response(response, checks=CHECKS, headers={"Authorization": world.token})


def test_every_check_schemathesis_has_is_applied() -> None:
    """A check a new schemathesis brings is either applied here or left out on purpose."""
    applied = {check.__name__ for check in CHECKS} | {name for name, check in INSTEAD.items() if check in CHECKS}
    assert set(REGISTERED_CHECKS.get_all_names()) - LEFT_OUT <= applied


def test_every_operation_was_fuzzed(request: pytest.FixtureRequest) -> None:
    """Runs after the fuzzing above: each of its selected operations ran examples. Prints the numbers."""
    selected = [
        item
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_every_operation_answers_as_documented"
    ]
    if not selected:
        pytest.skip("the fuzzing test was not selected")
    assert len(OPERATIONS) >= 36, OPERATIONS
    missing = [op for op in OPERATIONS if FUZZED[op] == 0]
    if len(selected) >= len(OPERATIONS):  # the whole schema was selected
        assert not missing, f"operations never fuzzed: {missing}"
    lines = [
        f"schema fuzzing: {sum(1 for op in OPERATIONS if FUZZED[op])} operations, {sum(FUZZED.values())} examples "
        f"(coverage phase + at most {MAX_EXAMPLES} fuzzed per operation; "
        f"min {min(FUZZED[op] for op in OPERATIONS)}, max {max(FUZZED[op] for op in OPERATIONS)})"
    ]
    for op in OPERATIONS:
        statuses = " ".join(f"{s}x{n}" for s, n in sorted(STATUSES.get(op, Counter()).items()))
        lines.append(f"  {FUZZED[op]:3d}  {op}  [{statuses}]")
    report(request.config, *(lines if request.config.option.verbose > 0 else lines[:1]))
    print("\n".join(lines))
