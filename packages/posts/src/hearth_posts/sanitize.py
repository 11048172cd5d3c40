"""User HTML, made safe before it is stored: the contract's small subset, safe links, bare URLs linked."""

from __future__ import annotations

import re
import threading
from typing import Any

import bleach
from bleach.linkifier import LinkifyFilter

ALLOWED_TAGS = frozenset({"a", "b", "strong", "i", "em", "code", "pre", "blockquote", "p", "br", "ul", "ol", "li"})
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
_TAG = re.compile(r"<[^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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


def sanitize_html(text: str) -> str:
    """Keep the allowed subset, escape everything else, link bare URLs with ``rel="nofollow noopener"``."""
    text = _CONTROL.sub("", text).replace("\r\n", "\n")
    cleaned: str = _cleaner().clean(text)
    return cleaned.strip()


def has_text(sanitized: str) -> bool:
    """Whether sanitised HTML shows any text (``<p></p>`` does not)."""
    return bool(_TAG.sub("", sanitized).replace("&nbsp;", " ").strip())
