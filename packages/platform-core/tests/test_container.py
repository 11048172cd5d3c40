"""The container builds services from their constructors' types, once per resolution, with given values."""

from __future__ import annotations

import pytest

from hearth_platform.container import Container, MissingDependency


class Settingsish:
    pass


class Leaf:
    def __init__(self, session: str, settings: Settingsish) -> None:
        self.session = session
        self.settings = settings


class Middle:
    def __init__(self, leaf: Leaf) -> None:
        self.leaf = leaf


class Top:
    def __init__(self, middle: Middle, leaf: Leaf, events: object) -> None:
        self.middle = middle
        self.leaf = leaf
        self.events = events


def test_builds_the_graph_with_given_values_and_instances() -> None:
    c = Container()
    settings = Settingsish()
    c.register(Settingsish, instance=settings)
    for kind in (Leaf, Middle, Top):
        c.register(kind)
    top = c.resolve(Top, session="s1", events="e1")
    assert top.leaf.session == "s1" and top.events == "e1" and top.leaf.settings is settings
    assert top.middle.leaf is top.leaf  # one instance of each service per resolution
    again = c.resolve(Top, session="s2", events="e2")
    assert again.leaf is not top.leaf and again.leaf.session == "s2"  # a new one per unit of work


def test_an_interface_resolves_to_its_registered_implementation() -> None:
    class Port:
        pass

    class Impl(Port):
        def __init__(self, session: str) -> None:
            self.session = session

    c = Container()
    c.register(Port, Impl)
    built = c.resolve(Port, session="s")
    assert isinstance(built, Impl) and built.session == "s"


def test_an_unregistered_need_is_named() -> None:
    c = Container()
    c.register(Middle)
    with pytest.raises(MissingDependency, match="Leaf"):
        c.resolve(Middle)
