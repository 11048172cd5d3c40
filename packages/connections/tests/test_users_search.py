"""GET /users?q=: prefix search, keyset pages, signed cursors, a fixed cost per page."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from hearth_connections import ConnectionGraph
from hearth_testing import assert_problem, resolved

SEARCH = "/api/v1/users"


def _insert_users(app: FastAPI, prefix: str, n: int, display: str = "Bulk") -> None:
    """Many users at once, straight into the table (registering 100 through argon2 is slow)."""
    with app.state.database.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (username, email, password_hash, display_name) "
                "SELECT :p || lpad(i::text, 3, '0'), :p || i || '@example.com', 'x', :d || ' ' || i "
                "FROM generate_series(1, :n) AS i"
            ),
            {"p": prefix, "n": n, "d": display},
        )


def _pages(client: TestClient, headers: dict[str, str], q: str, limit: int) -> Iterator[dict[str, Any]]:
    cursor = None
    while True:
        params: dict[str, Any] = {"q": q, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        r = client.get(SEARCH, params=params, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        yield page
        cursor = page["next_cursor"]
        if cursor is None:
            return


@pytest.fixture
def prefix() -> str:
    return "s" + uuid.uuid4().hex[:8]


def test_search_matches_username_or_display_name_prefix(
    client: TestClient, make_user: Callable[..., Any], prefix: str
) -> None:
    viewer = make_user()
    by_name = make_user(prefix=prefix)
    by_display = make_user(display_name=f"{prefix.upper()} Display")
    make_user(display_name=f"Not {prefix}")  # contains but does not start with it

    r = client.get(SEARCH, params={"q": prefix.upper()}, headers=viewer.headers)
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["next_cursor"] is None
    assert {u["id"] for u in page["items"]} == {by_name.id, by_display.id}
    item = next(u for u in page["items"] if u["id"] == by_name.id)
    assert set(item) == {"id", "username", "display_name", "avatar_url", "bio", "connection_status"}
    assert item["connection_status"] == "none"
    assert by_name.email not in r.text

    mine = client.get(SEARCH, params={"q": prefix}, headers=by_name.headers).json()["items"]
    assert next(u for u in mine if u["id"] == by_name.id)["connection_status"] == "self"


def test_like_wildcards_are_literal(client: TestClient, make_user: Callable[..., Any], prefix: str) -> None:
    viewer = make_user()
    literal = make_user(display_name=f"{prefix}%_\\ literal")
    make_user(display_name=f"{prefix}xx other")
    for q in (f"{prefix}%", f"{prefix}%_", f"{prefix}%_\\"):
        items = client.get(SEARCH, params={"q": q}, headers=viewer.headers).json()["items"]
        assert [u["id"] for u in items] == [literal.id], q
    assert client.get(SEARCH, params={"q": "%"}, headers=viewer.headers).json()["items"] == []
    assert client.get(SEARCH, params={"q": "_"}, headers=viewer.headers).json()["items"] == []


def test_pages_cover_every_match_once_in_username_order(
    app: FastAPI, client: TestClient, make_user: Callable[..., Any], prefix: str
) -> None:
    viewer = make_user()
    _insert_users(app, prefix, 25)
    seen: list[str] = []
    pages = _pages(client, viewer.headers, prefix, 10)
    first = next(pages)
    seen += [u["username"] for u in first["items"]]
    # users written while paging: one sorting before the cursor, one after; neither disturbs the rest
    _insert_users(app, prefix + "0", 1)  # <prefix>0001 sorts before everything already seen
    _insert_users(app, prefix + "9", 1)  # <prefix>9001 sorts after everything
    for page in pages:
        assert len(page["items"]) <= 10
        seen += [u["username"] for u in page["items"]]
    expected = [f"{prefix}{i:03d}" for i in range(1, 26)]
    assert len(seen) == len(set(seen)), "an item was repeated"
    assert [s for s in seen if s in expected] == expected, "an item was skipped or out of order"
    assert seen == sorted(seen)


def test_the_last_full_page_has_no_next_cursor_beyond_it(
    app: FastAPI, client: TestClient, make_user: Callable[..., Any], prefix: str
) -> None:
    viewer = make_user()
    _insert_users(app, prefix, 4)
    pages = list(_pages(client, viewer.headers, prefix, 2))
    assert [len(p["items"]) for p in pages] == [2, 2]
    assert pages[-1]["next_cursor"] is None


def test_cursors_are_tamper_evident_and_bound_to_the_query_and_caller(
    app: FastAPI, client: TestClient, make_user: Callable[..., Any], prefix: str
) -> None:
    viewer, other = make_user(), make_user()
    _insert_users(app, prefix, 3)
    cursor = client.get(SEARCH, params={"q": prefix, "limit": 1}, headers=viewer.headers).json()["next_cursor"]
    assert cursor
    assert client.get(SEARCH, params={"q": prefix, "cursor": cursor}, headers=viewer.headers).status_code == 200
    body, mac = cursor.split(".", 1)
    tampered = [
        body + "." + ("A" if mac[0] != "A" else "B") + mac[1:],
        body[:-1] + ("A" if body[-1] != "A" else "B") + "." + mac,
        "garbage",
        "a.b.c",
        "é.ü",
    ]
    for bad in tampered:
        r = client.get(SEARCH, params={"q": prefix, "cursor": bad}, headers=viewer.headers)
        assert_problem(r, 422, "invalid_cursor")
    # the same cursor for another query or another caller
    assert_problem(
        client.get(SEARCH, params={"q": prefix[:-1], "cursor": cursor}, headers=viewer.headers), 422, "invalid_cursor"
    )
    assert_problem(
        client.get(SEARCH, params={"q": prefix, "cursor": cursor}, headers=other.headers), 422, "invalid_cursor"
    )


@pytest.mark.parametrize(
    "params",
    [
        {"q": "a", "limit": 0},
        {"q": "a", "limit": 101},
        {"q": "a", "limit": "ten"},
        {},
        {"q": ""},
        {"q": "x" * 51},
    ],
)
def test_bad_search_parameters_are_422(
    client: TestClient, make_user: Callable[..., Any], params: dict[str, Any]
) -> None:
    u = make_user()
    assert_problem(client.get(SEARCH, params=params, headers=u.headers), 422, "validation_error")


def test_odd_queries_do_not_break_the_search(client: TestClient, make_user: Callable[..., Any]) -> None:
    u = make_user()
    for q in ("\x00", "a\x00b", "   ", "<script>", "'; DROP TABLE users; --", "x" * 50, "\u202e"):
        r = client.get(SEARCH, params={"q": q}, headers=u.headers)
        assert r.status_code == 200, (q, r.text)


def test_a_search_page_costs_a_fixed_number_of_statements(
    app: FastAPI,
    client: TestClient,
    make_user: Callable[..., Any],
    count_queries: Callable[..., Any],
    prefix: str,
) -> None:
    viewer = make_user()
    _insert_users(app, prefix, 101)
    counts = {}
    for limit in (1, 20, 100):
        with count_queries() as q:
            r = client.get(SEARCH, params={"q": prefix, "limit": limit}, headers=viewer.headers)
        assert r.status_code == 200
        assert len(r.json()["items"]) == limit
        assert r.json()["next_cursor"] is not None
        counts[limit] = q.count

        # What connections' graph costs for this page: one batched call for the
        # blockers, one for the statuses -- at most one statement each, whatever the page size.
        ids = [u["id"] for u in r.json()["items"]]
        with resolved(app, ConnectionGraph) as relationships, count_queries() as port:
            relationships.blocker_ids(viewer.id)
            relationships.relationships(viewer.id, ids)
        assert port.count <= 2, port.statements
        # the token check + the search + the port's calls; no avatars here, so no media call
        assert q.count == 2 + port.count, q.statements
    assert counts[1] == counts[20] == counts[100], counts
