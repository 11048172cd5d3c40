"""Examples in the OpenAPI document: every request body and every answer shows one.

A model states its examples once, in its ``model_config``
(``ConfigDict(json_schema_extra=examples({...}))``); a model made of others builds its example from
theirs (``example(UserSummary)``), so one user, post or media reads the same everywhere. A page of
items (``Page[Post]``) shows a page of its item's example.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel


def examples(*values: Any) -> dict[str, Any]:
    """The ``json_schema_extra`` of a model with these examples (the first is the one others reuse)."""
    return {"examples": list(values)}


def example(model: Any, index: int = 0) -> Any:
    """A copy of an example ``model`` states (the first by default); ``LookupError`` when it has none."""
    extra = model.model_config.get("json_schema_extra") if _is_model(model) else None
    values = extra.get("examples") if isinstance(extra, dict) else None
    if not isinstance(values, list) or len(values) <= index:
        raise LookupError(f"{getattr(model, '__name__', model)!r} states no example {index}")
    return copy.deepcopy(values[index])


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)
