"""The project's own guide stays true (issue 13): the ```sh blocks of ``docs/guide.md`` run, in order, in one
bash with ``set -euo pipefail`` against a real ``hearth serve`` with the default limits, and so does the
README's first request; ``docs/api.md`` lists exactly the routes the app serves.

The guide names its server once, ``H=http://127.0.0.1:8000`` in its first block; the test points that line
(and the README's URLs) at its own server on a free port.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hearth_platform.settings import Settings
from hearth_testing import Serve, migrated_database, scratch_dir, serve

DOCS_BASE = "http://127.0.0.1:8000"
BASE_LINE = re.compile(rf"^H={re.escape(DOCS_BASE)}$", re.M)
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.S | re.M)
ROUTE_IN_DOC = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE) `(/[^`?]*)")  # "POST `/posts`"; planned ones read "`POST /x`"
UNPREFIXED = ("/health/live", "/health/ready", "/metrics")  # operations: outside /api/v1, not in the schema
RUN_TIMEOUT_S = 300  # a hang guard for the whole walk-through, not a timing assertion
# the guide shows the limits a user meets: register 5/hour is its budget of users, login 10/minute its 429
LIMITS = ("login", "register", "write", "default", "login_failures")


def _sh_blocks(path: Path) -> list[str]:
    return SH_BLOCK.findall(path.read_text())


def _needs_tools() -> None:
    for tool in ("bash", "curl", "jq"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed: the guide's commands need it (e.g. apt-get install {tool})")


def _run_blocks(doc: str, blocks: list[str], workdir: Path) -> None:
    """Run ``blocks`` in order in one bash that stops at the first failing command; fail naming the block,
    its commands and what it printed."""
    script = "\n".join(f"echo '--- sh block {n}'\n{block}" for n, block in enumerate(blocks, 1))
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        cwd=workdir,
        env={**os.environ, "TMPDIR": str(workdir)},  # the guide's mktemp -d lands in the test's scratch dir
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    if done.returncode == 0:
        return
    started = re.findall(r"^--- sh block (\d+)$", done.stdout, re.M)
    n = int(started[-1]) if started else 1
    printed = done.stdout[done.stdout.rfind(f"--- sh block {n}\n") :].partition("\n")[2]
    pytest.fail(
        f"{doc}: sh block {n} of {len(blocks)} exits {done.returncode}:\n{blocks[n - 1]}\n"
        f"which printed:\n{printed[-4000:]}",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def server(repo_root: Path) -> Iterator[Serve]:
    """``hearth serve`` on a database of its own (the guide's usernames are free) with the default limits."""
    _needs_tools()
    defaults = Settings.model_fields
    limits = {f"HEARTH_RATE_LIMIT_{name.upper()}": str(defaults[f"rate_limit_{name}"].default) for name in LIMITS}
    with migrated_database(repo_root) as url:
        running = serve(url, env=limits)
        try:
            yield running
        finally:
            running.close()


@pytest.fixture
def workdir() -> Iterator[Path]:
    path = scratch_dir("hearth-guide-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_the_guide_runs_from_register_to_logout(repo_root: Path, server: Serve, workdir: Path) -> None:
    blocks = _sh_blocks(repo_root / "docs" / "guide.md")
    assert len(blocks) > 10, "docs/guide.md should hold its walk-through in ```sh blocks"
    assert BASE_LINE.search(blocks[0]), f"the guide's first sh block should name the server: H={DOCS_BASE}"
    blocks[0] = BASE_LINE.sub(f"H={server.base}", blocks[0])
    _run_blocks("docs/guide.md", blocks, workdir)


def test_the_readme_first_request_runs(repo_root: Path, server: Serve, workdir: Path) -> None:
    blocks = [b for b in _sh_blocks(repo_root / "README.md") if "/api/v1/" in b]
    assert blocks, "README.md should show a first request with curl"
    _run_blocks("README.md", [b.replace(DOCS_BASE, server.base) for b in blocks], workdir)


def test_the_docs_name_one_server_and_no_file_outside_the_clone(repo_root: Path) -> None:
    guide = repo_root / "docs" / "guide.md"
    later = "\n".join(_sh_blocks(guide)[1:])
    assert DOCS_BASE not in later, f"after the first block, the guide reaches the server as $H, not {DOCS_BASE}"
    readme = (repo_root / "README.md").read_text()
    assert "docs/guide.md" in readme and "docs/api.md" in readme
    for doc in (repo_root / "README.md", guide, repo_root / "docs" / "api.md"):
        assert "../shared/" not in doc.read_text(), f"{doc.name} points outside the clone"


def test_api_md_lists_exactly_the_routes_served(repo_root: Path) -> None:
    """Every operation of the committed OpenAPI schema (the snapshot test keeps it the app's) is in
    docs/api.md, and api.md lists no other route as available (planned ones are written differently)."""
    schema = json.loads((repo_root / "openapi.json").read_text())

    def shape(path: str) -> str:  # /api/v1/posts/{post_id} and /posts/{id} are the same route
        return re.sub(r"\{[^}]*\}", "{}", path.removeprefix("/api/v1"))

    served = {(method.upper(), shape(path)) for path, ops in schema["paths"].items() for method in ops}
    text = (repo_root / "docs" / "api.md").read_text()
    documented = {(m, shape(p)) for m, p in ROUTE_IN_DOC.findall(text) if p not in UNPREFIXED}
    assert sorted(served - documented) == [], "routes the app serves that docs/api.md does not list"
    assert sorted(documented - served) == [], "routes docs/api.md lists that the app does not serve"
