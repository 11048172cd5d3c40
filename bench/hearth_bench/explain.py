"""EXPLAIN (ANALYZE, BUFFERS) of every statement a captured request ran: shared buffers (hit + read) per
request, execution and planning time, and the plan of its heaviest statement (``plans/``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

from .capture import Capture
from .common import ROOT

_EXPLAINABLE = re.compile(r"^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\b", re.I)


def compact_plan(plan: str) -> str:
    """A plan with its long literal id lists shortened to their length."""
    return re.sub(r"'\{[0-9,]{120,}\}'", lambda m: f"'{{... {m.group(0).count(',') + 1} ids ...}}'", plan)


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def scans(plan: dict[str, Any]) -> list[str]:
    """The table accesses of a plan: "Index Scan using pk_posts on posts", ..."""
    out = []
    for n in _nodes(plan):
        if "Relation Name" in n:
            using = f" using {n['Index Name']}" if n.get("Index Name") else ""
            scan = f"{n['Node Type']}{using} on {n['Relation Name']}"
            if scan not in out:
                out.append(scan)
    return out


def explain_statement(conn: psycopg.Connection[Any], statement: str) -> dict[str, Any]:
    """One statement, run twice (the second, warm run is kept), rolled back."""
    doc: dict[str, Any] = {}
    for _ in range(2):
        row = conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement).fetchone()
        conn.rollback()
        raw = row[0] if row else [{}]
        doc = (json.loads(raw) if isinstance(raw, str) else raw)[0]
    plan = doc.get("Plan", {})
    planning = doc.get("Planning", {})
    hit, read = int(plan.get("Shared Hit Blocks", 0)), int(plan.get("Shared Read Blocks", 0))
    return {
        "statement": " ".join(statement.split())[:160],
        "execution_ms": round(float(doc.get("Execution Time", 0.0)), 3),
        "planning_ms": round(float(doc.get("Planning Time", 0.0)), 3),
        "shared_hit": hit,
        "shared_read": read,
        "buffers": hit + read,
        "planning_buffers": int(planning.get("Shared Hit Blocks", 0)) + int(planning.get("Shared Read Blocks", 0)),
        "scans": scans(plan),
    }


def explain_requests(dsn: str, captures: dict[str, Capture], plan_dir: Path) -> dict[str, Any]:
    """name -> {buffers (shared hit + read of every statement's execution), execution_ms, planning_ms,
    statements, heaviest statement's scans and plan file}."""
    plan_dir.mkdir(exist_ok=True)
    out: dict[str, Any] = {}
    with psycopg.connect(dsn) as conn:
        for name, cap in captures.items():
            if cap["status"] != 200:
                out[name] = {"status": cap["status"]}
                continue
            stmts = [s for s in cap["statements"] if _EXPLAINABLE.match(s)]
            rows = [explain_statement(conn, s) for s in stmts]
            if not rows:
                continue
            top = max(range(len(rows)), key=lambda i: (rows[i]["buffers"], rows[i]["execution_ms"]))
            text = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + stmts[top]).fetchall()
            conn.rollback()
            (plan_dir / f"{name}.sql").write_text(stmts[top] + "\n")
            (plan_dir / f"{name}.txt").write_text(compact_plan("\n".join(r[0] for r in text)) + "\n")
            (plan_dir / f"{name}.json").write_text(json.dumps(rows, indent=1) + "\n")
            out[name] = {
                "statements": len(rows),
                "buffers": sum(r["buffers"] for r in rows),
                "shared_hit": sum(r["shared_hit"] for r in rows),
                "shared_read": sum(r["shared_read"] for r in rows),
                "planning_buffers": sum(r["planning_buffers"] for r in rows),
                "execution_ms": round(sum(r["execution_ms"] for r in rows), 3),
                "planning_ms": round(sum(r["planning_ms"] for r in rows), 3),
                "heaviest": {k: rows[top][k] for k in ("statement", "buffers", "execution_ms", "planning_ms", "scans")},
                "plan_file": str((plan_dir / f"{name}.txt").relative_to(ROOT)),
            }
    return out
