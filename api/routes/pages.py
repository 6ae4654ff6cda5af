"""Scanned pages: upload in batches (streamed, hashed, checked by content), list with view links."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel

from api.deps import ServicesDep
from api.idempotency import idempotent
from api.problems import domain_problem
from api.security import CurrentUser, ForbiddenError, Permission, require
from api.uploads import ReceivedForm, UploadFormError, page_number_from_label, receive_form
from digitization.application import IncomingScan
from digitization.errors import NotFoundError
from digitization.media import inspect_scan
from domain.errors import DomainError, InvalidValueError

router = APIRouter(tags=["scanned pages"])
MAX_FILES = 200
VIEW_LINK_TTL = dt.timedelta(minutes=10)


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


def _page_numbers(form: ReceivedForm) -> list[int]:
    given = [p for value in form.fields.get("pages", []) for p in value.replace(",", " ").split()]
    if given and len(given) != len(form.files):
        raise InvalidValueError.legacy(
            "pages", f"gives {len(given)} page numbers for {len(form.files)} files"
        )
    numbers: list[int] = []
    for i, received in enumerate(form.files):
        if given:
            if not given[i].isdigit():
                raise InvalidValueError.legacy("pages", f"{given[i]!r} is not a page number")
            numbers.append(int(given[i]))
            continue
        number = page_number_from_label(received.label)
        if number is None:
            raise InvalidValueError.legacy(
                "pages",
                f"file {received.label!r}: give page numbers, or name files by page (0012.tif)",
            )
        numbers.append(number)
    if len(set(numbers)) != len(numbers):
        raise InvalidValueError.legacy("pages", "names the same page twice in one upload")
    return numbers


@router.post(
    "/registers/{register_id}/pages",
    response_model=UploadReport,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["files"],
                        "properties": {
                            "files": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            },
                            "pages": {
                                "type": "string",
                                "description": "page numbers, in file order",
                            },
                            "rescan_reason": {
                                "type": "string",
                                "description": "replace pages (quét lại)",
                            },
                        },
                    }
                }
            },
        }
    },
    responses={
        413: {"description": "a file is over the byte or pixel limit"},
        415: {"description": "a file is not JPEG, PNG, TIFF or PDF (by content)"},
        409: {"description": "a page already holds another scan (rescan with a reason)"},
    },
)
async def upload_pages(
    register_id: UUID, request: Request, user: CurrentUser, services: ServicesDep
) -> JSONResponse:
    """Upload one or many scanned pages of a book (multipart: files, optional pages, rescan_reason).

    All files are checked first; if one is refused, nothing is stored or recorded.
    """
    require(user, Permission.UPLOAD)
    app = services.app
    register = await run_in_threadpool(app.get_register, register_id)
    require(user, Permission.UPLOAD, register.district)
    with tempfile.TemporaryDirectory(prefix="hotich-upload-") as tmp:
        form = await receive_form(
            request, Path(tmp), max_bytes=app.scan_limits.max_bytes, max_files=MAX_FILES
        )
        if not form.files:
            raise UploadFormError("files", "at least one file is required")
        reasons = form.fields.get("rescan_reason", [])
        reason = (reasons[0].strip() or None) if reasons else None  # a blank field: no reason
        infos = [  # content first: a file that is no scan gets 415
            inspect_scan(
                received.writer.path,
                max_pixels=app.scan_limits.max_pixels,
                field=f"files[{received.label}]",
            )
            for received in form.files
        ]
        numbers = _page_numbers(form)
        for received, number in zip(form.files, numbers, strict=True):
            register.is_new_scan(
                page_number=number, sha256=received.writer.sha256, rescan_reason=reason
            )
        payload = json.dumps(
            [
                str(register_id),
                reason,
                [[n, f.writer.sha256] for f, n in zip(form.files, numbers, strict=True)],
            ]
        )

        def run() -> JSONResponse:
            scans = [
                IncomingScan(
                    page_number=number,
                    path=received.writer.path,
                    size=received.writer.size,
                    sha256=received.writer.sha256,
                    info=info,
                )
                for received, number, info in zip(form.files, numbers, infos, strict=True)
            ]
            try:
                uploads = app.upload_pages(
                    actor=user.actor, register_id=register_id, scans=scans, rescan_reason=reason
                )
            except DomainError as e:
                return domain_problem(e)
            results = [(f.label, u) for f, u in zip(form.files, uploads, strict=True)]
            version = max((r.register_version for _, r in results), default=register.version)
            report = UploadReport(
                register_id=register_id,
                register_version=version,
                pages=[
                    PageUploadPublic(
                        file=label,
                        page=r.page_number,
                        sha256=r.sha256,
                        size=r.size,
                        media_type=r.media_type,
                        object_key=r.object_key,
                        recorded=r.recorded,
                        stored=r.stored,
                    )
                    for label, r in results
                ],
            )
            status = 201 if any(r.recorded for _, r in results) else 200
            return JSONResponse(report.model_dump(mode="json"), status_code=status)

        return await run_in_threadpool(idempotent, request, user.id, payload, run)


@router.get("/registers/{register_id}/pages", response_model=list[PagePublic])
def list_pages(register_id: UUID, user: CurrentUser, services: ServicesDep) -> list[PagePublic]:
    """A book's scanned pages with their digests and short-lived view links."""
    require(user, Permission.READ)
    register = services.app.get_register(register_id)
    require(user, Permission.READ, register.district)
    blobs = services.app.blobs
    return [
        PagePublic(
            page=number,
            sha256=page["sha256"],
            size=page["size"],
            media_type=page["media_type"],
            object_key=page["object_key"],
            view_url=blobs.presigned_get(page["object_key"], VIEW_LINK_TTL) if blobs else None,
        )
        for number, page in sorted(register.pages.items())
    ]


@router.get(
    "/scans/{key:path}",
    response_class=StreamingResponse,
    include_in_schema=True,
    responses={403: {"description": "the link is not valid or has expired"}},
)
def view_scan(key: str, expires: int, signature: str, services: ServicesDep) -> StreamingResponse:
    """A scanned page by the short-lived link from the page listing (embedded blob store)."""
    blobs = services.app.blobs
    check = getattr(blobs, "check_link", None)
    if blobs is None or check is None or not check(key, expires, signature):
        raise ForbiddenError("the link is not valid or has expired; list the pages again")
    stored = blobs.stat(key)
    if stored is None:
        raise NotFoundError("scan", key)
    return StreamingResponse(
        blobs.read(key),
        media_type=stored.media_type,
        headers={"Cache-Control": "private, max-age=600", "Content-Length": str(stored.size)},
    )
