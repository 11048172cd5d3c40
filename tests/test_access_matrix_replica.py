"""The access matrix (``test_access_matrix.py``: every role against every route, and a hidden object answering
exactly like a missing one) again, on an app whose reads are served by a real streaming replica. The replica
is synchronous here (each commit waits until the standby applied it), so that another user's next read finds
a write there as the matrix expects; the routing is the same as with an asynchronous one. What it shows:
every read path runs on a replica (none is handed a write or a lock: that would fail loudly), and nothing a
role may not see is shown through it."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hearth_api import create_app
from hearth_platform.replicas import ReadRouter
from hearth_testing.replica import ReplicatedPostgres, pg_bin

_spec = importlib.util.spec_from_file_location(
    "hearth_access_matrix_on_a_replica", Path(__file__).with_name("test_access_matrix.py")
)
assert _spec is not None and _spec.loader is not None
_matrix = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _matrix  # its dataclasses look their module up
_spec.loader.exec_module(_matrix)

world = _matrix.world
test_every_role_gets_the_contract_status = _matrix.test_every_role_gets_the_contract_status
test_a_hidden_object_answers_exactly_like_a_missing_one = (
    _matrix.test_a_hidden_object_answers_exactly_like_a_missing_one
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(pg_bin() is None, reason="needs the embedded PostgreSQL's initdb, pg_ctl and pg_basebackup"),
]


@pytest.fixture(scope="module")
def client(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    pg = ReplicatedPostgres(synchronous=True)
    try:
        settings = pg.settings(
            tmp_path_factory.mktemp("hearth-data"),
            redis_url=redis_url,
            replica_max_lag_seconds=600.0,
            replica_poll_interval_seconds=0.02,
        )
        with TestClient(create_app(settings, configure_logs=False)) as c:
            yield c
            app: FastAPI = c.app  # type: ignore[assignment]
            router: ReadRouter = app.state.read_router
            # the matrix ran on the replica (not only on the primary it falls back to)
            assert router.reads["replica"] > 100, router.reads
    finally:
        pg.close()
