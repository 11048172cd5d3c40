"""Storage's rules: media records, upload tickets, confirmation, and cached download URLs.

Download URLs are cached (platform ``Cache``, namespace ``storage.presign``) so that the same URL is
handed out until it is close to expiry: clients and CDNs can cache the object under it. A URL lives at
most ``media_url_ttl_seconds``: the longest a viewer who lost access can still use one fetched before.
A URL is only ever handed out after the caller's right to see the media was checked (here for
``GET /media/{id}``, by the neighbour for the face methods, which take ids the caller already may see).

Uploads count against the owner's quota (``media_quota_bytes``, announced ones included: they can
still be filled); media never attached are erased after ``media_unattached_ttl_seconds``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from hearth_platform.cache import Cache
from hearth_platform.errors import Conflict
from hearth_platform.settings import Settings

from .backends import StorageBackend
from .errors import MediaNotFound, MediaRejected, QuotaExceeded
from .models import MEDIA_PENDING, MEDIA_READY, MediaObject
from .repository import MediaPredicate, MediaRepository, MediaRow
from .schemas import ALLOWED_CONTENT_TYPES, Media, MediaUpload, UploadInstructions

PRESIGN_CACHE = "storage.presign"
# A cached URL is handed out again until it is this close to expiry: 10% of its lifetime, at most 5 min.
MAX_REFRESH_MARGIN_SECONDS = 300
PRESIGN_NEAR_TTL_SECONDS = 60
"""How long a process keeps a signed URL it read from the shared cache (re-signing drops it at once)."""
# Workers' clocks may differ a little: a cached URL a few seconds younger than the TTL is still handed out.
CLOCK_SKEW_SECONDS = 5


@dataclass(frozen=True, slots=True)
class PresignedUrl:
    url: str
    expires_at: datetime


class MediaService:
    """Media records and their URLs. Built per unit of work; never commits."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        cache: Cache,
        backend: StorageBackend,
    ) -> None:
        self.repo = MediaRepository(session)
        self.settings = settings
        self.cache = cache
        self.backend = backend

    # -- uploads ----------------------------------------------------------------------------------

    def create_upload(self, owner_id: int, content_type: str, size_bytes: int) -> MediaUpload:
        """A pending media record and the signed upload that will fill it."""
        content_type = content_type.strip().lower()
        if content_type not in ALLOWED_CONTENT_TYPES:
            raise MediaRejected("content_type", f"must be one of {', '.join(ALLOWED_CONTENT_TYPES)}")
        if size_bytes < 1:
            raise MediaRejected("size_bytes", "must be at least 1 byte")
        if size_bytes > self.settings.media_max_bytes:
            raise MediaRejected("size_bytes", f"must be at most {self.settings.media_max_bytes} bytes")
        used = self.repo.lock_owner_usage(owner_id)
        if used + size_bytes > self.settings.media_quota_bytes:
            raise QuotaExceeded(self.settings.media_quota_bytes, used)
        key = f"u{owner_id}/{secrets.token_urlsafe(24)}"
        try:
            media = self.repo.add(owner_id, key, content_type, size_bytes)
        except IntegrityError as exc:  # never in practice: a key clash
            raise Conflict("The media could not be created; please retry.") from exc
        ticket = self.backend.create_upload(key, content_type, size_bytes)
        return MediaUpload(
            media=self._view(media, None),
            upload=UploadInstructions(
                url=ticket.url, method="PUT", headers=dict(ticket.headers), expires_at=ticket.expires_at
            ),
        )

    # -- one media, for its owner or a permitted viewer ----------------------------------------------

    def get_media(self, viewer_id: int, media_id: int, may_see: MediaPredicate | None = None) -> Media:
        """The media for its owner, or for a viewer ``may_see`` lets see it (the layer above decides: posts
        knows who sees a post that carries it); else 404.

        ``may_see`` is part of the one statement that reads the media, so a media the viewer may not see
        and a missing one take the same path, statement for statement."""
        media = self.repo.readable(viewer_id, media_id, may_see)
        if media is None:
            raise MediaNotFound(media_id)
        self._confirm([media])
        return self._views([media])[media.id]

    # -- erasure ----------------------------------------------------------------------------------

    def erase_unattached(self, attached: MediaPredicate, *, limit: int = 500) -> int:
        """Erase up to ``limit`` media older than ``media_unattached_ttl_seconds`` that ``attached`` (written
        by the layers above: a post carries it, it is an avatar) says were never attached; mark the attached
        ones kept, never to be looked at again. Their bytes go first, then their rows: run again after a
        failure, it finishes the work. Returns how many were erased."""
        cutoff = datetime.now(UTC) - timedelta(seconds=self.settings.media_unattached_ttl_seconds)
        found = self.repo.lock_erase_candidates(cutoff, attached, limit)
        self.repo.mark_kept([c.id for c in found if c.attached])
        doomed = [c for c in found if not c.attached]
        if doomed:
            self.backend.delete([c.key for c in doomed])
            self.repo.delete([c.id for c in doomed])
        return len(doomed)

    # -- an account's erasure and export (identity's jobs) ---------------------------------------------

    def erase_owned(self, owner_id: int) -> int:
        """Erase every media of ``owner_id``: their bytes first, then their rows (run again after a failure, it
        finishes the work). How many there were."""
        found = self.repo.owned_keys(owner_id)
        if found:
            self.backend.delete([key for _, key, _ in found])
            self.repo.delete([media_id for media_id, _, _ in found])
        return len(found)

    def owned_files(self, owner_id: int) -> Iterator[tuple[int, str, bytes]]:
        """``(id, content_type, bytes)`` of each of ``owner_id``'s media that has its bytes, one at a time."""
        for media_id, key, content_type in self.repo.owned_keys(owner_id):
            content = self.backend.read(key)
            if content is not None:
                yield media_id, content_type, content

    # -- download URLs ----------------------------------------------------------------------------

    def get_presigned_url(self, key: str) -> PresignedUrl:
        """The download URL for ``key``: the cached one until it nears expiry, else a fresh one."""
        return self.batch_get_presigned_urls([key])[key]

    def batch_get_presigned_urls(self, keys: Iterable[str]) -> dict[str, PresignedUrl]:
        """Download URLs for many keys: one cache round trip, signing only the misses."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        now = time.time()
        # a signed URL stays right until it expires and is handed out only with rows just read: this process
        # keeps what it read from Redis for a while (no round trip per page of posts)
        cached = self.cache.get_many(PRESIGN_CACHE, wanted, near_ttl=PRESIGN_NEAR_TTL_SECONDS)
        out: dict[str, PresignedUrl] = {}
        for key, value in cached.items():
            try:
                expires = float(value["expires"])
                url = str(value["url"])
            except (KeyError, TypeError, ValueError):
                continue  # an entry we do not understand is a miss
            # (a URL signed for longer than the TTL, e.g. before the setting was lowered, is not handed out)
            if self._refresh_margin() < expires - now <= self.settings.media_url_ttl_seconds + CLOCK_SKEW_SECONDS:
                out[key] = PresignedUrl(url, datetime.fromtimestamp(expires, UTC))
        misses = [k for k in wanted if k not in out]  # (the cache counts its hits and misses itself)
        for key in misses:
            url, expires_at = self.backend.presign_download(key)
            out[key] = PresignedUrl(url, expires_at)
            # kept until it enters the refresh margin, so every read until then gets this same URL
            keep = int(expires_at.timestamp() - now - self._refresh_margin())
            if keep > 0:
                self.cache.set(PRESIGN_CACHE, key, {"url": url, "expires": expires_at.timestamp()}, keep)
        return out

    def _refresh_margin(self) -> float:
        return min(MAX_REFRESH_MARGIN_SECONDS, self.settings.media_url_ttl_seconds * 0.1)

    # -- the face for neighbours (posts, identity) ------------------------------------------------

    def owned_media(self, owner_id: int, media_ids: Collection[int]) -> dict[int, Media]:
        """``owner_id``'s media among ``media_ids`` (others' and unknown ids are left out).

        Pending ones are confirmed first (ready once the object is stored with the declared size).
        """
        rows = self.repo.owned(owner_id, media_ids)
        self._confirm(rows)
        return self._views(rows)

    def media_views(self, media_ids: Collection[int]) -> dict[int, Media]:
        """Views of media the caller has already been allowed to see (e.g. a page of visible posts).

        One query and one batch of URLs whatever the number of ids; pending media get ``url`` null.
        """
        return self._views(self.repo.rows(media_ids))

    @staticmethod
    def media_column(media_ids: ColumnElement[Any] | InstrumentedAttribute[Any]) -> ColumnElement[Any]:
        """As SQL, for a read above that shows media it has already allowed (a page of visible posts): the media
        whose ids are in the array column ``media_ids``, read in the same statement (one probe of the key per
        id), for :meth:`views_read`; a statement less than :meth:`media_views` per page."""
        return MediaRepository.rows_column(media_ids)

    def views_read(self, fields: Iterable[Sequence[str]]) -> dict[int, Media]:
        """Views of the media whose fields the caller's statement read with :meth:`media_column` (no query;
        one batch of URLs), as :meth:`media_views` answers."""
        return self._views(MediaRepository.row_of(f) for f in fields)

    def is_owned_ready(self, owner_id: int, media_id: int) -> bool:
        """Whether ``media_id`` is ``owner_id``'s and uploaded (confirming it when still pending)."""
        rows = self.repo.owned(owner_id, [media_id])
        self._confirm(rows)
        return bool(rows) and rows[0].status == MEDIA_READY

    def download_urls(self, media_ids: Collection[int]) -> dict[int, str]:
        """Download URLs of the ready media among ``media_ids`` the caller may see (e.g. avatars)."""
        rows = self.repo.rows(media_ids, ready_only=True)
        urls = self.batch_get_presigned_urls(m.key for m in rows)
        return {m.id: urls[m.key].url for m in rows}

    # -- helpers ----------------------------------------------------------------------------------

    def _confirm(self, rows: Iterable[MediaObject]) -> None:
        """Pending -> ready for each object now stored with its declared size (one UPDATE for all). The
        backend fixes the bytes first (an upload URL writes once), with the rows locked."""
        pending = self.repo.lock_for_confirming([m for m in rows if m.status == MEDIA_PENDING])
        arrived = [m for m in pending if m.status == MEDIA_PENDING and self.backend.finish_upload(m.key, m.size_bytes)]
        self.repo.mark_ready(arrived)

    def _views(self, rows: Iterable[MediaObject | MediaRow]) -> dict[int, Media]:
        rows = list(rows)
        urls = self.batch_get_presigned_urls(m.key for m in rows if m.status == MEDIA_READY)
        return {m.id: self._view(m, urls.get(m.key)) for m in rows}

    @staticmethod
    def _view(media: MediaObject | MediaRow, url: PresignedUrl | None) -> Media:
        """The API object; a download URL only for a ready object (null while pending)."""
        ready = media.status == MEDIA_READY
        return Media(
            id=media.id,
            content_type=media.content_type,
            size_bytes=media.size_bytes,
            status=MEDIA_READY if ready else MEDIA_PENDING,
            url=url.url if ready and url is not None else None,
            url_expires_at=url.expires_at if ready and url is not None else None,
        )
