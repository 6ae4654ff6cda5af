"""Scanned pages: upload in batches (streamed, hashed, checked by content), list with view links."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel

from api.deps import ServicesDep
from api.routes.workflow import run_command
from api.security import CurrentUser
from api.uploads import multipart_body, received_upload
from digitization.application import PageUpload
from digitization.errors import NotFoundError
from digitization.ports import BlobStoreError
from digitization.scan_bytes import ArrivedScan
from domain.access import ForbiddenError
from domain.rules import Code

router = APIRouter(tags=["scanned pages"])
VIEW_LINK_TTL = dt.timedelta(minutes=10)
MAX_EXPIRES = 1 << 40  # seconds since 1970: far past any link's expiry


class PageUploadPublic(BaseModel):
    file: str
    page: int
    sha256: str
    size: int
    media_type: str
    object_key: str
    recorded: bool
    stored: bool


class UploadReport(BaseModel):
    register_id: UUID
    register_version: int
    pages: list[PageUploadPublic]


class PagePublic(BaseModel):
    page: int
    sha256: str
    size: int
    media_type: str
    object_key: str
    view_url: str | None


@router.post(
    "/registers/{register_id}/pages",
    response_model=UploadReport,
    openapi_extra=multipart_body(
        ["files"],
        {
            "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
            "pages": {"type": "string", "description": "page numbers, in file order"},
            "rescan_reason": {"type": "string", "description": "replace pages (quét lại)"},
            "manifest": {
                "type": "string",
                "description": 'JSON [{"sha256": hex, "size": bytes}, …], one per file in '
                "order, before the files (as pages and rescan_reason then)",
            },
        },
    ),
    responses={
        413: {"description": "a file is over the byte or pixel limit"},
        422: {"description": "not a usable form, bad page numbers, or bytes not as declared"},
        415: {"description": "a file is not JPEG, PNG, TIFF or PDF (by content)"},
        409: {"description": "a page already holds another scan (rescan with a reason)"},
    },
)
async def upload_pages(
    register_id: UUID, request: Request, user: CurrentUser, services: ServicesDep
) -> Response:
    """Upload one or many scanned pages of a book (multipart: files, optional pages,
    rescan_reason, and a manifest declaring each file's SHA-256 and size, which lets a large
    last file stream straight to the store).

    All files are checked first; if one is refused, nothing is stored or recorded.
    """
    app = services.app
    async with received_upload(request, app, user, register_id) as form:
        files = form.intake.arrived
        pages, reason = form.first("pages"), form.first("rescan_reason")

        def action() -> JSONResponse:
            uploads = app.upload_scans(
                actor=user, intake=form.intake, pages=pages, rescan_reason=reason
            )
            return upload_report(register_id, files, uploads)

        payload = [str(register_id), reason, pages, [[f.label, f.sha256] for f in files]]
        return await run_in_threadpool(run_command, request, services, user, payload, action)


def upload_report(
    register_id: UUID, files: list[ArrivedScan], uploads: list[PageUpload]
) -> JSONResponse:
    report = UploadReport(
        register_id=register_id,
        register_version=max(u.register_version for u in uploads),
        pages=[
            PageUploadPublic.model_validate(
                {**dataclasses.asdict(u), "file": f.label, "page": u.page_number}
            )
            for f, u in zip(files, uploads, strict=True)
        ],
    )
    status = 201 if any(u.recorded for u in uploads) else 200
    return JSONResponse(report.model_dump(mode="json"), status_code=status)


@router.get("/registers/{register_id}/pages", response_model=list[PagePublic])
def list_pages(register_id: UUID, user: CurrentUser, services: ServicesDep) -> list[PagePublic]:
    """A book's scanned pages with their digests and short-lived view links."""
    register = services.app.get_register(register_id, actor=user)
    return [
        PagePublic(**dataclasses.asdict(link))
        for link in services.app.page_links(register, VIEW_LINK_TTL)
    ]


@router.get(
    "/scans/{key:path}",
    response_class=StreamingResponse,
    include_in_schema=True,
    responses={403: {"description": "the link is not valid or has expired"}},
)
def view_scan(
    key: str,
    expires: Annotated[int, Query(ge=0, le=MAX_EXPIRES)],
    signature: Annotated[str, Query(max_length=200)],
    services: ServicesDep,
) -> StreamingResponse:
    """A scanned page by the short-lived link from the page listing (embedded blob store)."""
    blobs = services.app.blobs
    check = getattr(blobs, "check_link", None)
    if blobs is None or check is None or not check(key, expires, signature):
        raise ForbiddenError(Code.LINK_INVALID)
    try:
        stored = blobs.stat(key)
    except BlobStoreError:  # a key the store refuses (e.g. outside the scans): as if absent
        stored = None
    if stored is None:
        raise NotFoundError("scan", key)
    disposition = "inline" if stored.media_type.startswith("image/") else "attachment"
    return StreamingResponse(
        blobs.read(key),
        media_type=stored.media_type,
        headers={
            "Cache-Control": "private, max-age=600",
            "Content-Length": str(stored.size),
            "Content-Disposition": f'{disposition}; filename="{key.rsplit("/", 1)[-1]}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
