"""Plain-text user input (names, bios, tag names): tags stripped, control and bidi-override characters
removed; and whether a text shows anything at all.

The result is plain text, not HTML: nothing is escaped or unescaped (``Tom & Jerry`` stays as typed,
``&lt;b&gt;`` stays literal text), so no entity can turn back into a tag. Clients escape on display.
Rich text (post and comment bodies) is the posts package's sanitiser, not this.

What shows nothing is one list, :data:`INVISIBLE` (a regex character class), so that the OpenAPI schema
can state, as a ``pattern``, exactly the rule the server applies: :data:`PLAIN_TEXT_PATTERN` is "a visible
character outside markup", and :func:`clean_plain_text` refuses what it does not match and takes what it
does.
"""

from __future__ import annotations

import re
import unicodedata

# script/style blocks go with their content; comments, tags and declarations go; unterminated ones too.
_BLOCKS = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_COMMENTS = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_TAGS = re.compile(r"</?[A-Za-z][^>]*>|<[!?/][^>]*>")
# Whatever still opens a tag (e.g. "<<b>b>" -> "<b>") loses its "<": no tag can be left over.
_TAG_OPEN = re.compile(r"<+(?=[A-Za-z!?/])")
# Bidirectional embeddings, overrides and isolates (spoofing), and the BOM.
BIDI_CONTROLS = frozenset([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF])
_BIDI = dict.fromkeys(BIDI_CONTROLS)


def strip_tags(text: str) -> str:
    text = _BLOCKS.sub("", text)
    text = _COMMENTS.sub("", text)
    text = _TAGS.sub("", text)
    return _TAG_OPEN.sub("", text)


def remove_bidi(text: str) -> str:
    """Drop bidirectional embeddings, overrides and isolates, and the BOM (they can make text read other
    than it is, e.g. a file name ending in "gnp.exe" shown as "exe.png"). The marks (LRM, RLM) stay."""
    return text.translate(_BIDI)


def has_visible_text(text: str) -> bool:
    """Whether ``text`` shows anything: a character outside :data:`INVISIBLE` (spaces, controls, zero-width
    and other format characters, combining marks without a base, letters that are blank)."""
    return _VISIBLE_CHAR.search(text) is not None


def remove_controls(text: str, *, keep_newlines: bool = False) -> str:
    """Drop control characters (NUL included), lone surrogates (PostgreSQL cannot store them) and bidi
    overrides: each control character becomes a space, so words stay apart (multi-line text keeps its
    newlines)."""
    text = remove_bidi(text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
    return "".join(
        ch if (ch == "\n" and keep_newlines) or unicodedata.category(ch) not in ("Cc", "Cs") else " " for ch in text
    )


def plain_text(text: str, *, multiline: bool = False) -> str:
    """The plain text of ``text``: NFC, no tags, no control characters, trimmed. Single-line text also
    has its whitespace runs folded to one space."""
    text = unicodedata.normalize("NFC", strip_tags(remove_controls(text, keep_newlines=multiline)))
    return text.strip() if multiline else " ".join(text.split())


# -- the rule as a pattern: the OpenAPI schema states it, the server applies it ---------------------------

# Characters that show nothing: controls and spaces of every width, the soft hyphen, the generic combining
# marks, zero-width, joiner, direction and other format characters, variation selectors, the Hangul
# fillers, the braille blank, musical formatting, tag characters.
INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x00, 0x20), (0x7F, 0xA0), (0xAD, 0xAD), (0x300, 0x36F), (0x61C, 0x61C), (0x115F, 0x1160),
    (0x1680, 0x1680), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF),
    (0x2000, 0x200F), (0x2028, 0x202F), (0x205F, 0x206F), (0x20D0, 0x20FF), (0x2800, 0x2800),
    (0x3000, 0x3000), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFE20, 0xFE2F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip


def char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    """The body of a regex character class that ECMA-262 (JSON Schema) and Python's ``re`` read alike:
    ``\\uXXXX`` escapes, and characters past U+FFFF as themselves (ECMA-262 escapes them only with /u)."""

    def one(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)

    return "".join(one(lo) if lo == hi else f"{one(lo)}-{one(hi)}" for lo, hi in ranges)


INVISIBLE = char_class(INVISIBLE_RANGES)
# Lone surrogates are not Unicode text (no schema can name one): the server removes them, so they show
# nothing either.
_INVISIBLE_HERE = INVISIBLE + char_class(((0xD800, 0xDFFF),))
_VISIBLE_CHAR = re.compile(f"[^{_INVISIBLE_HERE}]")
_BIDI_CLASS = f"[{char_class(tuple((c, c) for c in sorted(BIDI_CONTROLS)))}]"  # removed before markup is read


def any_case(word: str) -> str:
    """``word`` in any letter case, for a pattern (JSON Schema patterns take no flags)."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


def visible_pattern(lt_markup: str, amp_markup: str | None = None, *, lone_surrogates: bool = False) -> str:
    """The pattern "a visible character outside markup". ``lt_markup`` (and ``amp_markup``) are the
    alternatives of what shows nothing from a ``<`` (an ``&``) on, without it; a ``<`` (``&``) they do not
    match is a visible character, so the pattern reads every text one way."""
    invisible = _INVISIBLE_HERE if lone_surrogates else INVISIBLE
    skip = [f"[{invisible}]", f"<(?:{lt_markup})"]
    visible = [f"<(?!{lt_markup})"]
    special = "<"
    if amp_markup is not None:
        skip.append(f"&(?:{amp_markup})")
        visible.append(f"&(?!{amp_markup})")
        special += "&"
    return f"^(?:{'|'.join(skip)})*(?:[^{invisible}{special}]|{'|'.join(visible)})"


def _plain_markup() -> str:
    """What :func:`plain_text` takes out from a ``<`` on: a comment (to its end or the text's), a script or
    style element with its content, a tag, or only the ``<`` of a tag never closed."""
    blocks = []
    for name in ("script", "style"):
        close = f"</{any_case(name)}[\\x00-\\x20]*>"
        blocks.append(f"{any_case(name)}(?![A-Za-z0-9_])[^>]*>(?:(?!{close})[\\s\\S])*(?:{close}|$)")
    block = "|".join(blocks)
    tag_start = f"{_BIDI_CLASS}*[A-Za-z!?/]"
    return (
        f"!--(?:(?!-->)[\\s\\S])*(?:-->|$)|{block}"
        f"|(?!!--|{block})(?={tag_start})[^>]*>"
        f"|(?!!--|{block})(?={tag_start}[^>]*$)"
    )


PLAIN_TEXT_PATTERN = visible_pattern(_plain_markup())
"""A plain text (name, tag name) must match this: a visible character outside markup."""

_PLAIN_TEXT = re.compile(visible_pattern(_plain_markup(), lone_surrogates=True))


def shows_plain_text(raw: str) -> bool:
    """Whether ``raw`` matches :data:`PLAIN_TEXT_PATTERN` (as the server reads it: a lone surrogate, which
    the schema cannot name, shows nothing)."""
    return _PLAIN_TEXT.search(raw) is not None


def clean_plain_text(raw: str, *, max_len: int, multiline: bool = False, required: bool = True) -> str:
    """The plain text of ``raw``, which has at most ``max_len`` characters and, when ``required``, passed
    :func:`shows_plain_text`: what the schema promises, the server takes. Should cleaning take away every
    visible character the pattern saw (markup whose limits it reads another way, e.g. a comment inside a
    tag), the text is kept as typed, without control characters; and a normalisation (NFC) that would
    lengthen it past ``max_len`` (a few characters decompose) is left out."""
    text = remove_controls(raw, keep_newlines=multiline)
    cleaned = _folded(strip_tags(text), multiline=multiline)
    if required and not has_visible_text(cleaned):
        cleaned = _folded(text, multiline=multiline)
    normal = unicodedata.normalize("NFC", cleaned)
    return normal if len(normal) <= max_len else cleaned


def _folded(text: str, *, multiline: bool) -> str:
    return text.strip() if multiline else " ".join(text.split())
