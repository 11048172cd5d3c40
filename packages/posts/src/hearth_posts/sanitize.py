"""User HTML, made safe before it is stored: the contract's small subset, safe links, bare URLs linked."""

from __future__ import annotations

import html
import re
import threading
from html.entities import html5
from typing import Any

import bleach
from bleach.linkifier import LinkifyFilter

from hearth_platform.text import (
    BIDI_CONTROLS,
    INVISIBLE,
    INVISIBLE_RANGES,
    any_case,
    has_visible_text,
    remove_bidi,
    visible_pattern,
)

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


# -- "a body shows something", as the pattern the OpenAPI schema states and the server applies ----------


def _number(lo: int, hi: int, digits: str) -> str:
    """A regex for the numbers ``lo``..``hi`` written with ``digits`` (no leading zeros; hex in any case)."""

    def span(a: str, b: str) -> str:
        chars = digits[digits.index(a) : digits.index(b) + 1]
        both = "".join(sorted(set(chars + chars.upper())))
        return both if len(both) == 1 else f"[{both}]"

    def same_length(a: str, b: str) -> str:
        if len(a) == 1:
            return span(a, b)
        if a[0] == b[0]:
            return f"{span(a[0], a[0])}(?:{same_length(a[1:], b[1:])})"
        first, last = digits[0], digits[-1]
        parts = [f"{span(a[0], a[0])}(?:{same_length(a[1:], last * (len(a) - 1))})"]
        if digits.index(b[0]) - digits.index(a[0]) > 1:
            lower, upper = digits[digits.index(a[0]) + 1], digits[digits.index(b[0]) - 1]
            parts.append(f"{span(lower, upper)}{span(first, last)}{{{len(a) - 1}}}")
        parts.append(f"{span(b[0], b[0])}(?:{same_length(first * (len(b) - 1), b[1:])})")
        return "|".join(parts)

    def text(n: int) -> str:
        out = ""
        while True:
            n, d = divmod(n, len(digits))
            out = digits[d] + out
            if not n:
                return out

    low, high = text(lo), text(hi)
    parts = []
    for length in range(len(low), len(high) + 1):
        a = low if length == len(low) else digits[1] + digits[0] * (length - 1)
        b = high if length == len(high) else digits[-1] * length
        parts.append(same_length(a, b))
    return "|".join(parts)


def _invisible_references() -> str:
    """What a character reference that shows nothing looks like: a named one (``&nbsp;``) or a number
    (``&#x200B;``, ``&#8203;``). References in 0x80-0x9F mostly show Windows-1252 letters (``&#x80;`` is €)."""
    invisible = re.compile(f"^[{INVISIBLE}]+$")
    names = sorted(name[:-1] for name, text in html5.items() if name.endswith(";") and invisible.match(text))
    ranges = [r for r in INVISIBLE_RANGES if r != (0x7F, 0xA0)] + [(0x7F, 0x7F), (0xA0, 0xA0)]
    ranges += [(c, c) for c in (0x81, 0x8D, 0x8F, 0x90, 0x9D)]  # the C1 controls 1252 leaves as they are
    hexes = "|".join(_number(lo, hi, "0123456789abcdef") for lo, hi in ranges)
    decimals = "|".join(_number(lo, hi, "0123456789") for lo, hi in ranges)
    return f"(?:{'|'.join(names)});|#[xX]0*(?:{hexes});|#0*(?:{decimals});"


def _body_markup() -> str:
    """What shows nothing from a ``<`` on, as the HTML parser reads it: a comment, another ``<!``/``<?``
    construct, ``</>``, or an allowed tag (the others are shown, escaped)."""
    tags = "|".join(any_case(tag) for tag in sorted(ALLOWED_TAGS, key=lambda tag: (-len(tag), tag)))
    return (
        "!--(?:-?>|(?!-?>)(?:(?!--!?>)[\\s\\S])*(?:--!?>|$))|(?!!--)[!?][^>]*(?:>|$)|/>"
        f"|/?(?:{tags})(?=[\\t\\n\\f\\r />])[^>]*>"
    )


BODY_PATTERN = visible_pattern(_body_markup(), _invisible_references())
"""A post or comment body must match this: a visible character outside markup and invisible references."""

_BODY = re.compile(visible_pattern(_body_markup(), _invisible_references(), lone_surrogates=True))


def shows_text(raw: str) -> bool:
    """Whether a body matches :data:`BODY_PATTERN` (a lone surrogate shows nothing)."""
    return _BODY.search(raw) is not None


def clean_body(raw: str) -> str:
    """The sanitised form of a body that :func:`shows_text` passed. When the sanitiser hides all of what the
    pattern saw (markup the pattern reads another way, e.g. ``<a title=">">``), the text is kept as typed,
    escaped: the schema's promise holds, and nothing of it can act as markup."""
    body = sanitize_html(raw)
    if has_text(body):
        return body
    return html.escape(remove_bidi(_CONTROL.sub("", raw)), quote=False).strip()
