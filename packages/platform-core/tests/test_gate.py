"""The gate's pieces: which Host headers an allowlist takes, redirects made relative, bearer headers."""

from __future__ import annotations

import pytest

from hearth_platform.gate import HostAllowlist, relative_location
from hearth_platform.security import bearer_token


@pytest.mark.parametrize(
    ("header", "allowed"),
    [
        (b"hearth.example", True),
        (b"HEARTH.example:8443", True),
        (b"example.org", True),
        (b"media.example.org", True),
        (b"[::1]:8000", True),
        (b"evil.example", False),
        (b"hearth.example.evil.test", False),
        (b"notexample.org", False),
        (None, False),
    ],
)
def test_the_allowlist_takes_names_domains_and_ports(header: bytes | None, allowed: bool) -> None:
    hosts = HostAllowlist(["hearth.example", ".example.org", "::1"])
    assert hosts.allows(header) is allowed


def test_a_star_allows_any_host() -> None:
    assert HostAllowlist(["*"]).allows(b"anything.at.all")


@pytest.mark.parametrize(
    ("location", "host", "out"),
    [
        (b"http://evil.example/api/v1/feed", b"evil.example", b"/api/v1/feed"),
        (b"https://Evil.Example:8443/api/v1/feed?limit=2", b"evil.example:8443", b"/api/v1/feed?limit=2"),
        (b"http://evil.example", b"evil.example", b"/"),
        (b"/api/v1/feed", b"evil.example", b"/api/v1/feed"),
        (b"https://s3.example.com/bucket/key", b"hearth.example", b"https://s3.example.com/bucket/key"),
    ],
)
def test_only_redirects_built_from_the_host_are_made_relative(location: bytes, host: bytes, out: bytes) -> None:
    assert relative_location(location, host) == out


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (b"Bearer abc", "abc"),
        (b"bearer  abc ", "abc"),
        (b"Bearer", None),
        (b"Bearer ", None),
        (b"Basic dXNlcjpwYXNz", None),
        (b"Bearer " + b"x" * 257, None),
        (b"Bearer \xff\xfe", None),
        (None, None),
    ],
)
def test_a_bearer_header_is_well_formed_or_nothing(header: bytes | None, token: str | None) -> None:
    assert bearer_token(header) == token
