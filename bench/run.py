"""Hearth benchmark: one command, every figure.

    uv run python bench/run.py --workers 2 --duration 20 --connections 32

1. seeds the database (``hearth seed``) or reuses it when it already holds the same dataset;
2. serves it with ``hearth serve --workers N`` on a free loopback port and loads it with wrk (Lua script
   rotating over per-request tokens of many users) over the main scenarios; per scenario: requests/s,
   latency p50/p95/p99, errors, SQL statements per request (``/metrics``), peak RSS per worker, CPU split
   and CPU per request;
3. growth: single-client feed latency of viewers with 10, 100, 1,000 and 5,000 connections, page 1 and
   page 50, the shared buffers each of those pages reads, and the time to create a post as each of them;
4. limits: (a) the database alone: the exact statements of feed requests (captured in-process) replayed
   by pgbench at the same concurrency; (b) the HTTP stack alone: the same app with a route returning a
   pre-built feed page (``bench/app_http_only.py``), loaded by wrk the same way;
5. writes ``bench/results/<stamp>/report.{json,md}`` and PNG charts (and ``bench/results/latest.*``) and
   prints the report.

Every load loop is bounded in time; only loopback traffic. The work is done by ``bench/hearth_bench/``
(one module per job); see bench/README.md.
"""

from __future__ import annotations

from hearth_bench.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
