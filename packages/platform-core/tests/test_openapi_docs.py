"""How every package's routes are documented, from the handlers themselves (``hearth_platform.routing``):
the ``operationId`` is the handler's name, the summary and the description come from its docstring, the
tags are described by the packages that bring them, and a page shows its item's example."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from hearth_platform.app import Package, build_app
from hearth_platform.examples import example, examples
from hearth_platform.pagination import NewestFirstPage, Page
from hearth_platform.routing import Router
from hearth_platform.settings import Settings


class Thing(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples({"id": 1, "name": "kettle"}, {"id": 2, "name": "pot"}))

    id: int
    name: str


class Plain(BaseModel):
    id: int


router = Router(tags=["things"])


@router.get("/things")
def list_things() -> Page[Thing]:
    """List the things

    Every thing, oldest first.

    In pages.
    """
    raise NotImplementedError


@router.get("/things/recent")
async def list_recent_things() -> NewestFirstPage[Thing]:
    """Recent things, newest first."""
    raise NotImplementedError


@router.get("/things/{thing_id}", summary="Get one thing", description="By its id.")
def get_thing(thing_id: int) -> Thing:
    """Ignored: the route says it."""
    raise NotImplementedError


@router.get("/plain")
def list_plain() -> Page[Plain]:
    """Plain things

    Pages of a model that states no example.\f
    Not shown: FastAPI's rule, after a form feed.
    """
    raise NotImplementedError


def _schema(settings: Settings, *packages: Package) -> dict[str, Any]:
    return build_app(settings, packages, configure_logs=False).openapi()


@pytest.fixture(scope="module")
def schema(base_settings: Settings) -> dict[str, Any]:
    things = Package(name="things", routers=(router,), tags={"things": "Things, for the tests."})
    return _schema(base_settings, things)


def _op(schema: dict[str, Any], path: str) -> dict[str, Any]:
    return schema["paths"][f"/api/v1{path}"]["get"]  # type: ignore[no-any-return]


def test_the_operation_id_is_the_handlers_name(schema: dict[str, Any]) -> None:
    ids = {path: item["get"]["operationId"] for path, item in schema["paths"].items()}
    assert ids == {
        "/api/v1/things": "list_things",
        "/api/v1/things/recent": "list_recent_things",
        "/api/v1/things/{thing_id}": "get_thing",
        "/api/v1/plain": "list_plain",
    }


def test_the_docstring_gives_the_summary_and_the_description(schema: dict[str, Any]) -> None:
    things = _op(schema, "/things")
    assert (things["summary"], things["description"]) == ("List the things", "Every thing, oldest first.\n\nIn pages.")
    recent = _op(schema, "/things/recent")  # one paragraph: FastAPI's own fallback, the whole docstring
    assert (recent["summary"], recent["description"]) == ("Recent things, newest first", "Recent things, newest first.")
    one = _op(schema, "/things/{thing_id}")  # what a route says itself wins
    assert (one["summary"], one["description"]) == ("Get one thing", "By its id.")
    assert _op(schema, "/plain")["description"] == "Pages of a model that states no example."


def test_tags_are_described_by_their_packages(base_settings: Settings, schema: dict[str, Any]) -> None:
    assert schema["tags"] == [{"name": "things", "description": "Things, for the tests."}]
    a = Package(name="a", tags={"things": "One."})
    b = Package(name="b", tags={"things": "Another."})
    with pytest.raises(ValueError, match="'things' is described by both a and b"):
        _schema(base_settings, a, b)


def test_a_page_shows_a_page_of_its_items_example(schema: dict[str, Any]) -> None:
    schemas = schema["components"]["schemas"]
    assert schemas["Thing"]["examples"] == [{"id": 1, "name": "kettle"}, {"id": 2, "name": "pot"}]
    (page,) = schemas["Page_Thing_"]["examples"]
    assert page["items"] == [{"id": 1, "name": "kettle"}] and isinstance(page["next_cursor"], str)
    (newest,) = schemas["NewestFirstPage_Thing_"]["examples"]
    assert newest["items"] == page["items"] and isinstance(newest["newer_cursor"], str)
    assert "examples" not in schemas["Page_Plain_"]  # nothing to show: the documentation test says so


def test_example_copies_a_models_example() -> None:
    first = example(Thing)
    first["name"] = "changed"
    assert example(Thing) == {"id": 1, "name": "kettle"}
    assert example(Thing, 1) == {"id": 2, "name": "pot"}
    with pytest.raises(LookupError):
        example(Plain)
    with pytest.raises(LookupError):
        example(Thing, 2)
