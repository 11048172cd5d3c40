"""Cached reads of the connection graph, and their invalidation.

Two namespaces in the platform :class:`~hearth_platform.cache.Cache`:

- ``connections.ids``, key ``<user id>``: the ids of everyone connected to that user;
- ``connections.viewer_tags``, key ``<viewer id>:<owner id>``: the owner's tags the viewer is in.

A change marks its keys stale: they are deleted at once (so later reads in the same transaction go to
the database) and again when the transaction ends, commit or rollback (so nothing read from an
uncommitted state, by this request or another, outlives the transaction). While a key is stale in a
transaction, reads in that transaction bypass the cache and never store into it. A read served by a replica
stores only what it read on a replica that had replayed every access-narrowing write
(``hearth_platform.replicas.may_fill_shared_cache``), so an invalidated entry is never refilled stale.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from hearth_platform.cache import Cache
from hearth_platform.replicas import may_fill_shared_cache

CONNECTED_IDS = "connections.ids"
VIEWER_TAGS = "connections.viewer_tags"
TTL_SECONDS = 300

_STALE = "hearth_connections.stale_cache_keys"
_HOOKED = "hearth_connections.stale_cache_hooked"


def viewer_tags_key(viewer_id: int, owner_id: int) -> str:
    return f"{viewer_id}:{owner_id}"


class GraphCache:
    """The connections package's view of the cache, bound to one unit of work's session."""

    def __init__(self, cache: Cache, session: Session) -> None:
        self._cache = cache
        self._session = session
        self._stale: set[tuple[str, str]] = session.info.setdefault(_STALE, set())

    # -- reads ---------------------------------------------------------------------------------------

    def connected_ids(self, user_id: int, load: Callable[[int], set[int]]) -> set[int]:
        key = str(user_id)
        if (CONNECTED_IDS, key) in self._stale:
            return load(user_id)
        cached = self._cache.get(CONNECTED_IDS, key)
        if cached is not None:
            return {int(i) for i in cached}
        ids = load(user_id)
        if may_fill_shared_cache(self._session):
            self._cache.set(CONNECTED_IDS, key, sorted(ids), TTL_SECONDS)
        return ids

    def viewer_tags(
        self,
        viewer_id: int,
        owner_ids: Collection[int],
        load: Callable[[int, list[int]], dict[int, set[int]]],
    ) -> dict[int, set[int]]:
        keys = {owner: viewer_tags_key(viewer_id, owner) for owner in owner_ids}
        usable = [k for o, k in keys.items() if (VIEWER_TAGS, k) not in self._stale]
        cached = self._cache.get_many(VIEWER_TAGS, usable) if usable else {}
        out: dict[int, set[int]] = {}
        missing: list[int] = []
        for owner, key in keys.items():
            if key in cached:
                out[owner] = {int(t) for t in cached[key]}
            else:
                missing.append(owner)
        if missing:
            loaded = load(viewer_id, missing)
            fill = may_fill_shared_cache(self._session)
            for owner in missing:
                tags = loaded.get(owner, set())
                out[owner] = tags
                key = keys[owner]
                if fill and (VIEWER_TAGS, key) not in self._stale:
                    self._cache.set(VIEWER_TAGS, key, sorted(tags), TTL_SECONDS)
        return out

    # -- invalidation --------------------------------------------------------------------------------

    def forget_connections(self, *user_ids: int) -> None:
        self._forget(CONNECTED_IDS, [str(u) for u in user_ids])

    def forget_viewer_tags(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Forget the given ``(viewer id, owner id)`` memberships."""
        self._forget(VIEWER_TAGS, [viewer_tags_key(v, o) for v, o in pairs])

    def forget_pair(self, a: int, b: int) -> None:
        """Everything cached about the pair: both connection lists and both directions of tagging."""
        self.forget_connections(a, b)
        self.forget_viewer_tags([(a, b), (b, a)])

    def _forget(self, name: str, keys: list[str]) -> None:
        if not keys:
            return
        _hook_transaction_end(self._session, self._cache)
        self._stale.update((name, k) for k in keys)
        self._cache.delete(name, *keys)


def _hook_transaction_end(session: Session, cache: Cache) -> None:
    """Delete this session's stale keys again when its transaction ends. Hooked at the first change only:
    a listener costs more than a whole read request's other cache work (profiled), and reads change
    nothing."""
    if session.info.get(_HOOKED):
        return
    session.info[_HOOKED] = True
    stale: set[tuple[str, str]] = session.info.setdefault(_STALE, set())

    def _at_end(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is not None or not stale:  # a savepoint or inner transaction: not the end
            return
        by_name: dict[str, list[str]] = {}
        for name, key in stale:
            by_name.setdefault(name, []).append(key)
        stale.clear()
        for name, keys in by_name.items():
            cache.delete(name, *keys)

    event.listen(session, "after_transaction_end", _at_end)
