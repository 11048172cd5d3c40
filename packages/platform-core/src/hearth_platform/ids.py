"""Ids: positive 64-bit integers (PostgreSQL ``bigint``), one type for paths, queries and bodies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

MAX_ID = 2**63 - 1

Id = Annotated[int, Field(ge=1, le=MAX_ID, strict=True)]
"""An id in a JSON body: a JSON integer within bigint (a string or a float is refused)."""

PathId = Annotated[int, Path(ge=1, le=MAX_ID, description="An object id (a positive 64-bit integer).")]
"""An id in a path: any number outside bigint cannot exist, and is refused before any query."""


def query_id(description: str) -> object:
    """The ``Query`` of an optional id parameter (``Annotated[int | None, query_id("...")]``)."""
    return Query(ge=1, le=MAX_ID, description=description)


def valid_id(value: int) -> bool:
    """Ids are positive bigints; anything else names nothing (and must never reach SQL as a parameter)."""
    return 1 <= value <= MAX_ID


def valid_ids(values: Iterable[int]) -> list[int]:
    """The valid ids among ``values``, unique and sorted."""
    return sorted({v for v in values if valid_id(v)})
