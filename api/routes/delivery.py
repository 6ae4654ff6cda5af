"""Books delivered to the national civil-status database: a book's numbering (and its gaps
accepted), its export as the Ministry's package, and a contractor's package imported."""

from __future__ import annotations

import base64
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile

from api.deps import Services, ServicesDep
from api.security import CurrentUser
from api.uploads import multipart_body
from digitization.delivery.importing import ImportReport, import_package
from digitization.delivery.safe_zip import PackageTooLargeError
from digitization.delivery.service import Delivery
from digitization.delivery.workbook_in import LIMITS
from digitization.errors import NotFoundError
from domain.access import Permission
from domain.errors import InvalidValueError
from domain.rules import Code

router = APIRouter(tags=["delivery to the national database"])
ZIP_TYPE = "application/zip"


class RunPublic(BaseModel):
    first: int
    last: int


class DuplicatePublic(BaseModel):
    number: int
    other_books: list[str]


class OutOfOrderPublic(BaseModel):
    number: int
    reason: str = Field(description="below_earlier_book or registered_before_previous")
    other: int
    other_book: str | None


class YearNumberingPublic(BaseModel):
    year: int
    count: int
    first: int
    last: int
    continues_book: str | None = Field(description="the book of the same year this continues")
    continues_from: int
    gaps: list[RunPublic]
    unexplained_gaps: list[RunPublic]
    duplicates: list[DuplicatePublic]
    out_of_order: list[OutOfOrderPublic]


class NumberingPublic(BaseModel):
    register_id: UUID
    years: list[YearNumberingPublic]
    undated_entries: list[int]
    gaps: int
    unexplained_gaps: int
    duplicates: int
    out_of_order: int


class GapsAcceptance(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="why the numbers are missing")


class RefusedRowPublic(BaseModel):
    row: int
    number: int | None
    errors: list[str] = Field(description="the rules broken, in Vietnamese")


class ImportPublic(BaseModel):
    register_id: UUID
    register_version: int
    workbook_sha256: str = Field(description="the package's source, recorded with its entries")
    accepted: list[int] = Field(description="entry numbers keyed")
    present: list[int] = Field(description="entry numbers the book already had, as the row says")
    refused: list[RefusedRowPublic]
    pages_recorded: list[int]
    ignored_headers: list[str]
    unmatched_pdfs: list[str]
    annotated_workbook: str = Field(description="base64 of the workbook with each row's verdict")


def _delivery(services: Services) -> Delivery:
    if services.delivery is None:
        raise NotFoundError("delivery", "this server")
    return services.delivery


@router.get("/registers/{register_id}/numbering", response_model=NumberingPublic)
def get_numbering(register_id: UUID, user: CurrentUser, services: ServicesDep) -> Any:
    """A book's entry numbering year by year: gaps, duplicates, numbers out of order."""
    return _delivery(services).numbering(actor=user, register_id=register_id).to_json()


@router.post(
    "/registers/{register_id}/numbering/acceptances",
    response_model=NumberingPublic,
    status_code=201,
    responses={409: {"description": "the numbering has no unexplained gap to accept"}},
)
def accept_gaps(
    register_id: UUID, body: GapsAcceptance, user: CurrentUser, services: ServicesDep
) -> Any:
    """Accept a book's unexplained numbering gaps for a reason (recorded as an event)."""
    delivery = _delivery(services)
    return delivery.accept_gaps(actor=user, register_id=register_id, reason=body.reason).to_json()


@router.get(
    "/registers/{register_id}/delivery.zip",
    response_class=FileResponse,
    responses={
        200: {"content": {ZIP_TYPE: {}}, "description": "workbook, ZIP of PDFs, manifest"},
        409: {"description": "unexplained numbering gaps, unpublished entries, missing scans"},
    },
)
def delivery_zip(register_id: UUID, user: CurrentUser, services: ServicesDep) -> FileResponse:
    """A verified book as the Ministry's package: its workbook, one PDF per entry (zipped) and
    the signed manifest, in one ZIP."""
    if services.scratch is not None:
        services.scratch.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="hotich-delivery-", dir=services.scratch))
    try:
        exported = _delivery(services).export_book(
            actor=user, register_id=register_id, folder=folder / "package"
        )
        name = exported.files[0].removesuffix(".xlsx")
        target = folder / f"{name}.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
            for file in exported.files:
                archive.write(exported.folder / file, file)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        target,
        media_type=ZIP_TYPE,
        filename=target.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


def _report(report: ImportReport) -> JSONResponse:
    body = ImportPublic(
        register_id=report.register_id,
        register_version=report.register_version,
        workbook_sha256=report.sha256,
        accepted=report.accepted,
        present=report.present,
        refused=[RefusedRowPublic.model_validate(r) for r in report.refused],
        pages_recorded=report.pages_recorded,
        ignored_headers=report.ignored_headers,
        unmatched_pdfs=report.unmatched_pdfs,
        annotated_workbook=base64.b64encode(report.annotated).decode("ascii"),
    )
    status = 201 if report.accepted or report.pages_recorded else 200
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


_MULTIPART = multipart_body(
    ["workbook"],
    {
        "workbook": {"type": "string", "format": "binary"},
        "pdfs": {
            "type": "string",
            "format": "binary",
            "description": "ZIP of one PDF per entry, named by its number",
        },
    },
)


@router.post(
    "/registers/{register_id}/imports",
    response_model=ImportPublic,
    status_code=201,
    openapi_extra=_MULTIPART,
    responses={
        200: {"description": "nothing new: every row refused or already in the book"},
        413: {"description": "a file unpacks to too much, or has too many rows"},
        415: {"description": "not a workbook, or not a ZIP"},
        422: {"description": "a formula, a path in a ZIP, a DOCTYPE, a missing column"},
    },
)
async def import_package_route(
    register_id: UUID, request: Request, user: CurrentUser, services: ServicesDep
) -> JSONResponse:
    """Import a contractor's package (multipart: workbook, optional pdfs): each valid row
    becomes a keyed entry and its PDF's pages the book's scans; the answer holds the workbook
    annotated row by row."""
    delivery = _delivery(services)
    await run_in_threadpool(  # who may import into this book, before its body is read
        delivery.app.get_register, register_id, actor=user, purpose=Permission.IMPORT
    )
    form = await request.form(max_files=2, max_fields=4)
    try:
        workbook, pdfs = form.get("workbook"), form.get("pdfs")
        if not isinstance(workbook, UploadFile):
            raise InvalidValueError("workbook", Code.REQUIRED, label_vi="tệp Excel")
        if workbook.size is not None and workbook.size > LIMITS.total_bytes:
            raise PackageTooLargeError(
                "workbook", Code.IMPORT_TOO_LARGE, what="workbook", limit=LIMITS.total_bytes
            )
        data = await workbook.read(LIMITS.total_bytes + 1)
        if len(data) > LIMITS.total_bytes:
            raise PackageTooLargeError(
                "workbook", Code.IMPORT_TOO_LARGE, what="workbook", limit=LIMITS.total_bytes
            )
        zipped = pdfs.file if isinstance(pdfs, UploadFile) else None
        report = await run_in_threadpool(
            import_package,
            delivery.app,
            delivery.columns,
            actor=user,
            register_id=register_id,
            workbook=data,
            pdfs=zipped,
            scratch=services.scratch,
            name=workbook.filename or "workbook",
        )
    finally:
        await form.close()
    return _report(report)
