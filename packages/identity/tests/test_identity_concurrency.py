"""Concurrent registrations: the unique constraints decide, and nobody gets a 500."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

REGISTER = "/api/v1/auth/register"


def _race(client: TestClient, bodies: list[dict[str, str]]) -> list[Any]:
    barrier = threading.Barrier(len(bodies))

    def register(body: dict[str, str]) -> Any:
        barrier.wait()
        return client.post(REGISTER, json=body)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(register, bodies))


def test_ten_registrations_of_one_username_make_one_account(client: TestClient) -> None:
    username = "race" + uuid.uuid4().hex[:10]
    # the same name in different cases: the stored lower-case value is what collides
    variants = [username, username.upper(), username.title()]
    bodies = [
        {
            "username": variants[i % 3],
            "email": f"{username}.{i}@example.com",
            "password": "correct horse battery",
            "display_name": f"Racer {i}",
        }
        for i in range(10)
    ]
    responses = _race(client, bodies)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: 9}, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"username_taken"}
    winner = next(r for r in responses if r.status_code == 201).json()
    assert winner["user"]["username"] == username


def test_ten_registrations_of_one_email_make_one_account(client: TestClient) -> None:
    email = f"race{uuid.uuid4().hex[:10]}@example.com"
    bodies = [
        {
            "username": f"r{uuid.uuid4().hex[:12]}",
            "email": email if i % 2 else email.upper(),
            "password": "correct horse battery",
            "display_name": f"Racer {i}",
        }
        for i in range(10)
    ]
    responses = _race(client, bodies)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: 9}, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"email_taken"}
