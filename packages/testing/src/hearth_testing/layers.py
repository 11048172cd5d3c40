"""The layer guard: a package's tests run on that package and the layers below it, never above.

A package's ``tests/conftest.py`` names the layer its tests belong to (``TESTED_LAYER =
"hearth_connections"``). When every test of a session lives under such conftests, the session fails at
its end if a module of a higher layer was imported (by a conftest, a test or the app they built); the
message names each offending module and where it was first imported from. Sessions that also run
undeclared tests (the cross-package ``tests/``, the whole suite) are not checked.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType

# lowest first (ARCHITECTURE.md, "Boundaries")
LAYERS: tuple[str, ...] = (
    "hearth_platform",
    "hearth_storage",
    "hearth_identity",
    "hearth_connections",
    "hearth_posts",
    "hearth_notifications",
    "hearth_api",
)
LAYER_ATTRIBUTE = "TESTED_LAYER"


def layers_above(layer: str) -> tuple[str, ...]:
    if layer not in LAYERS:
        raise ValueError(f"{LAYER_ATTRIBUTE} = {layer!r} is not a layer; the layers are {', '.join(LAYERS)}")
    return LAYERS[LAYERS.index(layer) + 1 :]


class FirstImports(importlib.abc.MetaPathFinder):
    """Notes where each layer's package was first imported from, for the guard's message. Finds nothing
    itself: the import goes on as if it were not there."""

    def __init__(self) -> None:
        self.first: dict[str, str] = {}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in LAYERS and fullname not in self.first:
            self.first[fullname] = _importer()
        return None


def _importer() -> str:
    """The innermost frame outside the import system, and the innermost in a test file when that differs."""
    frames = []
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith("<frozen") and "importlib" not in name and name != __file__:
            frames.append(f"{_short(name)}:{frame.f_lineno}")
        frame = frame.f_back  # type: ignore[assignment]
    if not frames:
        return "an unknown place"
    in_tests = next((f for f in frames if "/tests/" in f or "conftest.py" in f), None)
    return frames[0] if in_tests in (None, frames[0]) else f"{frames[0]}, reached from {in_tests}"


def _short(filename: str) -> str:
    """A path relative to the working directory when it is below it."""
    path = Path(filename)
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else filename


FIRST_IMPORTS = FirstImports()


def install() -> None:
    """Start noting first imports (as early as possible: before any conftest is loaded)."""
    if FIRST_IMPORTS not in sys.meta_path:
        sys.meta_path.insert(0, FIRST_IMPORTS)


def declared_layers(plugins: Iterable[object]) -> dict[Path, str]:
    """The folder of each loaded conftest that declares its tests' layer, and the layer."""
    found: dict[Path, str] = {}
    for plugin in plugins:
        layer = getattr(plugin, LAYER_ATTRIBUTE, None)
        file = getattr(plugin, "__file__", None)
        if isinstance(layer, str) and file and Path(file).name == "conftest.py":
            layers_above(layer)  # a typo is an error, not a silent pass
            found[Path(file).resolve().parent] = layer
    return found


def tested_layer(paths: Iterable[Path], declared: dict[Path, str]) -> str | None:
    """The highest layer the tests at ``paths`` belong to; None when one of them belongs to none."""
    highest: str | None = None
    for path in paths:
        resolved = path.resolve()
        layer = next((lay for folder, lay in declared.items() if resolved.is_relative_to(folder)), None)
        if layer is None:
            return None
        if highest is None or LAYERS.index(layer) > LAYERS.index(highest):
            highest = layer
    return highest


def violations(layer: str, modules: Iterable[str] | None = None) -> list[str]:
    """The packages above ``layer`` that are imported (top-level names, lowest layer first)."""
    above = layers_above(layer)
    imported = {name.partition(".")[0] for name in (sys.modules if modules is None else modules)}
    return [name for name in above if name in imported]


def message(layer: str, offending: list[str]) -> str:
    lines = [
        f"the tests of {layer} imported a higher layer: a package's tests build their app from that package "
        "and the layers below it (ARCHITECTURE.md, Boundaries, rule 5)."
    ]
    for name in offending:
        lines.append(f"  {name}: first imported at {FIRST_IMPORTS.first.get(name, 'a place not seen')}")
    return "\n".join(lines)
