"""Identity's text rules: usernames, emails (email-validator), search prefixes (plain text comes from
platform-core)."""

from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

from hearth_platform.text import any_case, char_class, remove_controls

USERNAME_PATTERN = r"^[A-Za-z0-9_]{3,30}$"
_USERNAME = re.compile(USERNAME_PATTERN)
EMAIL_MAX = 254
_SPECIAL_USE = ("arpa", "invalid", "local", "localhost", "onion", "test")  # email-validator's list
# Characters email-validator refuses anywhere: separators, controls, format and private-use characters.
_UNSAFE = char_class(
    (
        (0x00, 0x20), (0x7F, 0xA0), (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD),
        (0x70F, 0x70F), (0x890, 0x891), (0x8E2, 0x8E2), (0x1680, 0x1680), (0x180E, 0x180E),
        (0x2000, 0x200F), (0x2028, 0x202F), (0x205F, 0x206F), (0x3000, 0x3000), (0xE000, 0xF8FF),
        (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x1343F),
        (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F), (0xF0000, 0x10FFFF),
    )
)  # fmt: skip
_MARKS = char_class(((0x300, 0x36F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F)))
# What email-validator refuses beyond the JSON Schema format (idn-email): one of those characters, a
# combining mark first, a quoted local part, a domain that is an IP address, has no dot, a label past 63
# characters, a special-use name, or a last label that neither ends in a letter nor has a non-ASCII one.
EMAIL_PATTERN = (
    rf'^(?![\s\S]*[{_UNSAFE}])(?![{_MARKS}])[^"@][^@]*@'
    rf"(?![\s\S]*\.(?:{'|'.join(any_case(name) for name in _SPECIAL_USE)})$)"
    r"(?:[^.@\[][^.@]{0,62}\.)+(?=[^.@]{1,63}$)(?:[^.@]*[A-Za-z]|[^.@]*[^\x00-\x7f][^.@]*)$"
)


def search_text(text: str) -> str:
    """A search prefix: no control characters, NFC, trimmed (markup is not special: it is never stored)."""
    return unicodedata.normalize("NFC", remove_controls(text)).strip()


def is_valid_username(value: str) -> bool:
    return _USERNAME.fullmatch(value) is not None


def normalised_email(value: str) -> str | None:
    """The address as stored (email-validator's normal form, lower-case), or ``None`` when it is not one
    that can receive mail. Deliverability is not looked up (no DNS)."""
    try:
        email = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return None
    return email.normalized.lower()


def has_surrogates(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cs" for ch in value)


def like_prefix(value: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching strings that start with ``value``."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
