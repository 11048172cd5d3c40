"""``ExportService``: a zip of the caller's data, built by a job into storage, downloaded through a
time-limited URL.

The job (``identity.build_export``) writes the profile and the account's media files, and publishes
:class:`AccountExporting` so each package above adds its part (connections, tags, posts, comments). The
zip goes to storage under ``exports/u<id>/<random>``; ``GET /users/me/exports/{id}`` hands out a download URL
that lives ``HEARTH_MEDIA_URL_TTL_SECONDS``. Exports are deleted (file and row) after
``HEARTH_EXPORT_TTL_SECONDS``; one still pending after an hour (its job gave up) is marked failed.
"""

from __future__ import annotations

import mimetypes
import secrets
from datetime import UTC

from sqlalchemy import func
from sqlalchemy.orm import Session

from hearth_platform.events import EventPublisher
from hearth_platform.jobs import Job, JobQueue
from hearth_platform.settings import Settings
from hearth_platform.uow import UnitOfWorkContext
from hearth_storage import MediaService, ObjectStore

from ..account_repository import ExportRunning as ExportPending
from ..account_repository import Exports
from ..archive import ExportArchive
from ..errors import ExportNotFound, ExportRunning
from ..events import AccountExporting
from ..models import EXPORT_FAILED, EXPORT_PENDING, EXPORT_READY, AccountExport
from ..repository import UserRepository
from ..schemas import Export

STALE_PENDING_SECONDS = 3600


class ExportService:
    def __init__(
        self,
        session: Session,
        settings: Settings,
        jobs: JobQueue,
        media: MediaService,
        objects: ObjectStore,
        events: EventPublisher,
    ) -> None:
        self._session = session
        self._settings = settings
        self._jobs = jobs
        self._media = media
        self._objects = objects
        self._events = events
        self._exports = Exports(session)
        self._users = UserRepository(session)

    def start(self, user_id: int) -> Export:
        try:
            export = self._exports.start(user_id)
        except ExportPending:
            raise ExportRunning() from None
        self._jobs.enqueue(BUILD_EXPORT, export_id=export.id)
        return self._view(export)

    def get(self, user_id: int, export_id: int) -> Export:
        export = self._exports.get(export_id, user_id=user_id)
        if export is None:
            raise ExportNotFound(export_id)
        return self._view(export)

    def _view(self, export: AccountExport) -> Export:
        url = expires = None
        if export.status == EXPORT_READY and export.key:
            url, expires = self._objects.download_url(export.key)
        return Export(
            id=export.id,
            status=export.status,
            created_at=export.created_at.astimezone(UTC),
            url=url,
            url_expires_at=expires,
        )

    def build(self, export_id: int) -> None:
        """The job: build the zip and store it; nothing for an export that is not pending any more."""
        export = self._exports.get(export_id, lock=True)
        if export is None or export.status != EXPORT_PENDING:
            return
        user = self._users.get(export.user_id)
        if user is None:
            return
        archive = ExportArchive()
        try:
            archive.add_json(
                "profile.json",
                {
                    "id": user.id,
                    "username": user.username,
                    "email": user.email,
                    "email_verified": user.email_verified_at is not None,
                    "display_name": user.display_name,
                    "bio": user.bio,
                    "avatar_media_id": user.avatar_media_id,
                    "created_at": user.created_at,
                },
            )
            self._events.publish(AccountExporting(user.id, archive))
            listed = []
            for media_id, content_type, content in self._media.owned_files(user.id):
                name = f"media/{media_id}{mimetypes.guess_extension(content_type) or ''}"
                archive.add_file(name, content)
                listed.append({"id": media_id, "content_type": content_type, "file": name})
            archive.add_json("media.json", listed)
            key = f"exports/u{user.id}/{secrets.token_urlsafe(24)}"
            self._objects.put(key, archive.finish(), "application/zip")
        finally:
            archive.close()
        export.key = key
        export.status = EXPORT_READY
        export.finished_at = func.now()
        self._session.flush()

    def purge(self) -> None:
        """Delete exports past ``HEARTH_EXPORT_TTL_SECONDS`` (the file, then the row); mark the ones whose job
        gave up as failed."""
        old = self._exports.expired(self._settings.export_ttl_seconds)
        self._objects.delete([e.key for e in old if e.key])
        self._exports.delete([e.id for e in old])
        self._exports.fail_stale(STALE_PENDING_SECONDS, EXPORT_FAILED)


def _build_export(uow: UnitOfWorkContext, export_id: int) -> None:
    uow.resolve(ExportService).build(export_id)


BUILD_EXPORT = Job(name="identity.build_export", run=_build_export, queue="accounts", attempts=5)
