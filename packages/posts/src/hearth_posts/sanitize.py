"""User HTML, made safe before it is stored: the contract's small subset, safe links, bare URLs linked, and
``@username`` mentions found and linked to their users (:func:`mention_names`, :func:`link_mentions`).

nh3 (Ammonia) does the sanitising. Around it, what a writer has always seen stays so: a tag outside the
subset shows as the text it was typed as (Ammonia would drop it silently), character references in text
stay as typed (Ammonia would decode them), and bare URLs become links (Ammonia has no linkifier).
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Mapping
from functools import cache
from html.entities import html5 as html5_entities

import nh3
from linkify_it import LinkifyIt

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
LINK_REL = "nofollow noopener"
_NOT_LINKED_IN = frozenset({"a", "pre", "code"})
_TAG = re.compile(r"<[^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));")
# what the text may not hold raw, it may not hold as a character reference either
_HIDDEN_CODES = frozenset([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, *BIDI_CONTROLS])

# Markup as an HTML tokenizer reads it: a comment; a start or end tag (a quoted value may hold ">"); a bogus
# comment (<!...>, <?...>, </ ...>). Unterminated ones run to the end, as they do for the tokenizer.
_MARKUP = re.compile(
    r"<!--(?:-?>|.*?(?:--!?>|\Z))"
    r"|<(/?)([A-Za-z][^\t\n\f\r />]*)"
    r"(?:[^>=]|=[\t\n\f\r ]*(?:\"[^\"]*(?:\"|\Z)|'[^']*(?:'|\Z)|[^\t\n\f\r >]*))*(?:>|\Z)"
    r"|<[!?/][^>]*(?:>|\Z)",
    re.DOTALL,
)
# numeric references without their ";" too: nh3 would decode them (to a control character as well)
_REF = re.compile(r"&(#[0-9]+;?|#[xX][0-9A-Fa-f]+;?|[A-Za-z][A-Za-z0-9]*;)")
_KEPT_REF = re.compile(r"&amp;(#[0-9]+;|#[xX][0-9A-Fa-f]+;|[A-Za-z][A-Za-z0-9]*;)")
# nh3's output: text escapes "<" and ">", attribute values are double-quoted and escape ">" too
_OUT_TAG = re.compile(r"<(/?)([a-z]+)([^>]*)>")
_HREF = re.compile(r' href="([^"]*)"')
_PLACEHOLDER = re.compile(r"\x01([0-9]+)\x02")
_REF_OR_RUN = re.compile(r"(&[^;&]*;)|&|[^&]+")  # in nh3's text every "&" opens a reference


@cache
def _cleaner() -> nh3.Cleaner:
    # thread-safe: one for the process (built on first use, nothing at import time)
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        attributes={"a": {"href"}, "*": set()},  # "*": none of Ammonia's default lang and title
        url_schemes=set(ALLOWED_PROTOCOLS),
        url_relative="deny",
        link_rel=None,  # rel is written here, with the href (a link that keeps no href goes)
        strip_comments=True,
    )


@cache
def _linker() -> LinkifyIt:
    # ftp and protocol-relative links are not the contract's; e-mail addresses were never linked.
    # ``match`` keeps no state between calls (linkify-it-py >= 2.2), so one serves every thread.
    return LinkifyIt(schemas={"ftp:": None, "//": None}, options={"fuzzy_email": False})


def _hidden_ref(match: re.Match[str]) -> str:
    hex_digits, digits = match.groups()
    number = (hex_digits or digits).lstrip("0") or "0"
    if len(number) > 8:  # beyond Unicode: a browser shows U+FFFD
        return match[0]
    return "" if int(number, 16 if hex_digits else 10) in _HIDDEN_CODES else match[0]


def _drop_hidden_refs(cleaned: str) -> str:
    """References stay as typed, and ``&#x202E;`` is an override once a browser reads it. Until nothing
    changes: taking one out must not join the text around it into another."""
    while True:
        shorter = _CHAR_REF.sub(_hidden_ref, cleaned)
        if shorter == cleaned:
            return cleaned
        cleaned = shorter


def _is_ref(body: str) -> bool:
    return body[0] == "#" or body in html5_entities


def _keep_refs(text: str) -> str:
    """Text whose references nh3 passes through as typed: ``&#xE9;`` is given as ``&amp;#xE9;``."""
    return _REF.sub(lambda m: f"&amp;{m[1]}" if _is_ref(m[1]) else m[0], text)


def _restore_refs(text: str) -> str:
    return _KEPT_REF.sub(lambda m: f"&{m[1]}" if _is_ref(m[1]) else m[0], text)


def _escape_unknown_tags(text: str) -> tuple[str, list[str]]:
    """The input nh3 is to see, and the tags outside the subset as the text they show: each such tag is
    replaced by a placeholder (``\\x01<n>\\x02``: control characters, which the input no longer holds), so
    that its text is neither cleaned nor linkified. References in text are kept as typed; allowed tags and
    comments go to nh3 as they are (it drops comments)."""
    out: list[str] = []
    shown: list[str] = []
    pos = 0
    for m in _MARKUP.finditer(text):
        out.append(_keep_refs(text[pos : m.start()]))
        name = m[2]
        if name and name.lower() not in ALLOWED_TAGS:
            out.append(f"\x01{len(shown)}\x02")
            shown.append(_restore_refs(html.escape(m[0], quote=False)).replace("\xa0", "&nbsp;"))
        else:
            out.append(m[0])
        pos = m.end()
    out.append(_keep_refs(text[pos:]))
    return "".join(out), shown


def _linkify(text: str) -> str:
    """Bare URLs in a piece of nh3's text made links; the rest of the text stays as it is written."""
    pieces = [(m.start(), m.end(), html.unescape(m[0]), bool(m[1])) for m in _REF_OR_RUN.finditer(text)]
    plain = "".join(p[2] for p in pieces)
    matches = _linker().match(plain) if _linker().pretest(plain) else None
    if not matches:
        return text
    starts: list[int] = []  # where each piece begins in ``plain``
    at = 0
    for piece in pieces:
        starts.append(at)
        at += len(piece[2])

    def written(position: int, end: bool) -> int:
        """Where ``plain[position]`` is in ``text`` (a reference is taken whole)."""
        i = bisect_right(starts, position - 1 if end else position) - 1
        begin, stop, _, is_ref = pieces[i]
        return (stop if end else begin) if is_ref else begin + position - starts[i]

    out: list[str] = []
    pos = 0
    for match in matches:
        url = match.url
        if url.split(":", 1)[0].lower() not in ALLOWED_PROTOCOLS:
            continue
        begin, end = written(match.index, False), written(match.last_index, True)
        out.append(text[pos:begin])
        out.append(f'<a href="{html.escape(url)}" rel="{LINK_REL}">{text[begin:end]}</a>')
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _finish(cleaned: str, shown: list[str]) -> str:
    """nh3's output with references restored, the escaped tags put back, links given their ``rel`` (or
    dropped without an allowed href, keeping their text), and bare URLs linked outside links, ``pre``
    and ``code``."""
    out: list[str] = []
    links: list[bool] = []  # open <a>: kept or dropped (nh3 may nest them)
    unlinked = 0  # open elements whose text is not linkified

    def add_text(text: str) -> None:
        for i, part in enumerate(_PLACEHOLDER.split(_restore_refs(text))):
            if i % 2:
                out.append(shown[int(part)])
            else:
                out.append(part if unlinked or not part else _linkify(part))

    pos = 0
    for m in _OUT_TAG.finditer(cleaned):
        add_text(cleaned[pos : m.start()])
        pos = m.end()
        closing, name = m[1] == "/", m[2]
        if name in _NOT_LINKED_IN:
            unlinked += -1 if closing else 1
        if name != "a":
            out.append(m[0])
        elif closing:
            if links.pop():
                out.append("</a>")
        else:
            href = _HREF.search(m[3])
            url = href[1].strip() if href else ""
            keep = ":" in url and url.split(":", 1)[0].lower() in ALLOWED_PROTOCOLS
            links.append(keep)
            if keep:
                out.append(f'<a href="{url}" rel="{LINK_REL}">')
    add_text(cleaned[pos:])
    return "".join(out)


def _visible_only(text: str) -> str:
    return remove_bidi(_CONTROL.sub("", text))


def sanitize_html(text: str) -> str:
    """Keep the allowed subset, escape everything else, link bare URLs with ``rel="nofollow noopener"``;
    no control or bidi-override characters, raw or as references."""
    # before cleaning, so the links are judged as they are stored; after, in case cleaning joined pieces
    # (a reference cut in two by a comment) or decoded one (nh3 does, in attribute values)
    text = _drop_hidden_refs(_visible_only(text)).replace("\r\n", "\n")
    prepared, shown = _escape_unknown_tags(text)
    cleaned = _finish(_cleaner().clean(prepared), shown)
    return _drop_hidden_refs(_visible_only(cleaned)).strip()


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
    names = sorted(name[:-1] for name, text in html5_entities.items() if name.endswith(";") and invisible.match(text))
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


# -- mentions ---------------------------------------------------------------------------------------------

# ``@username`` as the contract spells a username, standing alone: not the tail of an address or a path
# (``bob@example.com``, ``…/@bob``) and not a domain (``@example.com``).
_MENTION = re.compile(r"(?<![\w@/.#&;:+=-])@([A-Za-z0-9_]{3,30})(?![\w@]|\.\w)")
MAX_MENTIONS = 50  # a body naming more tells and links only the first 50 (a mass mention is not a message)


def _text_runs(sanitized: str) -> list[tuple[str, str]]:
    """Sanitised HTML as ``(piece, where)``: ``where`` is ``"tag"`` for markup, ``"code"`` inside ``pre`` or
    ``code``, ``"a"`` inside a link, ``"text"`` otherwise (the output of :func:`sanitize_html` only: text
    there never holds a raw ``<``)."""
    runs: list[tuple[str, str]] = []
    links = code = 0
    pos = 0
    for m in _OUT_TAG.finditer(sanitized):
        if m.start() > pos:
            runs.append((sanitized[pos : m.start()], "code" if code else "a" if links else "text"))
        runs.append((m[0], "tag"))
        step = -1 if m[1] else 1
        if m[2] == "a":
            links = max(0, links + step)
        elif m[2] in ("pre", "code"):
            code = max(0, code + step)
        pos = m.end()
    if pos < len(sanitized):
        runs.append((sanitized[pos:], "code" if code else "a" if links else "text"))
    return runs


def mention_names(sanitized: str) -> list[str]:
    """The usernames a sanitised body mentions (lower-case, each once, in order, at most ``MAX_MENTIONS``):
    ``@name`` in its text outside ``pre`` and ``code``, and a link that shows only ``@name`` (a mention as
    it was stored, sent back in an edit)."""
    names: dict[str, None] = {}
    for piece, where in _text_runs(sanitized):
        if where == "text":
            names.update((m[1].lower(), None) for m in _MENTION.finditer(piece))
        elif where == "a" and (whole := _MENTION.fullmatch(piece.strip())):
            names[whole[1].lower()] = None
    return list(names)[:MAX_MENTIONS]


def link_mentions(sanitized: str, hrefs: Mapping[str, str]) -> str:
    """Each ``@name`` of ``hrefs`` (lower-case names) in the text outside links, ``pre`` and ``code`` made a
    link to ``hrefs[name]``, with the ``rel`` of every link; the rest stays as it is."""
    if not hrefs:
        return sanitized

    def link(m: re.Match[str]) -> str:
        href = hrefs.get(m[1].lower())
        return f'<a href="{html.escape(href)}" rel="{LINK_REL}">{m[0]}</a>' if href else m[0]

    return "".join(_MENTION.sub(link, piece) if where == "text" else piece for piece, where in _text_runs(sanitized))
