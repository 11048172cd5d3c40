"""Issue 12, item 9: text as API.md (Identity, Posts) says. Bidi overrides, embeddings and isolates never
reach a reader of a post or comment body, typed raw or as character references; a display name of
invisible characters only is refused, at registration and on a change, and changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hearth_testing import API, Api, AppUser

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
SPOOF = [
    ("raw override", "invoice\u202egnp.exe", "invoicegnp.exe"),
    ("every raw bidi control", f"a{BIDI}b", "ab"),
    ("hex reference", "invoice&#x202E;gnp.exe", "invoicegnp.exe"),
    ("decimal reference", "invoice&#8238;gnp.exe", "invoicegnp.exe"),
    ("padded reference", "invoice&#X0202e;gnp.exe", "invoicegnp.exe"),
    ("isolate references", "x&#x2066;y&#x2069;z", "xyz"),
    ("in a link", '<a href="https://e.example/&#x202E;p">l\u202e</a>', None),
]


def _no_bidi(text: str) -> None:
    assert not any(ch in BIDI for ch in text), ascii(text)
    lowered = text.lower()
    for ref in ("&#x202", "&#x0202", "&#8234", "&#8235", "&#8236", "&#8237", "&#8238", "&#x206", "&#823"):
        assert ref not in lowered, text


@pytest.mark.parametrize(("case", "raw", "stored"), SPOOF, ids=[c[0] for c in SPOOF])
def test_no_bidi_override_reaches_a_reader_of_a_post_or_comment(
    client: TestClient, case: str, raw: str, stored: str | None
) -> None:
    api = Api(client)
    author, reader = api.user(), api.user()
    api.connect(author, reader)
    created = api.call("POST", "/posts", author, 201, json={"body": raw, "audience": {"type": "connections"}})
    edited = api.call("PATCH", f"/posts/{created['id']}", author, 200, json={"body": raw + " again"})
    comment = api.call("POST", f"/posts/{created['id']}/comments", reader, 201, json={"body": raw})
    read = api.call("GET", f"/posts/{created['id']}", reader, 200)
    comments = api.call("GET", f"/posts/{created['id']}/comments", reader, 200)["items"]
    feed = [p for p in api.call("GET", "/feed", reader, 200)["items"] if p["id"] == created["id"]]
    bodies = [created["body"], edited["body"], comment["body"], read["body"], comments[0]["body"], feed[0]["body"]]
    for body in bodies:
        _no_bidi(body)
    if stored is not None:  # the text itself stays
        assert created["body"] == comment["body"] == comments[0]["body"] == stored
        assert edited["body"] == read["body"] == feed[0]["body"] == f"{stored} again"


@pytest.mark.parametrize("body", ["\u202e", "&#x202E;&#x2066;", "\u200b\u200c\u200d", "<p>&#x200B;</p>"])
def test_a_body_of_nothing_visible_is_refused(
    client: TestClient, body: str, assert_problem: Callable[..., Any]
) -> None:
    api = Api(client)
    author = api.user()
    r = client.post(f"{API}/posts", json={"body": body, "audience": {"type": "connections"}}, headers=author.headers)
    assert_problem(r, 422, "validation_error")
    post = api.post(author)
    r = client.post(f"{API}/posts/{post}/comments", json={"body": body}, headers=author.headers)
    assert_problem(r, 422, "validation_error")
    assert api.call("GET", f"/posts/{post}/comments", author, 200)["items"] == []


INVISIBLE_NAMES = [
    "\u200b",  # zero-width space
    "\u200b\u200c\u200d",  # zero-width space, non-joiner, joiner
    "\u2060\u2061\u2062\u2063\u2064",  # word joiner, invisible operators
    "\u200e\u200f",  # direction marks
    "\u00ad\u034f\u180e",  # soft hyphen, combining grapheme joiner, Mongolian vowel separator
    "\ufe0f\U000e0041",  # a variation selector, a tag character
    "\u3164\uffa0\u115f",  # Hangul fillers
    "\u2800",  # braille blank
    " \u00a0\u3000 ",  # spaces of every width
    "\u202e\u200b\ufeff",  # an override (removed) and zero-width characters
    "<b>\u200b</b>",  # markup around nothing
]


def _register(client: TestClient, display_name: str) -> Any:
    username = f"zw{uuid.uuid4().hex[:12]}"
    payload = {"username": username, "email": f"{username}@example.com", "password": "correct horse battery"}
    return client.post(f"{API}/auth/register", json={**payload, "display_name": display_name})


@pytest.mark.parametrize("name", INVISIBLE_NAMES, ids=[ascii(n) for n in INVISIBLE_NAMES])
def test_a_display_name_of_invisible_characters_only_is_refused(
    client: TestClient, name: str, assert_problem: Callable[..., Any]
) -> None:
    body = assert_problem(_register(client, name), 422, "validation_error")
    assert [e["loc"] for e in body["errors"]] == [["body", "display_name"]]

    me: AppUser = Api(client).user(display_name="Visible Name")
    r = client.patch(f"{API}/users/me", json={"display_name": name}, headers=me.headers)
    body = assert_problem(r, 422, "validation_error")
    assert [e["loc"] for e in body["errors"]] == [["body", "display_name"]]
    assert client.get(f"{API}/users/me", headers=me.headers).json()["display_name"] == "Visible Name"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Zoë", "Zoë"),
        ("\u202eevil", "evil"),  # the override goes, the name stays
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # a joiner between visible characters is kept
        ("\u200bA", "\u200bA"),
        ("محمد", "محمد"),
    ],
)
def test_a_display_name_with_something_visible_is_taken(client: TestClient, name: str, shown: str) -> None:
    r = _register(client, name)
    assert r.status_code == 201, r.text
    assert r.json()["user"]["display_name"] == shown
