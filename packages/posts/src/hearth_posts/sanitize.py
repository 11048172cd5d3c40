"""User HTML, made safe before it is stored: the contract's small subset, safe links, bare URLs linked."""

from __future__ import annotations

import html
import re
import threading
from typing import Any

import bleach
from bleach.linkifier import LinkifyFilter

from hearth_platform.text import BIDI_CONTROLS, has_visible_text, remove_bidi

ALLOWED_TAGS = frozenset({"a", "b", "strong", "i", "em", "code", "pre", "blockquote", "p", "br", "ul", "ol", "li"})
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
_TAG = re.compile(r"<[^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));")
# what the text may not hold raw, it may not hold as a character reference either
_HIDDEN_CODES = frozenset([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, *BIDI_CONTROLS])


def _link_attrs(attrs: dict[Any, Any], new: bool = False) -> dict[Any, Any] | None:
    href = attrs.get((None, "href"), "")
    scheme = href.split(":", 1)[0].lower() if ":" in href else ""
    if scheme not in ALLOWED_PROTOCOLS:
        return None  # drop the link (keep its text)
    attrs[(None, "rel")] = "nofollow noopener"
    return attrs


_local = threading.local()


def _cleaner() -> bleach.Cleaner:
    """This thread's cleaner: a bleach ``Cleaner`` is not thread-safe (a shared one can mix up concurrent
    requests' texts), and building one per call costs more than the cleaning."""
    cleaner: bleach.Cleaner | None = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = _local.cleaner = _new_cleaner()
    return cleaner


def _new_cleaner() -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes={"a": ["href", "rel"]},
        protocols=ALLOWED_PROTOCOLS,
        strip=False,
        strip_comments=True,
        filters=[lambda source: LinkifyFilter(source, callbacks=[_link_attrs], skip_tags={"pre", "code"})],
    )


def _hidden_ref(match: re.Match[str]) -> str:
    hex_digits, digits = match.groups()
    number = (hex_digits or digits).lstrip("0") or "0"
    if len(number) > 8:  # beyond Unicode: a browser shows U+FFFD
        return match[0]
    return "" if int(number, 16 if hex_digits else 10) in _HIDDEN_CODES else match[0]


def _drop_hidden_refs(cleaned: str) -> str:
    """bleach keeps character references as typed, and ``&#x202E;`` is an override once a browser reads it.
    Until nothing changes: taking one out must not join the text around it into another."""
    while True:
        shorter = _CHAR_REF.sub(_hidden_ref, cleaned)
        if shorter == cleaned:
            return cleaned
        cleaned = shorter


def sanitize_html(text: str) -> str:
    """Keep the allowed subset, escape everything else, link bare URLs with ``rel="nofollow noopener"``;
    no control or bidi-override characters, raw or as references."""
    # before cleaning, so the links are judged as they are stored; after, in case cleaning joined pieces
    text = _drop_hidden_refs(remove_bidi(_CONTROL.sub("", text))).replace("\r\n", "\n")
    cleaned: str = _drop_hidden_refs(_cleaner().clean(text))
    return cleaned.strip()


def has_text(sanitized: str) -> bool:
    """Whether sanitised HTML shows any text (``<p></p>``, ``&nbsp;`` or zero-width spaces do not)."""
    return has_visible_text(html.unescape(_TAG.sub("", sanitized)))
