"""The architecture's boundaries hold (``lint-imports``), and breaking one is caught.

The probes write a module into the source tree for the length of one ``lint-imports`` run and remove
it in ``finally``; nothing imports them.
"""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from pathlib import Path

import pytest

DOMAINS = ("hearth_storage", "hearth_identity", "hearth_connections", "hearth_posts", "hearth_notifications")
# top to bottom, as ARCHITECTURE.md draws them
LAYERS = [
    "hearth_api",
    "hearth_notifications",
    "hearth_posts",
    "hearth_connections",
    "hearth_identity",
    "hearth_storage",
    "hearth_platform",
]
LAYERS_CONTRACT = "layers: each package imports only the packages below it"


def _lint_imports(repo_root: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "COLUMNS": "300"}  # one contract per line, not wrapped at 80 columns
    return subprocess.run(
        [str(exe), "--no-cache"], cwd=repo_root, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _contracts(repo_root: Path) -> list[dict[str, str]]:
    parser = configparser.ConfigParser()
    parser.read(repo_root / ".importlinter")
    return [dict(parser[s]) for s in parser.sections() if s.startswith("importlinter:contract:")]


def _modules(value: str) -> set[str]:
    return {line.strip() for line in value.splitlines() if line.strip()}


def test_the_architecture_contracts_are_declared(repo_root: Path) -> None:
    contracts = _contracts(repo_root)
    # 1. the layers, in order: each imports only those below it
    layers = [c for c in contracts if c["type"] == "layers"]
    assert [[m.strip() for m in c["layers"].splitlines() if m.strip()] for c in layers] == [LAYERS]
    # 2. only each package's face is used from outside
    for domain in DOMAINS:
        assert any(
            c["type"] == "protected"
            and _modules(c["protected_modules"]) == {f"{domain}.*"}
            and _modules(c["allowed_importers"]) == {domain}
            for c in contracts
        ), f"{domain} has no face contract"


def test_the_boundaries_hold(repo_root: Path) -> None:
    result = _lint_imports(repo_root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout


def _probe(repo_root: Path, relative: str, source: str) -> subprocess.CompletedProcess[str]:
    path = repo_root / relative
    assert not path.exists() or path.read_text() == source, f"{path} exists and is not a probe"
    try:
        path.write_text(source)
        return _lint_imports(repo_root)
    finally:
        path.unlink(missing_ok=True)


def test_platform_core_importing_the_app_is_caught(repo_root: Path) -> None:
    result = _probe(
        repo_root,
        "packages/platform-core/src/hearth_platform/_contract_probe.py",
        '"""Temporary: platform-core must not import the app."""\n\nimport hearth_api  # noqa: F401\n',
    )
    assert result.returncode != 0, result.stdout
    assert f"{LAYERS_CONTRACT}" in result.stdout and "BROKEN" in result.stdout
    assert "hearth_platform._contract_probe -> hearth_api" in result.stdout


def test_a_lower_layer_importing_a_higher_one_is_caught(repo_root: Path) -> None:
    result = _probe(
        repo_root,
        "packages/storage/src/hearth_storage/_contract_probe.py",
        '"""Temporary: storage must not import posts, a layer above."""\n\nimport hearth_posts  # noqa: F401\n',
    )
    assert result.returncode != 0, result.stdout
    assert "hearth_storage._contract_probe -> hearth_posts" in result.stdout


def test_using_a_private_module_of_a_domain_package_is_caught(repo_root: Path) -> None:
    private = sorted(
        f"{path.parent.name}.{path.stem}"
        for domain in DOMAINS
        for path in (repo_root / "packages").glob(f"*/src/{domain}/*.py")
        if path.name != "__init__.py"
    )
    if not private:
        pytest.skip("no domain package has a private module yet")
    target = next((m for m in private if m.endswith(".models")), private[0])
    package = target.split(".")[0]
    result = _probe(
        repo_root,
        "apps/api/src/hearth_api/_contract_probe.py",
        f'"""Temporary: the app may use only package faces."""\n\nimport {target}  # noqa: F401\n',
    )
    assert result.returncode != 0, result.stdout
    short = package.removeprefix("hearth_")
    assert f"{short} is used from outside only through its face" in result.stdout
    assert "hearth_api._contract_probe" in result.stdout
