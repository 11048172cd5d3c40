"""/metrics: Prometheus text with HTTP metrics by route template and the application's own metrics."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from sqlalchemy import text

from hearth_platform.uow import UnitOfWork

TEMPLATE = "/api/v1/probe/{item_id}"
INCLUDED = "/api/v1/included/things/{thing_id}"  # a route of a router included under prefixes


@pytest.fixture(scope="module")
def client(make_app: Callable[..., FastAPI]) -> Iterator[TestClient]:
    app = make_app()

    @app.get(TEMPLATE)
    def probe(item_id: int, uow: UnitOfWork) -> dict[str, int]:
        uow.session.execute(text("SELECT 1"))
        uow.session.execute(text("SELECT 2"))
        return {"id": item_id}

    @app.get("/api/v1/two-selects")
    def two_selects(uow: UnitOfWork) -> dict[str, bool]:
        uow.session.execute(text("SELECT 1"))
        uow.session.execute(text("SELECT 2"))
        return {"ok": True}

    things = APIRouter(prefix="/things")

    @things.get("/{thing_id}")
    def thing(thing_id: int, uow: UnitOfWork) -> dict[str, int]:
        uow.session.execute(text("SELECT 1"))
        return {"id": thing_id}

    included = APIRouter(prefix="/api/v1/included")
    included.include_router(things)
    app.include_router(included)

    with TestClient(app) as c:
        yield c


def _samples(client: TestClient) -> list[Sample]:
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    return [s for family in text_string_to_metric_families(r.text) for s in family.samples]


def test_metrics_parse_as_prometheus_text(client: TestClient) -> None:
    assert _samples(client)


def test_requests_are_counted_by_route_template_and_status(client: TestClient) -> None:
    for item in (1, 2, 3):
        assert client.get(f"/api/v1/probe/{item}").status_code == 200
    assert client.get("/api/v1/probe/not-a-number").status_code == 422
    samples = _samples(client)
    counts = {
        s.labels["status"]: s.value
        for s in samples
        if s.name == "http_requests_total" and s.labels.get("handler") == TEMPLATE
    }
    assert counts.get("200", 0) >= 3
    assert counts.get("422", 0) >= 1
    durations = [
        s for s in samples if s.name == "http_request_duration_seconds_count" and s.labels.get("handler") == TEMPLATE
    ]
    assert durations and durations[0].value >= 4


def test_raw_paths_never_become_labels(client: TestClient) -> None:
    marker = uuid.uuid4().hex
    client.get(f"/api/v1/probe/{marker[:6]}")
    client.get(f"/no-such-page-{marker}")
    scraped = client.get("/metrics").text
    assert marker not in scraped and marker[:6] not in scraped  # one series per route, not per URL


def test_database_statements_per_request_by_route(client: TestClient) -> None:
    for _ in range(3):
        client.get("/api/v1/two-selects")
    statements = {
        s.name: s.value
        for s in _samples(client)
        if s.name.startswith("hearth_db_statements_per_request")
        and s.labels.get("handler") == "/api/v1/two-selects"
        and s.labels.get("method") == "GET"  # labels as http_requests_total's, to join with it
    }
    assert statements["hearth_db_statements_per_request_count"] == 3
    assert statements["hearth_db_statements_per_request_sum"] == 6  # two SELECTs per request


def test_application_metrics_are_exposed(client: TestClient) -> None:
    client.get("/api/v1/probe/1")
    names = {family.name for family in text_string_to_metric_families(client.get("/metrics").text)}
    for name in (
        "hearth_db_statements_per_request",
        "hearth_feed_build_seconds",
        "hearth_cache_requests",
        "hearth_rate_limited_requests",
        "hearth_db_pool_connections_in_use",
        "hearth_db_pool_overflow_connections",
    ):
        assert name in names, f"{name} is missing from /metrics"


def test_the_pool_gauges_follow_checkouts(client: TestClient) -> None:
    client.get("/api/v1/two-selects")
    in_use = {s.labels["pool"]: s.value for s in _samples(client) if s.name == "hearth_db_pool_connections_in_use"}
    assert in_use == {"read": 0, "write": 0}  # every connection went back (the scrape itself holds none)


def test_operations_routes_are_not_counted(client: TestClient) -> None:
    client.get("/health/live")
    client.get("/health/ready")
    handlers = {s.labels.get("handler") for s in _samples(client) if s.name == "http_requests_total"}
    assert not handlers & {"/health/live", "/health/ready", "/metrics"}


def test_routes_of_included_routers_are_labelled_with_their_full_template(client: TestClient) -> None:
    for thing in (1, 2):
        assert client.get(f"/api/v1/included/things/{thing}").status_code == 200
    samples = _samples(client)
    requests = [s for s in samples if s.name == "http_requests_total" and s.labels.get("handler") == INCLUDED]
    assert requests and requests[0].labels["status"] == "200" and requests[0].value >= 2
    statements = {
        s.name: s.value
        for s in samples
        if s.name.startswith("hearth_db_statements_per_request") and s.labels.get("handler") == INCLUDED
    }
    assert statements["hearth_db_statements_per_request_count"] >= 2
    # never the router-relative template, which another router could share
    assert not [s for s in samples if s.labels.get("handler") == "/things/{thing_id}"]


def test_unknown_methods_share_one_label(client: TestClient) -> None:
    assert client.request("PROPFIND", "/api/v1/probe/1").status_code == 405
    assert client.request("MKCOL", "/api/v1/probe/1").status_code == 405
    methods = {
        s.labels["method"]
        for s in _samples(client)
        if s.name == "http_requests_total" and s.labels.get("handler") == TEMPLATE
    }
    assert "OTHER" in methods
    assert not methods & {"PROPFIND", "MKCOL"}
