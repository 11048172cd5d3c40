"""Passwords (argon2id) and bearer tokens (random, stored only as their SHA-256)."""

from __future__ import annotations

import hashlib
import re
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile)

# token_urlsafe(32) gives 43 characters; anything that cannot be one of ours never reaches the database.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    """A hash nobody's password matches, made once, with the current parameters."""
    return _hasher.hash(secrets.token_urlsafe(32))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password``; with no hash (unknown user) spend the same time on a dummy hash."""
    try:
        # surrogatepass: a lone surrogate (never in a registered password) must not raise mid-check
        secret = password.encode("utf-8", "surrogatepass")
        return _hasher.verify(password_hash or _dummy_hash(), secret) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> bytes | None:
    """The stored form of ``token``; ``None`` when it is not shaped like a token we issue."""
    if _TOKEN_SHAPE.fullmatch(token) is None:
        return None
    return hashlib.sha256(token.encode()).digest()
