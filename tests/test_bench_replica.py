"""The benchmark's ``--replica``: a standby of a running server made with ``pg_basebackup -R`` (the bench's own
``Standby``, here of a test primary), and the report's reads per target next to a single-database run."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hearth_testing import free_port, run_sql, wait_until
from hearth_testing.replica import ReplicatedPostgres, pg_bin

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from hearth_bench import replica  # the bench's modules are not installed

pytestmark = pytest.mark.skipif(pg_bin() is None, reason="needs the embedded PostgreSQL's binaries")

METRICS = """# HELP hearth_db_reads_total x
hearth_db_reads_total{target="primary"} 3.0
hearth_db_reads_total{target="replica"} 40.0
hearth_db_replica_fallbacks_total{reason="not_replayed"} 3.0
"""


@pytest.fixture(scope="module")
def primary() -> Iterator[ReplicatedPostgres]:
    pair = ReplicatedPostgres(migrated=False)
    try:
        yield pair
    finally:
        pair.close()


def test_the_bench_standby_replays_its_server(primary: ReplicatedPostgres) -> None:
    standby = replica.Standby(primary.url, free_port())
    try:
        standby.start()
        primary.execute("CREATE TABLE bench_probe (x int)")
        primary.execute("INSERT INTO bench_probe VALUES (7)")
        wait_until(lambda: run_sql(standby.url, "SELECT x FROM bench_probe") == [(7,)], 30, "replayed")
        assert run_sql(standby.url, "SELECT pg_is_in_recovery()") == [(True,)]
    finally:
        standby.stop()
    assert not standby.dir.exists()


def test_the_preflight_accepts_a_server_that_allows_replication(primary: ReplicatedPostgres) -> None:
    replica.preflight(primary.url)  # raises SystemExit with the pg_hba advice otherwise


def test_reads_per_target_and_the_overhead_section() -> None:
    before = replica.read_targets("")
    after = replica.read_targets(METRICS)
    assert replica.delta(before, after) == {"primary": 3, "replica": 40, "fallbacks": {"not_replayed": 3}}
    rep = {
        "replica": {"url": "postgresql://postgres@127.0.0.1:5/hearth_bench"},
        "scenarios": {
            "feed": {
                "rps": 100.0, "p50_ms": 20.0, "p99_ms": 80.0,
                "cpu_ms_per_request": {"app": 9.0}, "reads": replica.delta(before, after),
            }
        },
    }  # fmt: skip
    single = {"started": "2026-11-30T20:00:00+00:00", "scenarios": {"feed": {"rps": 110.0, "p50_ms": 18.0}}}
    text = "\n".join(replica.overhead(rep, replica.baseline_of(single)))
    assert "| feed | 40 / 3 | not_replayed 3 | 100.0 (110.0) | 20.0 (18.0) | 80.0 |" in text
    assert "2026-11-30T20:00:00+00:00" in text
