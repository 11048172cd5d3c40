"""The constraints behind the rules: they hold even when the service's own checks are bypassed."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from hearth_connections.errors import RequestPending
from hearth_connections.repository import PairState, Repository

API = "/api/v1"

ROUTES = [
    ("POST", "/connections/requests", {"user_id": 1}),
    ("GET", "/connections/requests?direction=incoming", None),
    ("POST", "/connections/requests/1/accept", None),
    ("POST", "/connections/requests/1/reject", None),
    ("DELETE", "/connections/requests/1", None),
    ("GET", "/connections", None),
    ("DELETE", "/connections/1", None),
    ("POST", "/blocks", {"user_id": 1}),
    ("DELETE", "/blocks/1", None),
    ("GET", "/blocks", None),
    ("GET", "/tags", None),
    ("POST", "/tags", {"name": "x"}),
    ("PATCH", "/tags/1", {"name": "x"}),
    ("DELETE", "/tags/1", None),
    ("GET", "/tags/1/members", None),
    ("PUT", "/tags/1/members/1", None),
    ("DELETE", "/tags/1/members/1", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_route_needs_a_valid_token(client, method, path, body):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}):
        r = client.request(method, f"{API}{path}", json=body, headers=headers)
        assert r.status_code == 401, r.text
        assert r.json()["code"] == "unauthorized"
        assert r.headers["www-authenticate"] == "Bearer"


def _insert_request(app, from_id: int, to_id: int, status: str = "pending") -> None:
    with app.state.database.transaction() as s:
        s.execute(
            text("INSERT INTO connection_requests (from_user_id, to_user_id, status) VALUES (:f, :t, :s)"),
            {"f": from_id, "t": to_id, "s": status},
        )


def _violated(exc: pytest.ExceptionInfo[IntegrityError]) -> str:
    return str(exc.value.orig.diag.constraint_name)  # type: ignore[union-attr]


def test_one_pending_request_per_pair_either_way(app, make_user):
    a, b = make_user(), make_user()
    _insert_request(app, a.id, b.id, "rejected")
    _insert_request(app, a.id, b.id, "cancelled")
    _insert_request(app, a.id, b.id)
    for f, t in ((a.id, b.id), (b.id, a.id)):
        with pytest.raises(IntegrityError) as exc:
            _insert_request(app, f, t)
        assert _violated(exc) == "uq_connection_requests_pending_pair"


def test_one_connection_per_pair_stored_in_order(app, make_user, connect):
    a, b = make_user(), make_user()
    connect(a, b)
    lo, hi = sorted((a.id, b.id))
    for x, y, name in ((lo, hi, "uq_connections_user_a_id_user_b_id"), (hi, lo, "ck_connections_ordered_pair")):
        with pytest.raises(IntegrityError) as exc, app.state.database.transaction() as s:
            s.execute(text("INSERT INTO connections (user_a_id, user_b_id) VALUES (:x, :y)"), {"x": x, "y": y})
        assert _violated(exc) == name


def test_a_request_losing_the_race_at_the_index_is_409_and_the_unit_of_work_goes_on(
    make_user, send_request, graph, monkeypatch
):
    """Without the pair lock and with the check fooled, the index still decides, inside a savepoint."""
    a, b = make_user(), make_user()
    assert send_request(a, b).status_code == 201
    monkeypatch.setattr(Repository, "lock_pair", lambda self, x, y: None)
    monkeypatch.setattr(Repository, "pair_state", lambda self, x, y: PairState(False, False, False))
    with graph() as g:
        with pytest.raises(RequestPending):
            g.send_request(b.id, a.id)
        # only the savepoint was rolled back: the transaction is still usable
        assert g.relationships(b.id, [a.id]) == {a.id: "pending_incoming"}


def test_a_tag_name_race_is_decided_by_the_index(app, make_user, client):
    me = make_user()
    assert client.post(f"{API}/tags", json={"name": "Family"}, headers=me.headers).status_code == 201
    with pytest.raises(IntegrityError) as exc, app.state.database.transaction() as s:
        s.execute(text("INSERT INTO user_tags (owner_user_id, name) VALUES (:o, 'FAMILY')"), {"o": me.id})
    assert _violated(exc) == "uq_user_tags_owner_user_id_lower_name"
