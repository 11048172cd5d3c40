"""Plain-text user input (names, bios, tag names): tags stripped, control and bidi-override characters
removed; and whether a text shows anything at all.

The result is plain text, not HTML: nothing is escaped or unescaped (``Tom & Jerry`` stays as typed,
``&lt;b&gt;`` stays literal text), so no entity can turn back into a tag. Clients escape on display.
Rich text (post and comment bodies) is the posts package's sanitiser, not this.
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
# Letters and symbols that show nothing: the Hangul fillers and the braille blank.
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")


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
    """Whether ``text`` shows anything: a letter, digit, punctuation or symbol; not only spaces, zero-width
    and other format characters, combining marks without a base, or letters that are blank."""
    return any(ch not in _BLANK and unicodedata.category(ch)[0] in "LNPS" for ch in text)


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
