"""Issue 13: email addresses are judged by email-validator (RFC 5321/6531, internationalised ones included)
and stored normalised, so one mailbox is one account however it is spelled."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hearth_testing import API, PASSWORD


def _register(client: TestClient, email: str) -> tuple[str, Any]:
    username = f"em{uuid.uuid4().hex[:12]}"
    payload = {"username": username, "email": email, "password": PASSWORD, "display_name": "Mail Person"}
    return username, client.post(f"{API}/auth/register", json=payload)


@pytest.mark.parametrize(
    ("local", "domain", "stored_domain"),
    [
        ("jörg", "example.com", "example.com"),  # a non-ASCII local part
        ("user", "bücher.de", "bücher.de"),  # an internationalised domain
        ("JÖRG", "Bücher.DE", "bücher.de"),  # case does not make another mailbox
        ("user", "xn--bcher-kva.de", "bücher.de"),  # the same domain written in ASCII (IDNA)
    ],
)
def test_an_internationalised_address_registers_and_logs_in_normalised(
    client: TestClient, local: str, domain: str, stored_domain: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    sent, stored = f"{local}{tag}@{domain}", f"{local.lower()}{tag}@{stored_domain}"
    username, r = _register(client, sent)
    assert r.status_code == 201, r.text
    assert r.json()["user"]["email"] == stored

    login = client.post(f"{API}/auth/login", json={"username": username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["user"]["email"] == stored
    me = client.get(f"{API}/users/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
    assert me.json()["email"] == stored


def test_one_mailbox_is_one_account_however_it_is_written(
    client: TestClient, assert_problem: Callable[..., Any]
) -> None:
    tag = uuid.uuid4().hex[:8]
    _, first = _register(client, f"user{tag}@bücher.de")
    assert first.status_code == 201, first.text
    for spelling in (f"USER{tag}@BÜCHER.DE", f"user{tag}@xn--bcher-kva.de", f"User{tag}@Bu\u0308cher.de"):
        _, again = _register(client, spelling)
        assert_problem(again, 409, "email_taken")


@pytest.mark.parametrize(
    "email",
    [
        "",
        "no-at-sign",
        "two@@example.com",
        "a b@example.com",
        "dot.@example.com",
        "a..b@example.com",
        '"quoted"@example.com',
        "user@[192.0.2.1]",
        "user@localhost",
        "user@example.test",
        "user@nodot",
        " user@example.com",
        "user@example.com\u200b",
        "user\x00@example.com",
    ],
    ids=ascii,
)
def test_an_address_that_cannot_receive_mail_is_refused(
    client: TestClient, email: str, assert_problem: Callable[..., Any]
) -> None:
    _, r = _register(client, email)
    body = assert_problem(r, 422, "validation_error")
    assert [e["loc"] for e in body["errors"]] == [["body", "email"]]
