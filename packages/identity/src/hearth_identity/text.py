"""Identity's text rules: usernames, emails, search prefixes (plain text comes from platform-core)."""

from __future__ import annotations

import re
import unicodedata

from hearth_platform.text import remove_controls

USERNAME_PATTERN = r"^[A-Za-z0-9_]{3,30}$"
_USERNAME = re.compile(USERNAME_PATTERN)
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def search_text(text: str) -> str:
    """A search prefix: no control characters, NFC, trimmed (markup is not special: it is never stored)."""
    return unicodedata.normalize("NFC", remove_controls(text)).strip()


def is_valid_username(value: str) -> bool:
    return _USERNAME.fullmatch(value) is not None


def is_valid_email(value: str) -> bool:
    return len(value) <= 254 and _EMAIL.fullmatch(value) is not None


def has_surrogates(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cs" for ch in value)


def like_prefix(value: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching strings that start with ``value``."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
