"""Posts' jobs (``hearth_platform.jobs``): the erasure of media never attached (API.md, Media); the fan-out
of a new post too large for its request (``service/timeline.py``)."""

from __future__ import annotations

from hearth_platform.jobs import Job, JobQueue
from hearth_platform.uow import UnitOfWorkContext

from .service import PostMediaAccess
from .service.timeline import FAN_OUT

BATCH = 500


def erase_unattached_media(uow: UnitOfWorkContext) -> None:
    """Erase a batch of media older than ``media_unattached_ttl_seconds`` on no post and no avatar; a full
    batch enqueues the next one at once (its bytes and rows go with each batch's commit)."""
    if uow.resolve(PostMediaAccess).erase_unattached(limit=BATCH) == BATCH:
        uow.resolve(JobQueue).enqueue(ERASE_UNATTACHED_MEDIA, unique=ERASE_UNATTACHED_MEDIA.name)


ERASE_UNATTACHED_MEDIA = Job(
    name="posts.erase_unattached_media", run=erase_unattached_media, queue="maintenance", schedule="37 * * * *"
)

JOBS = (ERASE_UNATTACHED_MEDIA, FAN_OUT)
