"""Clerks' and verifiers' pages: a book (its pages, upload, entries), keying an entry beside its
scan, blind second keying, the field-by-field discrepancy view, verify, reject, publish.

Handlers parse the form, call the same use cases as the JSON API (``Digitisation``), and
redirect (post/redirect/get) or show the form again with the refusal translated."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import Services, ServicesDep
from api.uploads import UploadFormError, received_upload
from api.web.entry_forms import (
    FIELD_PREFIX,
    form_fields,
    posted_fields,
    posted_number,
    posted_pages,
    scan_pages,
    shown_value,
)
from api.web.session import PREFIX, WebUser, check_csrf
from api.web.templating import render, translator
from digitization.errors import NotFoundError
from digitization.media import ScanTooLargeError, UnsupportedScanError
from domain.access import ForbiddenError, Permission, User
from domain.civil_record import VERIFIABLE, CivilRecord, EntryStatus
from domain.entry_fields import SCHEMAS
from domain.errors import DomainError, InvalidValueError, NotAllowedError
from domain.register import Register
from projections.catalogue import EntryRow

router = APIRouter()
MAX_LISTED = 5000  # entries listed on a book's page


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _entries_of(services: Services, register: Register) -> list[EntryRow]:
    """The book's entries as the catalogue has them, by entry number."""
    rows: list[EntryRow] = []
    after = (str(register.id), 0)
    while len(rows) < MAX_LISTED:
        page = services.catalogue.list_entries(
            register.district, status=None, after=after, limit=500
        )
        mine = [r for r in page if r.register_id == register.id]
        rows += mine
        if len(mine) < len(page) or len(page) < 500:
            break
        after = (str(register.id), page[-1].entry_number)
    return rows


def _book_context(services: Services, register: Register) -> dict[str, Any]:
    units = services.app.units
    return {
        "register": register,
        "commune": units.commune(register.commune_code),
        "district": units.district(register.district),
        "years": f"{register.year_from}–{register.year_to}",
    }


def _status(error: DomainError) -> int:
    if isinstance(error, InvalidValueError):
        return 422
    if isinstance(error, NotAllowedError):
        return 403
    return 409


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
        entries=_entries_of(services, register),
        scans=scan_pages(services.app, register),
        may_upload=user.may(Permission.UPLOAD),
        may_key=user.may(Permission.KEY),
        **_book_context(services, register),
    )


@router.get("/registers/{register_id}/pages-list", response_class=HTMLResponse)
def pages_list(
    request: Request, register_id: UUID, user: WebUser, services: ServicesDep
) -> HTMLResponse:
    """The list of a book's scanned pages (refreshed after an upload)."""
    register = services.app.get_register(register_id, actor=user)
    return render(
        request,
        "_pages_list.html",
        user=user,
        register=register,
        scans=scan_pages(services.app, register),
    )


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
                    register_id=register_id,
                    files=form.received_scans(),
                    pages=form.first("pages"),
                    rescan_reason=form.first("rescan_reason"),
                )
            )
    except (UploadFormError, UnsupportedScanError, ScanTooLargeError) as e:
        message = t("book.upload_refused", message=f"{e.field}: {t.rule(e.rule)}")
        status = 413 if isinstance(e, ScanTooLargeError) else 415
        status = 422 if isinstance(e, UploadFormError) else status
        return render(request, "_upload_result.html", user=user, status=status, error=message)
    except ForbiddenError:
        return render(
            request, "_upload_result.html", user=user, status=403, error=t("error.forbidden")
        )
    except DomainError as e:
        message = t("book.upload_refused", message=t.error(e))
        status = 404 if isinstance(e, NotFoundError) else _status(e)
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
    numbers = [r.entry_number for r in _entries_of(services, register)]
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
        start_page=int(pages.split()[0]) if pages.split() and pages.split()[0].isdigit() else 1,
        scans=scan_pages(services.app, register),
        error=t.error(error) if error else None,
        error_field=error.field if isinstance(error, InvalidValueError) else None,
        saved=saved,
        **_book_context(services, register),
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
    form = await _form(request)
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
            status=_status(e),
            error=e,
        )
    target = f"{PREFIX}/registers/{register_id}/entry?page={pages[-1]}&saved={number}"
    return RedirectResponse(target, status_code=303)


# ----- one entry: second keying, reconciliation, verification ---------------------------------
def _mode(entry: CivilRecord, user: User, requested: str | None) -> str:
    """What the page offers this user now."""
    involved = (
        user.id in entry.keyed_by
        or user.id in entry.second_keyed_by
        or user.id in entry.corrected_by
    )
    status = entry.status
    can_second_key = (
        status is EntryStatus.KEYED
        and user.may(Permission.SECOND_KEY)
        and user.id not in entry.keyed_by
    )
    can_check = status in VERIFIABLE and user.may(Permission.VERIFY) and not involved
    if can_second_key and not (requested == "check" and can_check):
        return "second_key"
    if status is EntryStatus.DISCREPANCIES_FOUND and user.may(Permission.RECONCILE):
        return "four_eyes" if involved else "reconcile"
    if can_check:
        return "check"
    if status is EntryStatus.REJECTED and user.may(Permission.KEY):
        return "rekey"
    if status is EntryStatus.VERIFIED and user.may(Permission.PUBLISH):
        return "publish"
    if involved and status in VERIFIABLE and user.may(Permission.VERIFY):
        return "four_eyes"
    return "read"


def _entry_page(
    request: Request,
    user: User,
    services: Services,
    entry: CivilRecord,
    *,
    mode: str | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
    error: DomainError | None = None,
    done: str | None = None,
) -> HTMLResponse:
    t = translator(request)
    register = services.app.get_register(entry.register_id)
    chosen = _mode(entry, user, mode)
    blind = chosen == "second_key"
    shown = {} if blind else entry.fields
    typed = values if values is not None else ({} if blind else entry.fields)
    schema = SCHEMAS[entry.kind]
    rows = [
        (path, t.label(path), shown_value(shown.get(path), t.lang, t("entry.empty")))
        for path in schema
        if path in shown
    ]
    discrepancies = [
        {
            "path": path,
            "label": t.label(path),
            "id": path.replace(".", "-"),
            "first": shown_value(d.get("first"), t.lang, t("entry.empty")),
            "second": shown_value(d.get("second"), t.lang, t("entry.empty")),
            "resolved": d.get("resolved", False),
            "value": shown_value(d.get("value"), t.lang, t("entry.empty")),
            "type": schema[path].type.value,
        }
        for path, d in entry.discrepancies.items()
    ]
    return render(
        request,
        "entry.html",
        user=user,
        status=status,
        entry=entry,
        mode=chosen,
        can_check_instead=chosen == "second_key" and _mode(entry, user, "check") == "check",
        rows=rows,
        discrepancies=discrepancies,
        fields=form_fields(entry.kind, typed),
        scans=scan_pages(services.app, register),
        start_page=entry.pages[0] if entry.pages else 1,
        pages=" ".join(str(p) for p in entry.pages),
        error=t.error(error) if error else None,
        error_field=error.field if isinstance(error, InvalidValueError) else None,
        done=done,
        discrepancy_count=sum(1 for d in entry.discrepancies.values() if not d["resolved"]),
        **_book_context(services, register),
    )


@router.get("/entries/{entry_id}", response_class=HTMLResponse)
def entry_page(
    request: Request,
    entry_id: UUID,
    user: WebUser,
    services: ServicesDep,
    mode: str | None = None,
    done: str | None = None,
) -> HTMLResponse:
    """An entry beside its scan, with what this user may do to it now."""
    entry = services.app.get_entry(entry_id, actor=user)
    return _entry_page(request, user, services, entry, mode=mode, done=done)


async def _act(
    request: Request,
    entry_id: UUID,
    user: User,
    services: Services,
    permission: Permission,
    action: str,
    run: Any,
) -> Response:
    """Check the form's CSRF token, role and district; run the use case with the version the
    page showed; redirect to the entry, or show the page again with the refusal."""
    form = await _form(request)
    check_csrf(request, form.get("csrf_token"))
    entry = services.app.get_entry(entry_id, actor=user, purpose=permission)
    version = form.get("expected_version", "")
    expected = int(version) if version.isdigit() else None
    try:
        run(entry, form, expected)
    except DomainError as e:
        typed = (
            posted_fields(entry.kind, form)
            if any(k.startswith(FIELD_PREFIX) for k in form)
            else None
        )
        current = services.app.get_entry(entry_id)
        return _entry_page(
            request,
            user,
            services,
            current,
            mode=form.get("mode"),
            values=typed,
            status=_status(e),
            error=e,
        )
    return RedirectResponse(f"{PREFIX}/entries/{entry_id}?done={action}", status_code=303)


@router.post("/entries/{entry_id}/second-keying", response_class=HTMLResponse)
async def second_key(
    request: Request, entry_id: UUID, user: WebUser, services: ServicesDep
) -> Response:
    """Save a blind second keying; differing fields become discrepancies."""

    def run(entry: CivilRecord, form: dict[str, str], expected: int | None) -> None:
        services.app.second_key_entry(
            actor=user,
            entry_id=entry.id,
            fields=posted_fields(entry.kind, form),
            expected_version=expected,
        )

    return await _act(request, entry_id, user, services, Permission.SECOND_KEY, "second_keyed", run)


@router.post("/entries/{entry_id}/rekeying", response_class=HTMLResponse)
async def rekey(request: Request, entry_id: UUID, user: WebUser, services: ServicesDep) -> Response:
    """Key a rejected entry again."""

    def run(entry: CivilRecord, form: dict[str, str], expected: int | None) -> None:
        services.app.rekey_entry(
            actor=user,
            entry_id=entry.id,
            pages=posted_pages(form.get("pages", "")),
            fields=posted_fields(entry.kind, form),
            expected_version=expected,
        )

    return await _act(request, entry_id, user, services, Permission.KEY, "rekeyed", run)


def resolutions(entry: CivilRecord, form: dict[str, str]) -> dict[str, Any]:
    """The verifier's choice for each open discrepancy: the first keying's value, the
    second's, or another value typed in (blank: the field is empty)."""
    chosen: dict[str, Any] = {}
    for path, d in entry.discrepancies.items():
        if d["resolved"]:
            continue
        choice = form.get(f"choice.{path}")
        if choice == "first":
            chosen[path] = d["first"]
        elif choice == "second":
            chosen[path] = d["second"]
        elif choice == "other":
            chosen[path] = form.get(f"other.{path}", "").strip() or None
    return chosen


@router.post("/entries/{entry_id}/reconciliation", response_class=HTMLResponse)
async def reconcile(
    request: Request, entry_id: UUID, user: WebUser, services: ServicesDep
) -> Response:
    """Settle the discrepancies with the values the book says."""

    def run(entry: CivilRecord, form: dict[str, str], expected: int | None) -> None:
        services.app.reconcile_entry(
            actor=user,
            entry_id=entry.id,
            resolutions=resolutions(entry, form),
            expected_version=expected,
        )

    return await _act(request, entry_id, user, services, Permission.RECONCILE, "reconciled", run)


@router.post("/entries/{entry_id}/verification", response_class=HTMLResponse)
async def verify(
    request: Request, entry_id: UUID, user: WebUser, services: ServicesDep
) -> Response:
    """Verify the entry (four eyes)."""

    def run(entry: CivilRecord, form: dict[str, str], expected: int | None) -> None:
        services.app.verify_entry(actor=user, entry_id=entry.id, expected_version=expected)

    return await _act(request, entry_id, user, services, Permission.VERIFY, "verified", run)


@router.post("/entries/{entry_id}/rejection", response_class=HTMLResponse)
async def reject(
    request: Request, entry_id: UUID, user: WebUser, services: ServicesDep
) -> Response:
    """Reject the entry with a reason (back to keying)."""

    def run(entry: CivilRecord, form: dict[str, str], expected: int | None) -> None:
        services.app.reject_entry(
            actor=user,
            entry_id=entry.id,
            reason=form.get("reason", ""),
            expected_version=expected,
        )

    return await _act(request, entry_id, user, services, Permission.VERIFY, "rejected", run)


@router.post("/entries/{entry_id}/publication", response_class=HTMLResponse)
async def publish(
    request: Request, entry_id: UUID, user: WebUser, services: ServicesDep
) -> Response:
    """Publish a verified entry to the portal."""

    def run(entry: CivilRecord, form: dict[str, str], expected: int | None) -> None:
        services.app.publish_entry(actor=user, entry_id=entry.id, expected_version=expected)

    return await _act(request, entry_id, user, services, Permission.PUBLISH, "published", run)
