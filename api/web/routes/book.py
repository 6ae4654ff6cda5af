"""Clerks' pages of a book: its scanned pages, the upload form, its entries, and keying a
new entry beside its scan.

Handlers parse the form, call the use cases (``Digitisation``), and redirect
(post/redirect/get) or show the form again with the refusal translated."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import Services, ServicesDep
from api.uploads import received_upload
from api.web.entry_forms import (
    form_fields,
    posted_fields,
    posted_number,
    posted_pages,
    scan_pages,
)
from api.web.routes.shared import (
    book_context,
    entries_of,
    numbering_of,
    posted_form,
    refusal_status,
)
from api.web.session import PREFIX, WebUser, check_csrf
from api.web.templating import render, translator
from digitization.errors import NotFoundError
from digitization.media import ScanError, ScanTooLargeError, UploadRefusedError
from digitization.ports import InsufficientStorageError, ServiceUnavailableError
from domain.access import ForbiddenError, Permission, User
from domain.errors import DomainError, InvalidValueError
from domain.numbers import small_number
from domain.register import Register

router = APIRouter()


# ----- a book ---------------------------------------------------------------------------------
@router.get("/registers/{register_id}", response_class=HTMLResponse)
def book_page(
    request: Request, register_id: UUID, user: WebUser, services: ServicesDep
) -> HTMLResponse:
    """A book: its scanned pages, the upload form and its entries."""
    register = services.app.get_register(register_id, actor=user)
    return render(
        request,
        "book.html",
        user=user,
        scans=scan_pages(services.app, register),
        entries=entries_of(services, register),
        may_upload=user.may(Permission.UPLOAD),
        may_key=user.may(Permission.KEY),
        **book_context(services, register),
    )


@router.get("/registers/{register_id}/numbering", response_class=HTMLResponse)
def numbering(
    request: Request, register_id: UUID, user: WebUser, services: ServicesDep
) -> HTMLResponse:
    """The book's numbering by year (loaded after the page: it reads every entry of the
    commune's books of this kind)."""
    register = services.app.get_register(register_id, actor=user)
    report = numbering_of(services, user, register)
    return render(request, "_numbering.html", user=user, register=register, numbering=report)


@router.get("/registers/{register_id}/pages-list", response_class=HTMLResponse)
def pages_list(
    request: Request, register_id: UUID, user: WebUser, services: ServicesDep
) -> HTMLResponse:
    """The list of a book's scanned pages (refreshed after an upload)."""
    register = services.app.get_register(register_id, actor=user)
    scans = scan_pages(services.app, register)
    return render(request, "_pages_list.html", user=user, register=register, scans=scans)


@router.post("/registers/{register_id}/pages", response_class=HTMLResponse)
async def upload(
    request: Request, register_id: UUID, user: WebUser, services: ServicesDep
) -> Response:
    """The upload form: the upload use case of POST /registers/{id}/pages (the CSRF token in
    a header), its outcome as a fragment of the book's page."""
    check_csrf(request, None)  # before the body is read
    t = translator(request)
    app = services.app
    try:
        async with received_upload(request, app, user, register_id) as form:
            uploads = await run_in_threadpool(
                lambda: app.upload_scans(
                    actor=user,
                    intake=form.intake,
                    pages=form.first("pages"),
                    rescan_reason=form.first("rescan_reason"),
                )
            )
    except UploadRefusedError as e:
        message = t("book.upload_refused", message=f"{e.field}: {t.rule(e.code, e.params)}")
        status = 413 if isinstance(e, ScanTooLargeError) else 415
        status = status if isinstance(e, ScanError) else 422
        return render(request, "_upload_result.html", user=user, status=status, error=message)
    except ForbiddenError:
        return render(
            request, "_upload_result.html", user=user, status=403, error=t("error.forbidden")
        )
    except ServiceUnavailableError as e:  # a dependency is down or a disk full: nothing stored
        full = isinstance(e, InsufficientStorageError)
        return render(
            request,
            "_upload_result.html",
            user=user,
            status=507 if full else 503,
            error=t("error.storage_full" if full else "error.unavailable", detail=e.dependency),
            headers={"Retry-After": str(e.retry_after)},
        )
    except DomainError as e:
        message = t("book.upload_refused", message=t.error(e))
        status = 404 if isinstance(e, NotFoundError) else refusal_status(e)
        return render(request, "_upload_result.html", user=user, status=status, error=message)
    status = 201 if any(u.recorded for u in uploads) else 200
    return render(
        request,
        "_upload_result.html",
        user=user,
        status=status,
        pages=uploads,
        headers={"HX-Trigger": "pages-changed"},
    )


# ----- keying a new entry -------------------------------------------------------------------
def _next_number(services: Services, register: Register, saved: int | None) -> int:
    numbers = [r.entry_number for r in entries_of(services, register)]
    return max([*numbers, saved or 0], default=0) + 1


def _key_page(
    request: Request,
    user: User,
    services: Services,
    register: Register,
    *,
    values: dict[str, Any],
    number: str,
    pages: str,
    status: int = 200,
    error: DomainError | None = None,
    saved: int | None = None,
) -> HTMLResponse:
    t = translator(request)
    return render(
        request,
        "key.html",
        user=user,
        status=status,
        fields=form_fields(register.kind, values),
        number=number,
        pages=pages,
        start_page=small_number((pages.split() or [""])[0]) or 1,
        scans=scan_pages(services.app, register),
        error=t.error(error) if error else None,
        error_field=error.field if isinstance(error, InvalidValueError) else None,
        saved=saved,
        **book_context(services, register),
    )


@router.get("/registers/{register_id}/entry", response_class=HTMLResponse)
def key_form(
    request: Request,
    register_id: UUID,
    user: WebUser,
    services: ServicesDep,
    page: int | None = None,
    saved: int | None = None,
) -> HTMLResponse:
    """Key a new entry of the book beside its scanned page."""
    register = services.app.get_register(register_id, actor=user, purpose=Permission.KEY)
    first = page or min(register.pages, default=1)
    return _key_page(
        request,
        user,
        services,
        register,
        values={},
        number=str(_next_number(services, register, saved)),
        pages=str(first),
        saved=saved,
    )


@router.post("/registers/{register_id}/entry", response_class=HTMLResponse)
async def key(
    request: Request, register_id: UUID, user: WebUser, services: ServicesDep
) -> Response:
    """Save the keyed entry; the form comes back empty for the next one."""
    form = await posted_form(request)
    check_csrf(request, form.get("csrf_token"))
    register = services.app.get_register(register_id, actor=user, purpose=Permission.KEY)
    fields = posted_fields(register.kind, form)
    try:
        number = posted_number(form.get("entry_number", ""))
        pages = posted_pages(form.get("pages", ""))
        services.app.key_entry(
            actor=user,
            register_id=register_id,
            entry_number=number,
            pages=pages,
            fields=fields,
        )
    except DomainError as e:
        return _key_page(
            request,
            user,
            services,
            register,
            values=fields,
            number=form.get("entry_number", ""),
            pages=form.get("pages", ""),
            status=refusal_status(e),
            error=e,
        )
    target = f"{PREFIX}/registers/{register_id}/entry?page={pages[-1]}&saved={number}"
    return RedirectResponse(target, status_code=303)
