"""Issue 13: `hearth seed` with no options loads a small demo network into a fresh database and prints
a few users to log in as (their logins work over HTTP on a real `hearth serve`); on a database that holds
data it refuses at once, saying why, before migrating or generating anything, and changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hearth_api.cli import main as hearth
from hearth_api.seed import SIZES
from hearth_testing import API, fresh_database, run_sql, serve

LOGIN_LINE = re.compile(r"^\s+(\S+)\s+([\d,]+) connections\s+bearer token (\S+)$", re.MULTILINE)
PASSWORD_LINE = re.compile(r"with the password (\S+)")


@dataclass
class Seeded:
    url: str
    dir: Path
    out: str


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`hearth seed ...` as typed in a fresh checkout: its exit code, what it printed and what it complained."""
    capsys.readouterr()
    code = hearth(["seed", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _counts(url: str) -> tuple[int, int, int]:
    (row,) = run_sql(url, "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM posts), count(*) FROM comments")
    return row[0], row[1], row[2]


@pytest.fixture
def in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env from the checkout; the tokens file lands here
    monkeypatch.setenv("HEARTH_LOG_LEVEL", "WARNING")
    monkeypatch.delenv("HEARTH_TIMELINE_DEPTH", raising=False)
    return tmp_path


@pytest.fixture
def demo(
    database_url: str, in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Seeded]:
    """`hearth seed` (no options) into a new database, not even migrated."""
    with fresh_database(database_url, "hearth_demo") as url:
        monkeypatch.setenv("HEARTH_DATABASE_URL", url)
        code, out, err = _run(monkeypatch, capsys)
        assert code == 0, err
        yield Seeded(url, in_tmp, out)


def test_the_demo_is_small_and_its_printed_logins_work(demo: Seeded) -> None:
    size = SIZES["demo"]
    assert _counts(demo.url) == (size.users, size.posts, size.comments)
    password = PASSWORD_LINE.search(demo.out)
    logins = LOGIN_LINE.findall(demo.out)
    assert password and 3 <= len(logins) <= 5, demo.out
    server = serve(demo.url)
    try:
        with server.client() as http:
            for username, connections, token in logins:
                r = http.post(f"{API}/auth/login", json={"username": username, "password": password[1]})
                assert r.status_code == 200, (username, r.text)
                me = http.get(f"{API}/users/me", headers={"Authorization": f"Bearer {token}"})
                assert me.status_code == 200, me.text
                assert me.json()["username"] == username
                assert int(connections.replace(",", "")) > 0
            # the first one printed has the most to look at: a full first page of their feed
            best = {"Authorization": f"Bearer {logins[0][2]}"}
            feed = http.get(f"{API}/feed", params={"limit": 20}, headers=best)
            assert feed.status_code == 200, feed.text
            assert len(feed.json()["items"]) == 20
    finally:
        server.close()


@pytest.mark.parametrize("argv", [[], ["--size", "bench"]], ids=["demo", "bench size"])
def test_a_database_with_data_is_refused_before_anything_is_generated(
    demo: Seeded, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    before = _counts(demo.url)
    tokens = (demo.dir / ".hearth" / "seed-tokens.json").read_text()
    code, out, err = _run(monkeypatch, capsys, *argv)
    assert code != 0
    size = SIZES["demo"]
    assert f"already holds {size.users:,} users and {size.posts:,} posts" in err
    assert "nothing was changed" in err and "--reset" in err
    assert out == ""  # no header, no migration, no phase: it stopped before all of them
    assert _counts(demo.url) == before
    assert (demo.dir / ".hearth" / "seed-tokens.json").read_text() == tokens
