"""Ids: positive 64-bit integers (PostgreSQL ``bigint``), one type for paths, queries and bodies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import Path, Query
from pydantic import BeforeValidator, Field, WithJsonSchema

MAX_ID = 2**63 - 1


def _whole(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


WHOLE = BeforeValidator(_whole)
"""For a strict ``int`` of a JSON body, after its ``Field`` (``Annotated[int, Field(strict=True, ...), WHOLE]``,
so that the JSON schema keeps the bounds): an integer as JSON Schema's ``integer`` reads it, ``5`` or
``5.0`` (a number with no fraction); ``5.5``, ``"5"`` and ``true`` stay refused."""

Id = Annotated[int, Field(ge=1, le=MAX_ID, strict=True), WHOLE]
"""An id in a JSON body: a JSON integer within bigint."""

IdRef = Annotated[int, Field(strict=True), WHOLE, WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_ID})]
"""An id in a JSON body that names one object to find (``{"user_id": 5}``): declared as an id, and one that
cannot exist is simply not found (404), as in a path."""

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
