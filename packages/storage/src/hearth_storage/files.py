"""The local backend's own upload and download routes (``PUT``/``GET /files/{key}``, outside ``/api/v1``).

They take no bearer token: the signed URL is the permission. With the S3 backend they answer 404.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from hearth_platform.errors import NotFound

from .backends import StorageBackend
from .local import FILES_PREFIX, LocalBackend

files_router = APIRouter(prefix=FILES_PREFIX, include_in_schema=False)


def _local_backend(request: Request) -> LocalBackend:
    backend = request.app.state.container.resolve(StorageBackend)
    if not isinstance(backend, LocalBackend):
        raise NotFound(f"No resource at {request.url.path}.")
    return backend


@files_router.put("/{key:path}")
async def upload_file(key: str, request: Request) -> Response:
    backend = _local_backend(request)
    signed = backend.verify_upload(
        key,
        request.query_params,
        request.headers.get("content-type"),
        request.headers.get("content-length"),
    )
    upload = await run_in_threadpool(backend.open_upload, signed)
    try:
        async for chunk in request.stream():
            if chunk:
                await run_in_threadpool(upload.write, chunk)  # refuses as soon as it passes the size
        await run_in_threadpool(upload.commit)
    finally:
        upload.abort()  # removes the temp file unless commit renamed it
    return Response(status_code=200)


@files_router.get("/{key:path}")
async def download_file(key: str, request: Request) -> FileResponse:
    backend = _local_backend(request)
    signed = await run_in_threadpool(backend.verify_download, key, request.query_params)
    return FileResponse(
        signed.path,
        media_type=signed.content_type,
        headers={"Cache-Control": f"private, max-age={signed.remaining_seconds}"},
    )
