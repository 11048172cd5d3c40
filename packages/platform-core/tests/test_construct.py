"""``construct`` builds what ``model_construct`` builds, whatever the model."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from hearth_platform.construct import construct


class Inner(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: int
    name: str


class Outer(BaseModel):
    id: int
    inner: Inner
    tags: list[str]
    at: datetime
    note: str | None = None


class Aliased(BaseModel):
    id: int = Field(alias="ID")


class Extra(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int


def test_every_field_given_is_what_model_construct_builds() -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    inner = construct(Inner, id=1, name="a")
    fast = construct(Outer, id=2, inner=inner, tags=["x"], at=at, note=None)
    slow = Outer.model_construct(id=2, inner=Inner.model_construct(id=1, name="a"), tags=["x"], at=at, note=None)
    assert fast == slow
    assert fast.model_dump_json() == slow.model_dump_json()
    assert fast.model_fields_set == slow.model_fields_set == {"id", "inner", "tags", "at", "note"}
    assert fast.__pydantic_extra__ is None and fast.__pydantic_private__ is None
    assert hash(inner) == hash(Inner(id=1, name="a"))  # frozen models stay hashable and equal


def test_a_default_an_alias_or_extra_fields_go_to_model_construct() -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    defaulted = construct(Outer, id=2, inner=construct(Inner, id=1, name="a"), tags=[], at=at)
    assert defaulted.note is None and defaulted.model_fields_set == {"id", "inner", "tags", "at"}
    assert construct(Aliased, ID=3).id == 3
    extra = construct(Extra, id=4, more=5)
    assert extra.model_dump() == {"id": 4, "more": 5}
