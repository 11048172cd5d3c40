"""Shared request parameter types."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ID = 2**63 - 1

PathId = Annotated[int, Path(ge=1, le=MAX_ID, description="An object id (a positive 64-bit integer).")]
"""An id in a path: positive and within PostgreSQL's bigint; any other number is 404 (it cannot exist),
answered before any query; a non-number is 422."""
