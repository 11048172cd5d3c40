"""Bearer tokens for seeded users: deterministic, stored hashed as identity stores them."""

from __future__ import annotations

import base64
import hashlib
import random
from typing import Any


def seeded_token(seed: int, user_id: int) -> str:
    """A deterministic token shaped like ``secrets.token_urlsafe(32)`` (43 url-safe characters)."""
    raw = hashlib.sha256(f"hearth-bench-token:{seed}:{user_id}".encode()).digest()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()  # as hearth_identity stores it


def pick_token_users(rng: random.Random, n: int, viewers: dict[int, int], count: int) -> list[dict[str, Any]]:
    """``count`` random ordinary users, then every growth viewer: [{"id": ...}]."""
    special = sorted(viewers.values())
    ordinary = [u for u in range(1, n + 1) if u not in set(special)]
    picked = sorted(rng.sample(ordinary, min(count, len(ordinary))))
    return [{"id": u} for u in [*picked, *special]]
