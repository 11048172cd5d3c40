"""The SQL of real requests: the app run in this process once per request (``create_app`` + ``TestClient``,
the same settings as the served app), every statement recorded with its parameters rendered as literals
(psycopg's ``ClientCursor.mogrify``), for pgbench to replay and for EXPLAIN."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from .context import Run

Capture = dict[str, Any]  # {"status": int, "body": bytes, "statements": [str]}


def capture(run: Run, requests: Sequence[tuple[str, str, str]]) -> dict[str, Capture]:
    """``requests``: (name, GET path, token) -> name -> what that request did."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from hearth_api import create_app

    app = create_app(run.settings(), configure_logs=False)
    out: dict[str, Capture] = {}
    with TestClient(app) as client, psycopg.connect(run.dsn) as mconn:
        mog = psycopg.ClientCursor(mconn)
        engines = app.state.database.engines
        captured: list[tuple[str, Any]] = []

        def grab(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
            captured.append((statement, parameters))

        for engine in engines:
            event.listen(engine, "before_cursor_execute", grab)
        try:
            for name, path, token in requests:
                captured.clear()
                r = client.get(path, headers={"Authorization": f"Bearer {token}"})
                out[name] = {
                    "status": r.status_code,
                    "body": r.content,
                    "statements": [mog.mogrify(s, p) for s, p in captured],
                }
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", grab)
    return out
